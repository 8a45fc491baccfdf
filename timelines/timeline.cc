#include "timelines/timeline.h"

#include <algorithm>
#include <utility>

namespace roost::timelines {
namespace {

// A Snowflake id is milliseconds above 22 bits of node and sequence.
constexpr int kTimeShift = 22;
constexpr uint64_t kLowMask = (uint64_t{1} << kTimeShift) - 1;
// The delta varint: ms delta << 3 | flags << 1 | has_xor.
constexpr uint64_t kHasXor = 1;
constexpr int kDeltaShift = 3;
constexpr size_t kMinAuthorSlots = 8;
// The longest record: a 4-byte xor, a 10-byte delta and a 5-byte author index.
constexpr size_t kMaxRecordBytes = 25;

uint8_t* PutVarint(uint64_t v, uint8_t* p) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// Reads the varint that ends just before *end and moves *end to its first byte. Only a
// varint's last byte has the high bit clear, so the one before it ends where that bit
// is clear again.
uint64_t GetVarintBefore(const uint8_t* base, size_t* end) {
  size_t begin = *end - 1;
  while (begin > 0 && (base[begin - 1] & 0x80) != 0) --begin;
  uint64_t v = 0;
  int shift = 0;
  for (size_t i = begin; i < *end; ++i, shift += 7)
    v |= static_cast<uint64_t>(base[i] & 0x7f) << shift;
  *end = begin;
  return v;
}

// Encodes entry `id` relative to the entry before it (`older`, 0 for the first) into
// `out`, returning the end of the record.
uint8_t* EncodeRecord(TweetId older, TweetId id, uint32_t author_index, uint32_t flags,
                      uint8_t* out) {
  const uint64_t low_xor = (id ^ older) & kLowMask;
  if (low_xor != 0) out = PutVarint(low_xor, out);
  out = PutVarint((((id >> kTimeShift) - (older >> kTimeShift)) << kDeltaShift) |
                      ((flags & kFlagMask) << 1) | (low_xor != 0 ? kHasXor : 0),
                  out);
  return PutVarint(author_index, out);
}

// One record read backwards: the entry's fields and where its bytes begin.
struct Record {
  size_t begin = 0;
  TweetId older = 0;  // the id of the entry before it (0 for the first)
  uint32_t author_index = 0;
  uint32_t flags = 0;
};

// Decodes the record that ends at `end` and holds entry `id`.
Record DecodeRecordBefore(const uint8_t* base, size_t end, TweetId id) {
  Record record;
  record.author_index = static_cast<uint32_t>(GetVarintBefore(base, &end));
  const uint64_t delta = GetVarintBefore(base, &end);
  const uint64_t low_xor = (delta & kHasXor) != 0 ? GetVarintBefore(base, &end) : 0;
  record.begin = end;
  record.older =
      (((id >> kTimeShift) - (delta >> kDeltaShift)) << kTimeShift) | ((id & kLowMask) ^ low_xor);
  record.flags = static_cast<uint32_t>(delta >> 1) & kFlagMask;
  return record;
}

// Walks records newest first. At each step, id() is the entry and [begin(), end()) its
// record; Next() moves to the entry before it.
class Cursor {
 public:
  Cursor(const std::vector<uint8_t>& bytes, TweetId newest)
      : base_(bytes.data()), end_(bytes.size()), id_(newest) {
    if (end_ > 0) record_ = DecodeRecordBefore(base_, end_, id_);
  }
  TweetId id() const { return id_; }
  const Record& record() const { return record_; }
  size_t begin() const { return record_.begin; }
  size_t end() const { return end_; }
  // Only while there is an older record.
  void Next() {
    end_ = record_.begin;
    id_ = record_.older;
    if (end_ > 0) record_ = DecodeRecordBefore(base_, end_, id_);
  }

