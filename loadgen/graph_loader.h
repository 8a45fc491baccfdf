// Puts the workload's synthetic social graph into a target before a run, through the
// target's own follow operation (for Roost: Graph.Add, a logged, durable write), driven
// by the same scheduler as the workload, closed-loop.
#ifndef ROOST_LOADGEN_GRAPH_LOADER_H_
#define ROOST_LOADGEN_GRAPH_LOADER_H_

#include <functional>

#include "absl/status/statusor.h"
#include "loadgen/runner.h"
#include "loadgen/social_graph.h"
#include "loadgen/target.h"

namespace roost::loadgen {

// Whether `target` already holds `graph`: a sample of users, spread over the id range,
// each follow all of their generated followees. Follows made by earlier runs do not
// matter; an unfollow of a sampled edge, or another graph (other --users, --seed),
// fails the check. Loading again is then safe (follows are idempotent) and restores
// the generated edges, though it leaves the extra ones.
absl::StatusOr<bool> HasGraph(Target* target, const SocialGraph& graph);

// Sends every follow of `graph` with `concurrency` in flight, then waits until they
// are all visible (Target::Sync). The result measures the follows until the last was
// acknowledged (kFollow); the wait for them to be applied comes after. Fails on the
// first kind of error that hit more than none of the follows, naming the code.
absl::StatusOr<RunResult> LoadGraph(Target* target, const SocialGraph& graph, int concurrency,
                                    const std::function<void(uint64_t edges_done)>& progress);

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_GRAPH_LOADER_H_
