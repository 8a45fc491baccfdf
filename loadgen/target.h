// Target is what a load-generator driver sends operations to: a Roost over gRPC, the
// Roost engine in-process, or a baseline (the empty RPC, Redis run Mastodon-style).
// The runner (runner.h) schedules operations and measures; a target only executes
// them, so every driver shares one scheduler and one way of measuring.
#ifndef ROOST_LOADGEN_TARGET_H_
#define ROOST_LOADGEN_TARGET_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/types.h"
#include "loadgen/workload.h"

namespace roost::loadgen {

// What an operation returned that the runner needs: a post's tweet and the log
// position and consistency token that make it visible (0 and empty where the target
// has none).
struct Outcome {
  absl::Status status;
  TweetId tweet_id = 0;
  LogOffset position = 0;
  std::string token;
};

class Target {
 public:
  virtual ~Target() = default;

  // A short name for reports: "roost", "embedded", "grpc-empty", "redis".
  virtual std::string name() const = 0;

  // Starts `op`. Reads ask for `limit` hydrated tweets. `done` runs exactly once, on
  // any thread, possibly before Issue returns; Issue must not block on the operation
  // (targets with blocking clients hand it to their own threads). `deadline` bounds
  // the operation; past it, done gets DEADLINE_EXCEEDED.
  virtual void Issue(const Op& op, absl::Time deadline, absl::AnyInvocable<void(Outcome)> done) = 0;

  // Fanout lag: done(OK) once the tweet `post` made is in `follower`'s home timeline;
  // NOT_FOUND when the timeline has been brought up to date and it is not there;
  // DEADLINE_EXCEEDED at `deadline`. Same threading rules as Issue.
  virtual void AwaitVisible(UserId follower, const Outcome& post, absl::Time deadline,
                            absl::AnyInvocable<void(absl::Status)> done) = 0;

  // Whether `user` follows every one of `followees`, read synchronously: for checking,
  // before a run, whether the target already holds the generated graph.
  virtual absl::StatusOr<bool> FollowsAll(UserId user, absl::Span<const UserId> followees) = 0;

  // Waits (until `deadline`) until every write acknowledged so far is visible to
  // reads: after loading a graph, before measuring.
  virtual absl::Status Sync(absl::Time deadline) = 0;
};

// The number of tweets a read asks for, as DeathStarBench's reads do.
inline constexpr uint32_t kReadLimit = 20;

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_TARGET_H_