 private:
  const uint8_t* base_;
  size_t end_;
  TweetId id_;
  Record record_;
};

bool Newer(const Entry& a, const Entry& b) { return a.id > b.id; }

}  // namespace

Timeline::Timeline(size_t max_entries)
    : max_entries_(static_cast<uint32_t>(std::max<size_t>(max_entries, 1))) {}

void Timeline::Reserve(size_t more) {
  if (bytes_.size() + more <= bytes_.capacity()) return;
  bytes_.reserve(bytes_.size() + more + bytes_.size() / 4 + 16);
}

void Timeline::Replace(size_t begin, size_t end, const uint8_t* data, const uint8_t* data_end) {
  const size_t old_size = end - begin;
  const size_t new_size = static_cast<size_t>(data_end - data);
  const auto at = [this](size_t i) { return bytes_.begin() + static_cast<ptrdiff_t>(i); };
  if (new_size > old_size) {
    Reserve(new_size - old_size);
    bytes_.insert(at(end), data + old_size, data_end);
  } else if (new_size < old_size) {
    bytes_.erase(at(begin + new_size), at(end));
  }
  std::copy(data, data + std::min(old_size, new_size), at(begin));
}

size_t Timeline::FindAuthor(UserId author, bool* found) const {
  const auto low = static_cast<uint32_t>(author);
  const auto high = static_cast<uint32_t>(author >> 32);
  const size_t mask = authors_.size() - 1;
  size_t reusable = authors_.size();
  // Fibonacci hashing: the top bits of the product.
  const int shift = 64 - __builtin_ctzll(authors_.size());
  for (size_t i = (author * 0x9E3779B97F4A7C15ull) >> shift;; i = (i + 1) & mask) {
    const AuthorSlot& slot = authors_[i];
    if (slot.refs == AuthorSlot::kUnused) {
      *found = false;
      return reusable != authors_.size() ? reusable : i;
    }
    if (slot.id_low == low && slot.id_high == high) {
      *found = true;
      return i;
    }
    if (slot.refs == 0 && reusable == authors_.size()) reusable = i;
  }
}

uint32_t Timeline::AcquireAuthor(UserId author) {
  if (authors_.empty()) authors_.resize(kMinAuthorSlots);
  bool found = false;
  size_t i = FindAuthor(author, &found);
  if (!found && authors_[i].refs == AuthorSlot::kUnused) {
    // Taking a fresh slot. At most 7/8 taken keeps a slot free and probes short enough
    // (a table of 12-byte slots is a few cache lines), at the memory the records save.
    if ((used_slots_ + 1) * 8 > authors_.size() * 7) {
      // Rebuilt without the slots no record uses any more; twice the size only if the
      // authors in use would still fill more than 7/16 of it, so that churn of authors
      // never grows the table without bound.
      size_t in_use = 1;
      for (const AuthorSlot& slot : authors_) {
        in_use += slot.refs != 0 && slot.refs != AuthorSlot::kUnused ? 1 : 0;
      }
      const size_t slots =
          in_use * 16 > authors_.size() * 7 ? authors_.size() * 2 : authors_.size();
      const std::vector<Entry> live = entries();
      Reset(live, slots);
      i = FindAuthor(author, &found);
    }
    if (!found && authors_[i].refs == AuthorSlot::kUnused) ++used_slots_;
  }
  AuthorSlot& slot = authors_[i];
  if (!found) {
    slot.set_id(author);
    slot.refs = 0;
  }
  ++slot.refs;
  return static_cast<uint32_t>(i);
}

bool Timeline::Insert(const Entry& entry) {
  if (entry.id == 0) return false;  // not a tweet id; 0 means "none" here
  // First, as it may re-encode everything; given back if nothing is inserted.
  const uint32_t author_index = AcquireAuthor(entry.author);
  const auto give_back = [&] { --authors_[author_index].refs; };
  const uint32_t live = count_ - dead_;
  // An empty timeline may still have a cut (its entries were removed).
  if (count_ == 0 && entry.id <= cut_) {
    give_back();
    return false;
  }
  if (count_ == 0 || entry.id > newest_) {
    // The common case: newer than everything, so appended.
    Reserve(kMaxRecordBytes);
    uint8_t record[kMaxRecordBytes];
    uint8_t* end = EncodeRecord(newest_, entry.id, author_index, entry.flags, record);
    bytes_.insert(bytes_.end(), record, end);
    newest_ = entry.id;
    ++count_;
    if (live == max_entries_) ++dead_;
    if (dead_ > max_entries_ / 8) DropDead();
    return true;
  }

  // Find the newest entry older than this one; `newer` is the one after it.
  Cursor cursor(bytes_, newest_);
  Cursor newer = cursor;
  uint32_t seen = 0;
  while (seen < live && cursor.id() > entry.id) {
    newer = cursor;
    cursor.Next();
    ++seen;
  }
  if (seen < live && cursor.id() == entry.id) {
    give_back();
    return false;
  }
  if (seen == live) {
    // Older than every live entry. `cursor` is now the newest dead record, if any.
    const TweetId cut = dead_ > 0 ? cursor.id() : cut_;
    if (entry.id <= cut) {
      give_back();
      return false;
    }
    if (live == max_entries_) {
      // Dropped at once, as if inserted and trimmed: the cut now covers it.
      give_back();
      DropDead();
      cut_ = entry.id;
      return false;
    }
    if (dead_ > 0) {
      // It belongs among the dead, which must stay dead: cut them first.
      give_back();
      DropDead();
      return Insert(entry);
    }
  }
  // Between `cursor` (older; id 0 when none) and `newer`: re-encode `newer` relative
  // to the new entry and put the new record before it.
  const TweetId older_id = seen == live ? 0 : cursor.id();
  uint8_t records[2 * kMaxRecordBytes];
  uint8_t* end = EncodeRecord(older_id, entry.id, author_index, entry.flags, records);
  end = EncodeRecord(entry.id, newer.id(), newer.record().author_index, newer.record().flags, end);
  Replace(newer.begin(), newer.end(), records, end);
  ++count_;
  if (live == max_entries_) ++dead_;
  if (dead_ > max_entries_ / 8) DropDead();
  return true;
}

TweetId Timeline::NewestDead() const {
  Cursor cursor(bytes_, newest_);
  for (uint32_t i = 0; i < count_ - dead_; ++i) cursor.Next();
  return cursor.id();
}

TweetId Timeline::cut() const { return dead_ > 0 ? NewestDead() : cut_; }

void Timeline::DropDead() {
  if (dead_ == 0) return;
  const uint32_t live = count_ - dead_;
  if (live == 0) {
    Reset({});
    return;
  }
  Cursor cursor(bytes_, newest_);
  for (uint32_t i = 1; i < live; ++i) cursor.Next();
  // `cursor` is the oldest live entry; release the authors of the dead before it.
  const Record oldest = cursor.record();
  const TweetId oldest_id = cursor.id();
  const size_t oldest_end = cursor.end();
  for (uint32_t i = 0; i < dead_; ++i) {
    cursor.Next();
    if (i == 0) cut_ = cursor.id();
    --authors_[cursor.record().author_index].refs;
  }
  uint8_t record[kMaxRecordBytes];
  Replace(0, oldest_end, record,
          EncodeRecord(0, oldest_id, oldest.author_index, oldest.flags, record));
  count_ = live;
  dead_ = 0;
}

void Timeline::Reset(absl::Span<const Entry> entries, size_t min_author_slots) {
  if (dead_ > 0) cut_ = NewestDead();
  bytes_.clear();
  authors_.clear();
  used_slots_ = 0;
  newest_ = 0;
  count_ = 0;
  dead_ = 0;
  if (entries.empty() && min_author_slots == 0) {
    bytes_.shrink_to_fit();
    authors_.shrink_to_fit();
    return;
  }
  // A table the entries' authors fill at most 7/8 of, so no insert below grows it.
  std::vector<UserId> distinct;
  distinct.reserve(entries.size());
  for (const Entry& entry : entries) distinct.push_back(entry.author);
  std::sort(distinct.begin(), distinct.end());
  const size_t authors =
      static_cast<size_t>(std::unique(distinct.begin(), distinct.end()) - distinct.begin());
  size_t slots = std::max(kMinAuthorSlots, min_author_slots);
  while (authors * 8 > slots * 7) slots *= 2;
  authors_.assign(slots, AuthorSlot{});
  authors_.shrink_to_fit();

  Reserve(entries.size() * 4);
  uint8_t record[kMaxRecordBytes];
  TweetId older = 0;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    Reserve(kMaxRecordBytes);
    uint8_t* end = EncodeRecord(older, it->id, AcquireAuthor(it->author), it->flags, record);
    bytes_.insert(bytes_.end(), record, end);
    older = it->id;
  }
  newest_ = older;
  count_ = static_cast<uint32_t>(entries.size());
}

