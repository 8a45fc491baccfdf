// Timeline is one user's home timeline: entries sorted by tweet id descending (newest
// first), capped at a maximum length by dropping the oldest. Inserts are
// order-tolerant (binary search, dedup by id), so late, replayed and out-of-order
// entries land in place and a repeated insert leaves no trace.
//
// Not thread-safe; HomeTimelines guards each timeline with its shard's lock.
#ifndef ROOST_TIMELINES_TIMELINE_H_
#define ROOST_TIMELINES_TIMELINE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "common/types.h"

namespace roost::timelines {

// Entry flags.
inline constexpr uint32_t kRetweet = 1;
inline constexpr uint32_t kReply = 2;

struct Entry {
  TweetId id = 0;
  UserId author = 0;
  uint32_t flags = 0;

  bool operator==(const Entry&) const = default;
};

// Authors whose entries a read skips (blocked and muted users).
using AuthorSet = absl::flat_hash_set<UserId>;

class Timeline {
 public:
  explicit Timeline(size_t max_entries) : max_entries_(max_entries) {}

  // Inserts in id order unless present; trims to the cap. False when nothing changed
  // (a duplicate, or older than every entry of a full timeline).
  bool Insert(const Entry& entry);
  // Inserts many (any order).
  void Merge(absl::Span<const Entry> entries);
  // Returns how many entries were removed.
  size_t RemoveTweet(TweetId id);
  size_t RemoveAuthor(UserId author);

  // Appends to *out up to `limit` entries with since_id < id < max_id (max_id 0: no
  // upper bound), newest first, skipping authors in `exclude` (may be null) before
  // counting toward the limit, so a page is full whenever enough entries exist.
  void Page(TweetId max_id, TweetId since_id, size_t limit, const AuthorSet* exclude,
            std::vector<Entry>* out) const;

  size_t size() const { return entries_.size(); }
  size_t max_entries() const { return max_entries_; }
  absl::Span<const Entry> entries() const { return entries_; }

 private:
  size_t max_entries_;
  std::vector<Entry> entries_;  // id descending
};

}  // namespace roost::timelines

#endif  // ROOST_TIMELINES_TIMELINE_H_
