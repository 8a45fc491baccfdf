// Graph.Query in a cluster when its terms' users are on several partitions: the node
// that takes the call runs ScatterQuery (cluster_query.h) over the terms' partitions,
// reading those it owns itself and the others through their owners'
// Partitions.TermPage and ProbeTerms (one call per partition a step involves). A token
// is resolved on each partition involved, and each read waits until its partition has
// applied what the token's write caused there. min_position, a position of one
// partition's log, is refused: such a query takes a token.
#ifndef ROOST_SERVICES_CLUSTER_QUERY_RPC_H_
#define ROOST_SERVICES_CLUSTER_QUERY_RPC_H_

#include "roost/v1/roost.grpc.pb.h"
#include "services/cluster_node.h"

namespace roost::services {

// Runs the query on the node's readers (it waits on other nodes) and finishes the call.
grpc::ServerUnaryReactor* QueryAcrossPartitions(ClusterNode* node, grpc::CallbackServerContext* ctx,
                                                const ::roost::v1::QueryRequest* req,
                                                ::roost::v1::QueryResponse* resp);

}  // namespace roost::services

#endif  // ROOST_SERVICES_CLUSTER_QUERY_RPC_H_
