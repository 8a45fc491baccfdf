#include "loadgen/social_graph.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/stable_hash.h"

namespace roost::loadgen {
absl::StatusOr<SocialGraph> SocialGraph::Create(const SocialGraphSpec& spec) {
  if (spec.users < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("a social graph needs at least 2 users, got ", spec.users));
  }
  if (!(spec.mean_followees >= 0) || !(spec.zipf_exponent >= 0)) {
    return absl::InvalidArgumentError("mean followees and the Zipf exponent must be >= 0");
  }
  SocialGraph graph(spec);
  graph.cdf_.resize(spec.users);
  double total = 0;
  for (uint64_t r = 1; r <= spec.users; ++r) {
    total += std::pow(static_cast<double>(r), -spec.zipf_exponent);
    graph.cdf_[r - 1] = total;
  }
  for (double& c : graph.cdf_) c /= total;
  graph.cdf_.back() = 1.0;  // no draw may fall past the end through rounding
  return graph;
}

UserId SocialGraph::UserByPopularity(double uniform) const {
  const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), uniform);
  const auto index = std::min<size_t>(static_cast<size_t>(it - cdf_.begin()), cdf_.size() - 1);
  return static_cast<UserId>(index + 1);
}

std::vector<UserId> SocialGraph::Followees(UserId user) const {
  // Mixing decorrelates the per-user seeds derived from (seed, user).
  std::mt19937_64 rng(StableHash(spec_.seed ^ StableHash(user)));
  const uint64_t cap = std::min<uint64_t>(kMaxFollowees, spec_.users - 1);
  uint64_t want = 0;
  if (spec_.mean_followees > 0) {
    std::geometric_distribution<uint64_t> count(1.0 / (spec_.mean_followees + 1.0));
    want = std::min(count(rng), cap);
  }
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<UserId> out;
  out.reserve(want);
  absl::flat_hash_set<UserId> seen;
  seen.reserve(want);
  // Popular users are drawn again and again; bound the attempts so a user asking for
  // nearly everyone does not loop for long, at the cost of a few missing edges.
  for (uint64_t attempts = 0; out.size() < want && attempts < 20 * want + 100; ++attempts) {
    const UserId followee = UserByPopularity(uniform(rng));
    if (followee != user && seen.insert(followee).second) out.push_back(followee);
  }
  return out;
}

void SocialGraph::ForEachFollow(UserId first, UserId last,
                                const std::function<void(UserId, UserId)>& fn) const {
  last = std::min<UserId>(last, spec_.users + 1);
  for (UserId user = std::max<UserId>(first, 1); user < last; ++user) {
    for (UserId followee : Followees(user)) fn(user, followee);
  }
}

}  // namespace roost::loadgen
