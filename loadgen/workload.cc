#include "loadgen/workload.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace roost::loadgen {
namespace {

constexpr absl::string_view kNames[kNumOpKinds] = {"home",   "user",     "post",
                                                   "follow", "unfollow", "ping"};

// Words a post is made of; a few are multi-byte so the server's code-point counting
// and UTF-8 validation are exercised, not just ASCII.
constexpr absl::string_view kWords[] = {
    "roost", "timeline", "follow", "the",   "a",     "of",  "and",  "to",    "in",   "is",
    "it",    "that",     "for",    "on",    "with",  "as",  "was",  "at",    "by",   "this",
    "we",    "you",      "news",   "today", "great", "new", "game", "music", "love", "time",
    "café",  "naïve",    "über",   "→",     "🐦",     "🚀",   "日本", "ñandú"};

}  // namespace

absl::string_view OpName(OpKind kind) { return kNames[static_cast<int>(kind)]; }

absl::StatusOr<Mix> ParseMix(absl::string_view text) {
  Mix mix;
  mix.weight.fill(0);
  double total = 0;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> kv = absl::StrSplit(part, '=');
    for (absl::string_view& side : kv) side = absl::StripAsciiWhitespace(side);
    double weight;
    if (kv.size() != 2 || !absl::SimpleAtod(kv[1], &weight) || !(weight >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("mix part '", part, "' is not kind=weight with weight >= 0"));
    }
    const auto* it = std::find(std::begin(kNames), std::end(kNames), kv[0]);
    if (it == std::end(kNames)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown operation '", kv[0], "' in the mix (home, user, post, follow, unfollow, ping)"));
    }
    mix.weight[it - std::begin(kNames)] = weight;
    total += weight;
  }
  if (total <= 0) return absl::InvalidArgumentError("the mix has no operation with weight > 0");
  return mix;
}

Workload::Workload(const SocialGraph* graph, const Mix& mix, uint64_t seed, double fanout_sample)
    : graph_(graph),
      rng_(seed),
      kind_(mix.weight.begin(), mix.weight.end()),
      length_(std::log(40.0), 0.7),
      fanout_sample_(fanout_sample),
      sample_rng_(seed ^ 0x6f62736572766572) {  // "observer"
  if (fanout_sample_ <= 0) return;
  const uint64_t users = graph_->spec().users;
  const uint64_t observers = std::min(users, kMaxObservers);
  for (uint64_t i = 0; i < observers; ++i) {
    // Spread over the id range, so that celebrities and the long tail both observe.
    const UserId observer = 1 + i * users / observers;
    for (UserId followee : graph_->Followees(observer)) observers_[followee].push_back(observer);
  }
}

UserId Workload::ObserverOf(UserId author) {
  const auto it = observers_.find(author);
  if (it == observers_.end()) return 0;
  return it->second[sample_rng_() % it->second.size()];
}

UserId Workload::AnyFollowee(UserId user) {
  const std::vector<UserId> followees = graph_->Followees(user);
  if (followees.empty()) return 0;
  return followees[rng_() % followees.size()];
}

UserId Workload::AnyUser() {
  return 1 + static_cast<UserId>(uniform_(rng_) * static_cast<double>(graph_->spec().users)) %
                 graph_->spec().users;
}

std::string Workload::PostText() {
  const size_t want = std::clamp<size_t>(static_cast<size_t>(length_(rng_)), 1, 280);
  std::string text;
  size_t code_points = 0;
  while (code_points < want) {
    if (!text.empty()) {
      text.push_back(' ');
      ++code_points;
    }
    const absl::string_view word = kWords[rng_() % std::size(kWords)];
    for (size_t i = 0; i < word.size() && code_points < want; ++i) {
      // Copy one whole UTF-8 sequence per code point so the text stays valid.
      size_t len = 1;
      const unsigned char lead = static_cast<unsigned char>(word[i]);
      if (lead >= 0xF0)
        len = 4;
      else if (lead >= 0xE0)
        len = 3;
      else if (lead >= 0xC0)
        len = 2;
      text.append(word.data() + i, std::min(len, word.size() - i));
      i += len - 1;
      ++code_points;
    }
  }
  return text;
}

Op Workload::Next() {
  Op op;
  op.kind = static_cast<OpKind>(kind_(rng_));
  op.user = AnyUser();
  switch (op.kind) {
    case OpKind::kHome:
      break;
    case OpKind::kUser:
      op.target = graph_->UserByPopularity(uniform_(rng_));
      break;
    case OpKind::kPost:
      op.text = PostText();
      if (fanout_sample_ > 0 &&
          std::uniform_real_distribution<double>(0, 1)(sample_rng_) < fanout_sample_) {
        op.observer = ObserverOf(op.user);
      }
      break;
    case OpKind::kFollow:
      do {
        op.target = graph_->UserByPopularity(uniform_(rng_));
      } while (op.target == op.user);
      break;
    case OpKind::kUnfollow:
      // Someone the user follows in the generated graph, as a real unfollow would be.
      op.target = AnyFollowee(op.user);
      while (op.target == 0 || op.target == op.user) {
        op.target = graph_->UserByPopularity(uniform_(rng_));
      }
      break;
    case OpKind::kPing:
      break;
  }
  return op;
}

}  // namespace roost::loadgen
