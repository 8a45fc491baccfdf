// CallUser: the user a call of the public API concerns. Everything about a user is
// kept on the user's partition, so that partition's owner serves the call: a client
// that knows the partition map (Admin.Cluster) sends it there, and any other node
// forwards it (services/cluster_services.h). The acting user for writes (a post's or
// delete's author, an edge's source, a mass change's user), the reader for reads.
//
// Tweets.Get and a Graph.Query over users of several partitions concern several
// users; they are gathered from each, and have no CallUser (QueryUser says which).
#ifndef ROOST_CLUSTER_CALL_USER_H_
#define ROOST_CLUSTER_CALL_USER_H_

#include <optional>

#include "common/types.h"
#include "roost/v1/roost.pb.h"

namespace roost::cluster {

inline UserId CallUser(const roost::v1::PostRequest& req) { return req.author_id(); }
inline UserId CallUser(const roost::v1::DeleteRequest& req) { return req.author_id(); }
inline UserId CallUser(const roost::v1::UserTimelineRequest& req) { return req.user_id(); }
inline UserId CallUser(const roost::v1::HomeRequest& req) { return req.user_id(); }
inline UserId CallUser(const roost::v1::EdgeRequest& req) { return req.source_id(); }
inline UserId CallUser(const roost::v1::MassRequest& req) { return req.user_id(); }
inline UserId CallUser(const roost::v1::SelectRequest& req) { return req.user_id(); }
inline UserId CallUser(const roost::v1::CountRequest& req) { return req.user_id(); }
inline UserId CallUser(const roost::v1::ContainsRequest& req) { return req.source_id(); }

// A query's first term's user (0 without terms) when every term's user is on the same
// partition among `partitions`; nullopt when they are on several.
std::optional<UserId> QueryUser(const roost::v1::QueryRequest& req, uint32_t partitions);

}  // namespace roost::cluster

#endif  // ROOST_CLUSTER_CALL_USER_H_
