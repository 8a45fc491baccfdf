// GrpcTarget sends the workload to a Roost server through its public gRPC API, over
// `connections` separate HTTP/2 connections, with the asynchronous (callback) client
// API so that thousands of calls can be in flight from a few threads.
//
// Home and user reads ask for kReadLimit hydrated tweets; follows and unfollows are
// Graph.Add / Graph.Remove on FOLLOWS; ping is Admin.Ping, the empty RPC of the
// grpc-empty baseline. Fanout probes are a Home read with min_position: the server
// answers once it has applied the post, so no polling is needed.
//
// Against a cluster, the target asks the first address for the cluster file
// (Admin.Cluster) and, unless told to spread, sends each call straight to the owner
// of the partition of the user it concerns (the reader, the author, the edge's
// source), as a client library that knows the partition map would: the nodes then
// forward nothing.
#ifndef ROOST_LOADGEN_GRPC_TARGET_H_
#define ROOST_LOADGEN_GRPC_TARGET_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/target.h"

namespace grpc {
class Channel;
}

namespace roost::loadgen {

struct GrpcTargetOptions {
  // host:port, or several separated by commas (the nodes of a cluster): the
  // connections are spread over them, and calls round-robin over the connections.
  std::string address;
  int connections = 4;         // raised to one per address (per node when routing)
  std::string name = "roost";  // for reports
  // On a cluster: connect to every node of its map and send each call to its
  // partition's owner. Off: round robin over the given addresses, which forward.
  bool route_to_owners = true;
};

class GrpcTarget final : public Target {
 public:
  // Connects (waiting up to `connect_timeout` for every connection): UNAVAILABLE
  // naming the address when the server cannot be reached, INVALID_ARGUMENT for fewer
  // than one connection.
  static absl::StatusOr<std::unique_ptr<GrpcTarget>> Connect(const GrpcTargetOptions& options,
                                                             absl::Duration connect_timeout);
  ~GrpcTarget() override;

  std::string name() const override { return options_.name; }
  void Issue(const Op& op, absl::Time deadline, absl::AnyInvocable<void(Outcome)> done) override;
  void AwaitVisible(UserId follower, const Outcome& post, absl::Time deadline,
                    absl::AnyInvocable<void(absl::Status)> done) override;
  absl::StatusOr<bool> FollowsAll(UserId user, absl::Span<const UserId> followees) override;
  absl::Status Sync(absl::Time deadline) override;
  // The records appended to the server's log so far; on a cluster, to every partition's
  // stream (clients' writes and the events partitions derived for one another).
  absl::StatusOr<uint64_t> AppendedRecords(absl::Time deadline);

  class Calls;  // the calls gRPC has not finished tearing down (grpc_target.cc)

 private:
  struct Stubs;
  explicit GrpcTarget(const GrpcTargetOptions& options);
  // Asks for the cluster file and, on a cluster, replaces the channels with as many
  // (at least one a node) spread over its nodes, and routes by partition.
  absl::Status ConnectOwners(int connections, absl::Time deadline);
  // The stubs of the next connection, round robin.
  Stubs& Next();
  // The stubs of the next connection to `user`'s partition's owner (Next() when not
  // routing).
  Stubs& For(UserId user);

  const GrpcTargetOptions options_;
  std::vector<std::unique_ptr<Stubs>> stubs_;
  // When routing: the stubs (in stubs_) of each partition's owner, by partition.
  std::vector<std::vector<Stubs*>> owner_stubs_;
  std::atomic<uint64_t> next_{0};
  std::unique_ptr<Calls> calls_;
};

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_GRPC_TARGET_H_
