#include "timelines/timeline_source.h"

#include <algorithm>
#include <queue>
#include <utility>

#include "common/status_macros.h"

namespace roost::timelines {

std::vector<Entry> MergeNewestFirst(const std::vector<std::vector<Entry>>& lists, size_t limit) {
  struct Head {
    TweetId id;
    size_t list;
    size_t index;
    bool operator<(const Head& other) const { return id < other.id; }  // max-heap on id
  };
  std::priority_queue<Head> heads;
  for (size_t i = 0; i < lists.size(); ++i) {
    if (!lists[i].empty()) heads.push({lists[i][0].id, i, 0});
  }
  std::vector<Entry> merged;
  while (!heads.empty() && merged.size() < limit) {
    const Head head = heads.top();
    heads.pop();
    const Entry& entry = lists[head.list][head.index];
    if (merged.empty() || merged.back().id != entry.id) merged.push_back(entry);
    if (head.index + 1 < lists[head.list].size()) {
      heads.push({lists[head.list][head.index + 1].id, head.list, head.index + 1});
    }
  }
  return merged;
}

absl::StatusOr<std::vector<std::vector<Entry>>> TimelineSource::RecentTweetsOfEach(
    absl::Span<const UserId> authors, TweetId before, size_t limit) {
  std::vector<std::vector<Entry>> lists;
  lists.reserve(authors.size());
  for (UserId author : authors) {
    ASSIGN_OR_RETURN(std::vector<Entry> recent, RecentTweets(author, before, limit));
    lists.push_back(std::move(recent));
  }
  return lists;
}

absl::StatusOr<SourceRead> ReadNewest(TimelineSource& source, UserId user, TweetId before,
                                      size_t count) {
  SourceRead read;
  ASSIGN_OR_RETURN(read.followees, source.Followees(user));
  ASSIGN_OR_RETURN(read.hidden, source.HiddenAuthors(user));
  std::sort(read.hidden.begin(), read.hidden.end());
  read.hidden.erase(std::unique(read.hidden.begin(), read.hidden.end()), read.hidden.end());

  std::vector<UserId> authors;
  authors.reserve(read.followees.size() + 1);
  for (UserId author : read.followees) {
    if (!std::binary_search(read.hidden.begin(), read.hidden.end(), author)) {
      authors.push_back(author);
    }
  }
  authors.push_back(user);
  std::sort(authors.begin(), authors.end());
  authors.erase(std::unique(authors.begin(), authors.end()), authors.end());

  // One more than asked of each author and of the merge: the first left out is the cut.
  // (An author with more than `count` tweets below `before` is cut at or above its
  // (count+1)-th, which the merge's (count+1)-th is never below.)
  ASSIGN_OR_RETURN(const std::vector<std::vector<Entry>> lists,
                   source.RecentTweetsOfEach(authors, before, count + 1));
  read.entries = MergeNewestFirst(lists, count + 1);
  if (read.entries.size() > count) {
    read.cut = read.entries[count].id;
    read.entries.resize(count);
  }
  return read;
}

}  // namespace roost::timelines
