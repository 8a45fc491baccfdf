#include "timelines/pulled_authors.h"

#include <algorithm>

namespace roost::timelines {

void PulledAuthors::Add(const Entry& entry) {
  absl::MutexLock lock(&mu_);
  std::vector<Entry>& recent = recent_[entry.author];
  // Newest first; fanout sends an author's tweets nearly in id order, so the place is
  // almost always the front.
  const auto pos = std::lower_bound(recent.begin(), recent.end(), entry,
                                    [](const Entry& a, const Entry& b) { return a.id > b.id; });
  if (pos != recent.end() && pos->id == entry.id) return;
  if (recent.size() >= max_entries_ && pos == recent.end()) return;
  recent.insert(pos, Entry{entry.id, entry.author, entry.flags & kFlagMask});
  if (recent.size() > max_entries_) recent.pop_back();
}

void PulledAuthors::Remove(UserId author, TweetId id) {
  absl::MutexLock lock(&mu_);
  auto it = recent_.find(author);
  if (it == recent_.end()) return;
  std::erase_if(it->second, [id](const Entry& e) { return e.id == id; });
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

void PulledAuthors::AppendRecent(UserId author, TweetId since_id, size_t limit,
                                 std::vector<Entry>* out) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = recent_.find(author);
  if (it == recent_.end()) return;
  size_t taken = 0;
  for (const Entry& entry : it->second) {
    if (entry.id <= since_id || taken == limit) break;
    out->push_back(entry);
    ++taken;
  }
}

size_t PulledAuthors::author_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return recent_.size();
}

}  // namespace roost::timelines