void Timeline::Merge(absl::Span<const Entry> entries, TweetId cut) {
  // Below this many new entries, inserts in place beat re-encoding the timeline.
  constexpr size_t kMergeByInsertBelow = 8;
  if (entries.size() < kMergeByInsertBelow && (cut == 0 || cut <= this->cut())) {
    for (const Entry& entry : entries) Insert(entry);
    return;
  }
  const TweetId floor = std::max(this->cut(), cut);
  std::vector<Entry> incoming;
  incoming.reserve(entries.size());
  for (const Entry& entry : entries) {
    if (entry.id > floor) incoming.push_back(entry);
  }
  if (!std::is_sorted(incoming.begin(), incoming.end(), Newer)) {
    std::stable_sort(incoming.begin(), incoming.end(), Newer);
  }
  std::vector<Entry> present = this->entries();
  std::erase_if(present, [floor](const Entry& e) { return e.id <= floor; });

  // A two-way merge that keeps the present entry on an id tie (as Insert does), drops
  // duplicates within `incoming`, and stops at the cap, which then cuts at the first
  // entry left out.
  std::vector<Entry> merged;
  merged.reserve(std::min<size_t>(max_entries_, present.size() + incoming.size()));
  TweetId new_cut = floor;
  auto old_it = present.begin();
  auto new_it = incoming.begin();
  while (old_it != present.end() || new_it != incoming.end()) {
    const Entry* next;
    if (new_it == incoming.end() || (old_it != present.end() && old_it->id >= new_it->id)) {
      next = &*old_it++;
    } else {
      next = &*new_it++;
    }
    if (!merged.empty() && merged.back().id == next->id) continue;
    if (merged.size() == max_entries_) {
      new_cut = next->id;
      break;
    }
    merged.push_back(*next);
  }
  Reset(merged);
  cut_ = new_cut;
}

