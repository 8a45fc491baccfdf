// Workload turns a social graph and an operation mix into a stream of operations for
// the drivers. The default mix is DeathStarBench's social-network mix: 60% home
// timeline reads, 30% user timeline reads, 10% posts; follows and unfollows can be
// added. Who acts is uniform over users (every user is equally active); whose user
// timeline is read follows popularity (profiles of celebrities are viewed more); post
// texts have a realistic, long-tailed length (log-normal, median 40 code points,
// capped at 280) and include multi-byte characters.
//
// Fanout sampling: a chosen fraction of posts carry an `observer`, a follower of the
// author whose home timeline the driver watches for the tweet (fanout lag). Sampling
// never changes the operations themselves (a separate random stream decides it), so a
// measurement setting cannot change the load. Observers are a fixed set of up to
// kMaxObservers users chosen at construction; a post is sampled only when its author
// has a follower among them, which for small graphs is nearly every author and for
// large ones favours authors with more followers.
//
// Deterministic for a given seed. Not thread-safe: one per driver thread, each with
// its own seed.
#ifndef ROOST_LOADGEN_WORKLOAD_H_
#define ROOST_LOADGEN_WORKLOAD_H_

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/types.h"
#include "loadgen/social_graph.h"

namespace roost::loadgen {

// kPing is the empty RPC of the grpc-empty baseline (Admin.Ping): what a call costs
// when the server does nothing.
enum class OpKind { kHome = 0, kUser, kPost, kFollow, kUnfollow, kPing };
inline constexpr int kNumOpKinds = 6;
absl::string_view OpName(OpKind kind);

// Relative weights; they need not sum to 100.
struct Mix {
  std::array<double, kNumOpKinds> weight = {60, 30, 10, 0, 0, 0};
};

// Parses "home=60,user=30,post=10,follow=1,unfollow=1" (and "ping"); kinds left out
// weigh 0.
// INVALID_ARGUMENT names the bad part.
absl::StatusOr<Mix> ParseMix(absl::string_view text);

struct Op {
  OpKind kind = OpKind::kHome;
  UserId user = 0;      // who acts (reader, author, follower)
  UserId target = 0;    // whose user timeline is read; whom to (un)follow
  std::string text;     // kPost
  UserId observer = 0;  // kPost, when sampled: a follower of the author to watch
};

class Workload {
 public:
  static constexpr uint64_t kMaxObservers = 5000;

  // `graph` is not owned and must outlive the workload.
  // `fanout_sample` in [0, 1]: the fraction of posts that carry an observer.
  Workload(const SocialGraph* graph, const Mix& mix, uint64_t seed, double fanout_sample = 0);

  // The next operation. Reads ask for 20 hydrated tweets (the drivers' default).
  Op Next();

 private:
  UserId AnyUser();
  std::string PostText();
  // A followee of `user`, or 0 when the user follows nobody.
  UserId AnyFollowee(UserId user);
  // An observer following `author`, or 0 (drawn from sample_rng_).
  UserId ObserverOf(UserId author);

  const SocialGraph* const graph_;
  std::mt19937_64 rng_;
  std::discrete_distribution<int> kind_;
  std::lognormal_distribution<double> length_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  const double fanout_sample_;
  std::mt19937_64 sample_rng_;  // only for fanout sampling, apart from the operations
  absl::flat_hash_map<UserId, std::vector<UserId>> observers_;  // author -> observers
};

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_WORKLOAD_H_
