// SocialGraph is the workload's synthetic follow graph: `users` users (ids 1..users);
// each follows a number of others drawn from a geometric distribution with the given
// mean (capped at Twitter's old 5,000-followee limit), choosing whom by popularity,
// where the user of id r has weight 1/r^s (Zipf). Low ids are the celebrities.
// Follower counts then fall as 1/r^s until they near the number of users, where they
// saturate (each user follows another at most once): with s = 1 and a mean of 30
// followees, user 1 is followed by about 70% of all users, users 100 and 1,000 by
// counts ten times apart. With 2M users and a mean of 50, the top accounts have well
// over 1M followers each.
//
// Deterministic: user u's followees depend only on (seed, u), so any range of users
// can be generated alone, in any order or in parallel, with the same result.
//
// Thread-safe (const after construction).
#ifndef ROOST_LOADGEN_SOCIAL_GRAPH_H_
#define ROOST_LOADGEN_SOCIAL_GRAPH_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "common/types.h"

namespace roost::loadgen {

struct SocialGraphSpec {
  uint64_t users = 1000;
  double mean_followees = 50;
  double zipf_exponent = 1.0;  // s
  uint64_t seed = 1;
};

inline constexpr uint64_t kMaxFollowees = 5000;

class SocialGraph {
 public:
  // INVALID_ARGUMENT for fewer than 2 users, a negative mean or exponent.
  static absl::StatusOr<SocialGraph> Create(const SocialGraphSpec& spec);

  const SocialGraphSpec& spec() const { return spec_; }

  // Whom `user` follows: distinct, never the user itself, in the order drawn.
  std::vector<UserId> Followees(UserId user) const;
  // fn(follower, followee) for every follow of the users in [first, last).
  void ForEachFollow(UserId first, UserId last,
                     const std::function<void(UserId, UserId)>& fn) const;
  // A user drawn by popularity from `uniform` in [0, 1): for choosing whom a workload
  // reads or who posts, with the same skew as the graph.
  UserId UserByPopularity(double uniform) const;

 private:
  explicit SocialGraph(const SocialGraphSpec& spec) : spec_(spec) {}

  SocialGraphSpec spec_;
  std::vector<double> cdf_;  // cdf_[i]: probability of drawing a user id <= i + 1
};

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_SOCIAL_GRAPH_H_
