// TimelineSource is what home timelines read from the stores below them, and
// ReadNewest is the read built on it: the newest tweets a home timeline shows, below a
// bound. A rebuild reads the newest max_entries; a refill of a timeline that removals
// left short reads the next older ones below its cut. Both read the graph as it is now,
// which may be ahead of the timeline (never behind it: the pipeline writes the graph
// before it tells the timelines), and the operations still on their way to the
// timeline make up the difference.
//
// What a home timeline shows (DESIGN.md, "the home-timeline contract"): the tweets of
// the user and of the authors it follows, not deleted, and not by an author the user
// blocks or mutes or who blocks the user. Those authors are hidden from the user before
// anything is counted against the cap, so hiding one never leaves a timeline short.
#ifndef ROOST_TIMELINES_TIMELINE_SOURCE_H_
#define ROOST_TIMELINES_TIMELINE_SOURCE_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/types.h"
#include "timelines/timeline.h"

namespace roost::timelines {

// Implemented by the wiring layer over the graph and tweet stores, so this module
// depends on neither. Must be thread-safe.
class TimelineSource {
 public:
  virtual ~TimelineSource() = default;
  // Whom `user` follows (state NORMAL).
  virtual absl::StatusOr<std::vector<UserId>> Followees(UserId user) = 0;
  // Whether `user` follows `author` (state NORMAL).
  virtual absl::StatusOr<bool> Follows(UserId user, UserId author) = 0;
  // The authors hidden from `user`: those it blocks or mutes and those who block it
  // (state NORMAL), in any order, possibly repeated.
  virtual absl::StatusOr<std::vector<UserId>> HiddenAuthors(UserId user) = 0;
  // Whether `author` is one of HiddenAuthors(user).
  virtual absl::StatusOr<bool> IsHidden(UserId user, UserId author) = 0;
  // The author's newest undeleted tweets with id < `before` (0: no bound), newest
  // first, at most `limit`.
  virtual absl::StatusOr<std::vector<Entry>> RecentTweets(UserId author, TweetId before,
                                                          size_t limit) = 0;
  // RecentTweets of each of `authors`, in their order. One call for all, so a source
  // that reads authors kept elsewhere can ask each place once; by default, one by one.
  virtual absl::StatusOr<std::vector<std::vector<Entry>>> RecentTweetsOfEach(
      absl::Span<const UserId> authors, TweetId before, size_t limit);
};

// What ReadNewest found.
struct SourceRead {
  std::vector<Entry> entries;  // newest first, at most the count asked for
  // Every tweet the user's home shows with an id below `before` and above this one is
  // in `entries`; 0 when they are all there (nothing older is left).
  TweetId cut = 0;
  std::vector<UserId> followees;  // as read
  std::vector<UserId> hidden;     // as read, sorted, distinct
};

// The newest `count` tweets `user`'s home shows with id < `before` (0: no bound): a
// k-way merge of the recent tweets of the user and of every followee not hidden from it.
absl::StatusOr<SourceRead> ReadNewest(TimelineSource& source, UserId user, TweetId before,
                                      size_t count);

// Newest first across `lists` (each newest first), without duplicate ids, at most
// `limit` entries: a k-way merge through a heap of list heads.
std::vector<Entry> MergeNewestFirst(const std::vector<std::vector<Entry>>& lists, size_t limit);

}  // namespace roost::timelines

#endif  // ROOST_TIMELINES_TIMELINE_SOURCE_H_
