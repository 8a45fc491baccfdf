#include "ingest/pipeline_timeline_source.h"

#include "common/status_macros.h"
#include "ingest/pipeline_tuples.h"

namespace roost::ingest {

absl::StatusOr<std::vector<UserId>> StoreTimelineSource::Followees(UserId user) {
  return graph_->SelectAll(graph::kFollows, user, graph::Direction::kForward, graph::kNormalOnly);
}

absl::StatusOr<bool> StoreTimelineSource::HasEdge(graph::GraphId graph, UserId source,
                                                  UserId destination) {
  ASSIGN_OR_RETURN(const std::vector<bool> found,
                   graph_->Contains(graph, source, absl::MakeConstSpan(&destination, 1)));
  return !found.empty() && found[0];
}

absl::StatusOr<bool> StoreTimelineSource::Follows(UserId user, UserId author) {
  if (user == author) return true;  // a user's own tweets are always in its home
  return HasEdge(graph::kFollows, user, author);
}

absl::StatusOr<std::vector<UserId>> StoreTimelineSource::HiddenAuthors(UserId user) {
  struct List {
    graph::GraphId graph;
    graph::Direction direction;
  };
  // Those the user blocks or mutes, and those who block the user.
  constexpr List kHiding[] = {{graph::kBlocks, graph::Direction::kForward},
                              {graph::kMutes, graph::Direction::kForward},
                              {graph::kBlocks, graph::Direction::kBackward}};
  std::vector<UserId> hidden;
  for (const List& list : kHiding) {
    // Most users block and mute nobody: a count is a point read, far cheaper than the
    // list scan's iterator. (Counts are written in the same batch as the edges.)
    ASSIGN_OR_RETURN(const uint64_t n,
                     graph_->Count(list.graph, user, list.direction, graph::kNormalOnly));
    if (n == 0) continue;
    ASSIGN_OR_RETURN(std::vector<UserId> ids,
                     graph_->SelectAll(list.graph, user, list.direction, graph::kNormalOnly));
    hidden.insert(hidden.end(), ids.begin(), ids.end());
  }
  return hidden;
}

absl::StatusOr<bool> StoreTimelineSource::IsHidden(UserId user, UserId author) {
  ASSIGN_OR_RETURN(const bool blocks, HasEdge(graph::kBlocks, user, author));
  if (blocks) return true;
  ASSIGN_OR_RETURN(const bool mutes, HasEdge(graph::kMutes, user, author));
  if (mutes) return true;
  return HasEdge(graph::kBlocks, author, user);
}

absl::StatusOr<std::vector<timelines::Entry>> StoreTimelineSource::RecentTweets(UserId author,
                                                                                TweetId before,
                                                                                size_t limit) {
  std::vector<timelines::Entry> entries;
  // A tweet deleted between the index read and the multi-get is skipped, and the index
  // read again below it: callers take a short answer to mean there is no more.
  while (entries.size() < limit) {
    const size_t want = limit - entries.size();
    ASSIGN_OR_RETURN(const std::vector<TweetId> ids,
                     tweets_->AuthorTweets(author, /*max_id=*/before, /*since_id=*/0, want));
    ASSIGN_OR_RETURN(const std::vector<std::optional<tweetstore::Tweet>> found,
                     tweets_->MultiGet(ids));
    for (const std::optional<tweetstore::Tweet>& tweet : found) {
      if (!tweet.has_value() || tweet->deleted) continue;
      entries.push_back({tweet->id, tweet->author, EntryFlags(tweet->reply_to, tweet->retweet_of)});
    }
    if (ids.size() < want) break;  // the index has no more
    before = ids.back();
  }
  return entries;
}

absl::StatusOr<std::vector<std::vector<timelines::Entry>>>
PartitionTimelineSource::RecentTweetsOfEach(absl::Span<const UserId> authors, TweetId before,
                                            size_t limit) {
  std::vector<std::vector<timelines::Entry>> lists(authors.size());
  std::vector<UserId> remote;
  std::vector<size_t> remote_at;
  for (size_t i = 0; i < authors.size(); ++i) {
    if (scope_->IsLocal(authors[i])) {
      ASSIGN_OR_RETURN(lists[i], local_->RecentTweets(authors[i], before, limit));
    } else {
      remote.push_back(authors[i]);
      remote_at.push_back(i);
    }
  }
  if (remote.empty()) return lists;
  ASSIGN_OR_RETURN(std::vector<std::vector<timelines::Entry>> read,
                   remote_each_(remote, before, limit));
  if (read.size() != remote.size()) {
    return absl::InternalError("the remote source answered for another number of authors");
  }
  for (size_t j = 0; j < remote.size(); ++j) lists[remote_at[j]] = std::move(read[j]);
  return lists;
}

}  // namespace roost::ingest
