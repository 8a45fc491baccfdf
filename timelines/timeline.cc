#include "timelines/timeline.h"

#include <algorithm>
#include <utility>

namespace roost::timelines {
namespace {

// Entries are kept id descending, so "comes before" means "has a larger id".
bool Newer(const Entry& a, const Entry& b) { return a.id > b.id; }

// Below this many new entries, binary inserts into the existing vector beat
// rebuilding it.
constexpr size_t kMergeByInsertBelow = 8;

}  // namespace

bool Timeline::Insert(const Entry& entry) {
  const auto pos = std::lower_bound(entries_.begin(), entries_.end(), entry, Newer);
  if (pos != entries_.end() && pos->id == entry.id) return false;
  // Older than everything in a full timeline: it would be trimmed at once.
  if (entries_.size() >= max_entries_ && pos == entries_.end()) return false;
  entries_.insert(pos, entry);
  if (entries_.size() > max_entries_) entries_.pop_back();
  return true;
}

void Timeline::Merge(absl::Span<const Entry> entries) {
  if (entries.size() < kMergeByInsertBelow) {
    for (const Entry& entry : entries) Insert(entry);
    return;
  }
  std::vector<Entry> incoming(entries.begin(), entries.end());
  if (!std::is_sorted(incoming.begin(), incoming.end(), Newer)) {
    std::stable_sort(incoming.begin(), incoming.end(), Newer);
  }

  // A two-way merge that keeps the existing entry on an id tie (as Insert does), drops
  // duplicates within `incoming`, and stops at the cap.
  std::vector<Entry> merged;
  merged.reserve(std::min(max_entries_, entries_.size() + incoming.size()));
  auto old_it = entries_.begin();
  auto new_it = incoming.begin();
  while (merged.size() < max_entries_ &&
         (old_it != entries_.end() || new_it != incoming.end())) {
    const Entry* next;
    if (new_it == incoming.end() || (old_it != entries_.end() && old_it->id >= new_it->id)) {
      next = &*old_it++;
    } else {
      next = &*new_it++;
    }
    if (!merged.empty() && merged.back().id == next->id) continue;
    merged.push_back(*next);
  }
  entries_ = std::move(merged);
}

size_t Timeline::RemoveTweet(TweetId id) {
  const auto pos = std::lower_bound(entries_.begin(), entries_.end(), Entry{id, 0, 0}, Newer);
  if (pos == entries_.end() || pos->id != id) return 0;
  entries_.erase(pos);
  return 1;
}

size_t Timeline::RemoveAuthor(UserId author) {
  return std::erase_if(entries_, [author](const Entry& e) { return e.author == author; });
}

void Timeline::Page(TweetId max_id, TweetId since_id, size_t limit, const AuthorSet* exclude,
                    std::vector<Entry>* out) const {
  // First entry with id < max_id: ids fall along the vector.
  auto it = entries_.begin();
  if (max_id != 0) {
    it = std::upper_bound(entries_.begin(), entries_.end(), max_id,
                          [](TweetId bound, const Entry& e) { return bound > e.id; });
  }
  for (size_t taken = 0; it != entries_.end() && it->id > since_id && taken < limit; ++it) {
    if (exclude != nullptr && exclude->contains(it->author)) continue;
    out->push_back(*it);
    ++taken;
  }
}

}  // namespace roost::timelines