void Timeline::Extend(absl::Span<const Entry> older, TweetId new_cut) {
  DropDead();
  cut_ = std::min(cut_, new_cut);
  Merge(older);
}

size_t Timeline::RemoveTweet(TweetId id) {
  const uint32_t live = count_ - dead_;
  if (live == 0 || id > newest_) return 0;
  Cursor cursor(bytes_, newest_);
  Cursor newer = cursor;
  bool has_newer = false;
  uint32_t seen = 0;
  while (cursor.id() > id) {
    if (++seen == live) return 0;
    newer = cursor;
    has_newer = true;
    cursor.Next();
  }
  if (cursor.id() != id) return 0;
  --authors_[cursor.record().author_index].refs;
  --count_;
  const TweetId older_id = cursor.record().older;
  if (!has_newer) {
    // The newest: its predecessor (live or dead) becomes the last record.
    bytes_.erase(bytes_.begin() + static_cast<ptrdiff_t>(cursor.begin()), bytes_.end());
    newest_ = count_ == 0 ? 0 : older_id;
  } else {
    // Re-encode `newer` relative to the removed entry's predecessor, over both records.
    uint8_t record[kMaxRecordBytes];
    Replace(cursor.begin(), newer.end(), record,
            EncodeRecord(older_id, newer.id(), newer.record().author_index, newer.record().flags,
                         record));
  }
  if (count_ == dead_) Reset({});
  return 1;
}

size_t Timeline::RemoveAuthor(UserId author) {
  if (authors_.empty()) return 0;
  bool found = false;
  const size_t slot = FindAuthor(author, &found);
  if (!found || authors_[slot].refs == 0) return 0;
  std::vector<Entry> kept = entries();
  const size_t before = kept.size();
  std::erase_if(kept, [author](const Entry& e) { return e.author == author; });
  const size_t removed = before - kept.size();
  if (removed > 0 || dead_ > 0) Reset(kept);
  return removed;
}

void Timeline::Page(TweetId max_id, TweetId since_id, size_t limit, std::vector<Entry>* out) const {
  const uint32_t live = count_ - dead_;
  if (live == 0 || limit == 0) return;
  Cursor cursor(bytes_, newest_);
  size_t taken = 0;
  for (uint32_t i = 0; i < live; ++i) {
    if (i > 0) cursor.Next();
    const TweetId id = cursor.id();
    if (id <= since_id) return;
    if (max_id != 0 && id >= max_id) continue;
    out->push_back(Entry{id, authors_[cursor.record().author_index].id(), cursor.record().flags});
    if (++taken == limit) return;
  }
}

std::vector<Entry> Timeline::entries() const {
  std::vector<Entry> out;
  out.reserve(size());
  Page(0, 0, size(), &out);
  return out;
}

size_t Timeline::heap_bytes() const {
  return bytes_.capacity() + authors_.capacity() * sizeof(AuthorSlot);
}

}  // namespace roost::timelines
