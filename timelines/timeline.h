// Timeline is one user's home timeline: entries newest first (by tweet id), capped at a
// maximum length by dropping the oldest. Inserts are order-tolerant (dedup by id), so
// late, replayed and out-of-order entries land in place and a repeated insert leaves no
// trace.
//
// The cut. What the cap drops is gone from memory, so a timeline remembers where it
// cut: cut() is the highest id it dropped, or was told by Merge it lacks. Every entry
// it was given above the cut is held (unless removed since), and nothing at or below
// the cut is taken in, so the entries always are all there is above it. A timeline
// that removals left with fewer than max_entries entries and a cut above 0 is short:
// only its owner, who keeps older entries elsewhere, can fill it, by Extend.
//
// Entries are held compressed, about 3 to 5 bytes each instead of the 24 of an Entry
// (the figure is loadgen's timeline_bench). Records are kept oldest first in one byte
// vector, each relative to the entry before it:
//
//   [varint(low-bits xor)]  varint(ms delta << 3 | flags << 1 | has_xor)  varint(author index)
//
// where a tweet id is a Snowflake id (ms << 22 | node and sequence), so the ms delta
// between neighbours in one timeline is small, and the low 22 bits usually differ only
// in the sequence. The author is an index into the timeline's own author dictionary
// (home timelines hold the tweets of a few hundred followees at most). A varint's last
// byte is the only one with the high bit clear, so records decode from the newest
// backwards (author index, then delta, whose low bit says whether a xor precedes it):
// newest_ plus the deltas gives every id.
//
// New entries append at the end (the common case, O(1) amortized). The oldest entries a
// full timeline drops stay in the buffer, dead, until there are max/8 of them, and are
// then cut off in one move, so a full timeline does not shift its bytes on every insert.
// Dead entries never come back: a removal leaves them dead.
//
// Not thread-safe; HomeTimelines guards each timeline with its shard's lock.
#ifndef ROOST_TIMELINES_TIMELINE_H_
#define ROOST_TIMELINES_TIMELINE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "common/types.h"

namespace roost::timelines {

// Entry flags. Only these two bits are kept.
inline constexpr uint32_t kRetweet = 1;
inline constexpr uint32_t kReply = 2;
inline constexpr uint32_t kFlagMask = kRetweet | kReply;

struct Entry {
  TweetId id = 0;
  UserId author = 0;
  uint32_t flags = 0;

  bool operator==(const Entry&) const = default;
};

class Timeline {
 public:
  explicit Timeline(size_t max_entries);

  Timeline(Timeline&&) = default;
  Timeline& operator=(Timeline&&) = default;

  // Inserts in id order unless present or at or below the cut; trims to the cap. False
  // when nothing changed (a duplicate, at or below the cut, or older than every entry
  // of a full timeline, which the cut then covers).
  bool Insert(const Entry& entry);
  // Inserts many (any order). On an id already present, the present entry is kept.
  // `cut` says the entries are all the caller has above it (an author's newest ones,
  // say): the timeline's cut is raised to it first, dropping what it holds at or below.
  void Merge(absl::Span<const Entry> entries, TweetId cut = 0);
  // Fills a short timeline from below: `older` (any order) are every entry with an id in
  // (new_cut, cut()], and the cut is lowered to `new_cut`. The cap still applies.
  void Extend(absl::Span<const Entry> older, TweetId new_cut);
  // Returns how many entries were removed. The cut stays where it is.
  size_t RemoveTweet(TweetId id);
  size_t RemoveAuthor(UserId author);

  // Appends to *out up to `limit` entries with since_id < id < max_id (max_id 0: no
  // upper bound), newest first.
  void Page(TweetId max_id, TweetId since_id, size_t limit, std::vector<Entry>* out) const;

  // Live entries.
  size_t size() const { return count_ - dead_; }
  size_t max_entries() const { return max_entries_; }
  // See the top of the file; 0 when nothing was ever dropped. Costs a walk of the
  // entries while the cap's dropped entries still wait in the buffer.
  TweetId cut() const;
  // Fewer than max_entries entries, with older ones known to exist below the cut.
  bool short_of_cap() const { return size() < max_entries_ && cut() != 0; }
  // Every live entry, decoded, newest first.
  std::vector<Entry> entries() const;
  // Asks the CPU to fetch what the next Insert of a newest entry touches.
  void PrefetchTail() const {
    if (!bytes_.empty()) __builtin_prefetch(bytes_.data() + bytes_.size() - 1, 1);
    if (!authors_.empty()) {
      __builtin_prefetch(authors_.data(), 1);
      __builtin_prefetch(reinterpret_cast<const char*>(authors_.data()) + 64, 1);
    }
  }
  // Heap bytes held (records and dictionary, by capacity), not counting sizeof(*this).
  size_t heap_bytes() const;

 private:
  // Index of `author` in the dictionary, counting one more record that uses it. May
  // grow the table, which re-encodes every record (so no record position or index
  // held across the call stays good).
  uint32_t AcquireAuthor(UserId author);
  // The slot holding `author` (*found), or the one it would take.
  size_t FindAuthor(UserId author, bool* found) const;
  // Cuts the dead records off the front of the buffer, raising cut_ to cover them.
  void DropDead();
  // The id of the newest dead record; only while dead_ > 0.
  TweetId NewestDead() const;
  // Replaces everything with `entries` (newest first, sorted, distinct ids, all above
  // the cut), with a dictionary of at least `min_author_slots`. The dead records go,
  // so cut_ is raised to cover them first.
  void Reset(absl::Span<const Entry> entries, size_t min_author_slots = 0);
  // Replaces bytes_[begin, end) with [data, data_end).
  void Replace(size_t begin, size_t end, const uint8_t* data, const uint8_t* data_end);
  // Makes room for `more` bytes, growing by a quarter rather than doubling.
  void Reserve(size_t more);

  std::vector<uint8_t> bytes_;  // records, oldest first
  // The dictionary: an open-addressing hash table whose slot numbers are the author
  // indices the records hold, so finding an author is a probe or two, not a scan, and
  // an index never moves until the table grows (which re-encodes the records). Each
  // slot holds an author and how many records (dead ones included) use it; a slot
  // whose count falls to 0 may take another author. 12 bytes a slot, so an insert
  // touches one block.
  struct AuthorSlot {
    static constexpr uint32_t kUnused = UINT32_MAX;  // `refs` of a slot never taken
    uint32_t id_low = 0;
    uint32_t id_high = 0;
    uint32_t refs = kUnused;
    UserId id() const { return (UserId{id_high} << 32) | id_low; }
    void set_id(UserId id) {
      id_low = static_cast<uint32_t>(id);
      id_high = static_cast<uint32_t>(id >> 32);
    }
  };
  std::vector<AuthorSlot> authors_;  // empty, or a power of two of slots
  uint32_t used_slots_ = 0;          // slots ever taken since the table was made
  TweetId newest_ = 0;               // id of the last record; 0 when empty
  TweetId cut_ = 0;                  // cut() once the dead records are dropped
  uint32_t max_entries_;
  uint32_t count_ = 0;  // records in bytes_
  uint32_t dead_ = 0;   // the oldest `dead_` records are trimmed
};

}  // namespace roost::timelines

#endif  // ROOST_TIMELINES_TIMELINE_H_
