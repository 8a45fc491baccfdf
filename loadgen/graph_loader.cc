#include "loadgen/graph_loader.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace roost::loadgen {

absl::StatusOr<bool> HasGraph(Target* target, const SocialGraph& graph) {
  constexpr UserId kSamples = 16;
  const UserId users = graph.spec().users;
  for (UserId i = 0; i < kSamples; ++i) {
    const UserId user = 1 + i * (users - 1) / (kSamples - 1);
    absl::StatusOr<bool> follows = target->FollowsAll(user, graph.Followees(user));
    if (!follows.ok()) return follows.status();
    if (!*follows) return false;
  }
  return true;
}

absl::StatusOr<RunResult> LoadGraph(Target* target, const SocialGraph& graph, int concurrency,
                                    const std::function<void(uint64_t edges_done)>& progress) {
  UserId user = 0;
  std::vector<UserId> followees;
  size_t next = 0;
  OpSource edges = [&](Op* op) {
    while (next == followees.size()) {
      if (user == graph.spec().users) return false;
      followees = graph.Followees(++user);
      next = 0;
    }
    op->kind = OpKind::kFollow;
    op->user = user;
    op->target = followees[next++];
    return true;
  };
  RunOptions options;
  options.rate = 0;
  options.concurrency = concurrency;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Hours(24 * 365);  // until the edges run out
  options.timeout = absl::Seconds(60);
  if (progress) {
    options.on_interval = [&progress](const Interval&, const RunResult& so_far) {
      progress(so_far.ops[static_cast<int>(OpKind::kFollow)].count());
    };
  }
  absl::StatusOr<RunResult> result = RunLoad(target, edges, options);
  if (!result.ok()) return result.status();
  const OpStats& follows = result->ops[static_cast<int>(OpKind::kFollow)];
  if (follows.error_count() > 0) {
    const auto& [code, count] = *follows.errors.begin();
    return absl::Status(code, absl::StrCat(count, " of ", follows.count(),
                                           " follows failed while loading the graph with ",
                                           absl::StatusCodeToString(code)));
  }
  if (absl::Status synced = target->Sync(absl::Now() + absl::Minutes(10)); !synced.ok()) {
    return synced;
  }
  return result;
}

}  // namespace roost::loadgen
