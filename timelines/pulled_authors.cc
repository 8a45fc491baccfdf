#include "timelines/pulled_authors.h"

#include <algorithm>

namespace roost::timelines {

void PulledAuthors::Add(const Entry& entry) {
  absl::MutexLock lock(&mu_);
  Recent& recent = recent_[entry.author];
  std::vector<Entry>& list = recent.entries;
  if (entry.id <= recent.cut) return;
  // Newest first; fanout sends an author's tweets nearly in id order, so the place is
  // almost always the front.
  const auto pos = std::lower_bound(list.begin(), list.end(), entry,
                                    [](const Entry& a, const Entry& b) { return a.id > b.id; });
  if (pos != list.end() && pos->id == entry.id) return;
  if (list.size() >= max_entries_ && pos == list.end()) {
    recent.cut = entry.id;  // older than a full list: dropped at once
    return;
  }
  list.insert(pos, Entry{entry.id, entry.author, entry.flags & kFlagMask});
  if (list.size() > max_entries_) {
    recent.cut = list.back().id;
    list.pop_back();
  }
}

std::optional<PulledAuthors::Shortfall> PulledAuthors::Remove(UserId author, TweetId id) {
  absl::MutexLock lock(&mu_);
  auto it = recent_.find(author);
  if (it == recent_.end()) return std::nullopt;
  Recent& recent = it->second;
  std::erase_if(recent.entries, [id](const Entry& e) { return e.id == id; });
  // Answered even when the tweet was gone already: a retry after a failed refill.
  if (recent.cut == 0 || recent.entries.size() >= max_entries_) return std::nullopt;
  return Shortfall{recent.cut, max_entries_ - recent.entries.size()};
}

void PulledAuthors::Refill(UserId author, const Shortfall& shortfall, absl::Span<const Entry> older,
                           TweetId new_cut) {
  absl::MutexLock lock(&mu_);
  auto it = recent_.find(author);
  if (it == recent_.end() || it->second.cut != shortfall.cut) return;
  Recent& recent = it->second;
  for (const Entry& entry : older) {
    if (recent.entries.size() == max_entries_) {
      new_cut = std::max(new_cut, entry.id);
      break;
    }
    if (entry.id <= new_cut || entry.id > shortfall.cut) continue;
    recent.entries.push_back(Entry{entry.id, entry.author, entry.flags & kFlagMask});
  }
  recent.cut = new_cut;
}

bool PulledAuthors::IsPulled(UserId author) const {
  absl::ReaderMutexLock lock(&mu_);
  return recent_.contains(author);
}

std::vector<UserId> PulledAuthors::Among(absl::Span<const UserId> users) const {
  std::vector<UserId> pulled;
  absl::ReaderMutexLock lock(&mu_);
  if (recent_.empty()) return pulled;
  for (UserId user : users) {
    if (recent_.contains(user)) pulled.push_back(user);
  }
  return pulled;
}

TweetId PulledAuthors::AppendRecent(UserId author, TweetId since_id, size_t limit,
                                    std::vector<Entry>* out) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = recent_.find(author);
  if (it == recent_.end()) return 0;
  size_t taken = 0;
  for (const Entry& entry : it->second.entries) {
    if (entry.id <= since_id || taken == limit) break;
    out->push_back(entry);
    ++taken;
  }
  return it->second.cut;
}

size_t PulledAuthors::author_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return recent_.size();
}

}  // namespace roost::timelines
