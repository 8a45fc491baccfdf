// Roost's reads and position waits (roost.h).
#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "ingest/pipeline_timeline_source.h"
#include "services/roost.h"
#include "services/validation.h"

namespace roost::services {
namespace {

graph::StateMask OrNormal(graph::StateMask states) {
  return states == 0 ? graph::kNormalOnly : states;
}

}  // namespace

std::optional<absl::Status> Roost::ReadyOrWait(LogOffset position, absl::Time deadline,
                                               ThreadPool* pool,
                                               absl::AnyInvocable<void(absl::Status)>& done) {
  if (position == 0) return absl::OkStatus();
  if (position <= log_->durable_offset()) {
    if (pipeline_->applied_offset() >= position) return absl::OkStatus();
    AwaitApplied(position, deadline, pool, std::move(done));
    return std::nullopt;
  }
  // Others may have appended to the log since this process looked (a partition's
  // stream): looking again is a round trip to its servers, so not on this thread.
  pool->Schedule([this, position, deadline, pool, done = std::move(done)]() mutable {
    const LogOffset end = log_->WaitForDurable(position, absl::InfinitePast());
    if (position > end) {
      return done(absl::OutOfRangeError(
          absl::StrCat("position ", position, " is beyond the log's end (", end, ")")));
    }
    if (pipeline_->applied_offset() >= position) return done(absl::OkStatus());
    AwaitApplied(position, deadline, pool, std::move(done));
  });
  return std::nullopt;
}

void Roost::AwaitApplied(LogOffset position, absl::Time deadline, ThreadPool* pool,
                         absl::AnyInvocable<void(absl::Status)> done) {
  pipeline_->WhenApplied(
      position, deadline, [this, position, pool, done = std::move(done)](bool reached) mutable {
        absl::Status status;
        if (!reached && releasing_.load()) {
          status = absl::UnavailableError("server is shutting down");
        } else if (!reached) {
          status = absl::DeadlineExceededError(
              absl::StrCat("position ", position, " was not applied before the deadline",
                           " (applied: ", pipeline_->applied_offset(), ")"));
        }
        pool->Schedule([status, done = std::move(done)]() mutable { done(status); });
      });
}

void Roost::WhenApplied(LogOffset position, absl::Time deadline,
                        absl::AnyInvocable<void(absl::Status)> done) {
  if (std::optional<absl::Status> ready =
          ReadyOrWait(position, deadline, continuations_.get(), done)) {
    done(*ready);
  }
}

void Roost::ReadWhenApplied(LogOffset position, absl::Time deadline,
                            absl::AnyInvocable<void(absl::Status)> read) {
  // A wait's answer already runs on the read pool; one known at once is moved there.
  if (std::optional<absl::Status> ready = ReadyOrWait(position, deadline, readers_.get(), read)) {
    readers_->Schedule([ready = *ready, read = std::move(read)]() mutable { read(ready); });
  }
}

absl::StatusOr<std::unique_ptr<log::LogReader>> Roost::NewChangeReader(LogOffset from) {
  const LogOffset end = log_->durable_offset();
  if (from == 0) from = end + 1;
  if (from < log_->first_offset()) {
    return absl::OutOfRangeError(absl::StrCat(
        "position ", from, " is no longer retained; the oldest is ", log_->first_offset()));
  }
  if (from > end + 1) {
    return absl::OutOfRangeError(
        absl::StrCat("position ", from, " is beyond the end of the log (", end, ")"));
  }
  return log_->NewReader(from);
}

absl::StatusOr<std::vector<tweetstore::Tweet>> Roost::GetTweets(absl::Span<const TweetId> ids) {
  RETURN_IF_ERROR(ValidateCount(ids.size(), kMaxGetIds, "ids"));
  return LocalTweets(ids);
}

absl::StatusOr<std::vector<timelines::Entry>> Roost::RecentTweets(UserId author, TweetId before,
                                                                  size_t limit) {
  RETURN_IF_ERROR(ValidateUserId(author, "author_id"));
  return source_->RecentTweets(author, before, limit);
}

absl::StatusOr<std::vector<tweetstore::Tweet>> Roost::Hydrate(absl::Span<const TweetId> ids) {
  if (options_.remote == nullptr) return LocalTweets(ids);
  const auto foreign = [this](TweetId id) { return SnowflakeNode(id) != options_.node_id; };
  if (copies_ == nullptr || std::none_of(ids.begin(), ids.end(), foreign)) {
    return options_.remote->GetTweets(ids);
  }
  // Other partitions' tweets from their copies here; the rest (this partition's, and
  // those merged into timelines by a follow or a rebuild) from where they are kept,
  // and those read from another partition are kept as copies from then on.
  std::vector<TweetId> others;
  for (TweetId id : ids) {
    if (foreign(id)) others.push_back(id);
  }
  std::vector<std::optional<tweetstore::Tweet>> copied = copies_->Find(others);
  std::vector<std::optional<tweetstore::Tweet>> found(ids.size());
  std::vector<TweetId> missing;
  for (size_t i = 0, j = 0; i < ids.size(); ++i) {
    if (foreign(ids[i])) found[i] = std::move(copied[j++]);
    if (!found[i].has_value()) missing.push_back(ids[i]);
  }
  if (!missing.empty()) {
    ASSIGN_OR_RETURN(std::vector<tweetstore::Tweet> read, options_.remote->GetTweets(missing));
    absl::flat_hash_map<TweetId, tweetstore::Tweet*> by_id;
    for (tweetstore::Tweet& tweet : read) {
      if (foreign(tweet.id)) copies_->Put(tweet);
      by_id[tweet.id] = &tweet;
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      if (found[i].has_value()) continue;
      if (auto it = by_id.find(ids[i]); it != by_id.end()) found[i] = std::move(*it->second);
    }
  }
  std::vector<tweetstore::Tweet> tweets;
  tweets.reserve(ids.size());
  for (std::optional<tweetstore::Tweet>& tweet : found) {
    if (tweet.has_value()) tweets.push_back(std::move(*tweet));
  }
  return tweets;
}

absl::StatusOr<std::vector<tweetstore::Tweet>> Roost::LocalTweets(absl::Span<const TweetId> ids) {
  ASSIGN_OR_RETURN(std::vector<std::optional<tweetstore::Tweet>> found, tweets_->MultiGet(ids));
  std::vector<tweetstore::Tweet> tweets;
  tweets.reserve(found.size());
  for (std::optional<tweetstore::Tweet>& tweet : found) {
    if (tweet.has_value() && !tweet->deleted) tweets.push_back(std::move(*tweet));
  }
  return tweets;
}

absl::StatusOr<TimelineResult> Roost::Finish(std::vector<TweetId> ids, uint32_t limit, bool hydrate,
                                             bool rebuilt) {
  TimelineResult result;
  result.rebuilt = rebuilt;
  // A full page may have more behind it; a short one is the end.
  result.next_max_id = ids.size() == limit ? ids.back() : 0;
  if (hydrate) {
    // Tweets deleted since the page was cut are left out of both.
    ASSIGN_OR_RETURN(result.tweets, Hydrate(ids));
    ids.clear();
    for (const tweetstore::Tweet& tweet : result.tweets) ids.push_back(tweet.id);
  }
  result.ids = std::move(ids);
  return result;
}

absl::StatusOr<TimelineResult> Roost::UserTimeline(const TimelineQuery& query) {
  RETURN_IF_ERROR(ValidateUserId(query.user, "user_id"));
  const uint32_t limit = PageLimit(query.limit);
  ASSIGN_OR_RETURN(std::vector<TweetId> ids,
                   tweets_->AuthorTweets(query.user, query.max_id, query.since_id, limit));
  return Finish(std::move(ids), limit, query.hydrate, /*rebuilt=*/false);
}

absl::StatusOr<TimelineResult> Roost::HomeTimeline(const TimelineQuery& query) {
  RETURN_IF_ERROR(ValidateUserId(query.user, "user_id"));
  const uint32_t limit = PageLimit(query.limit);
  ASSIGN_OR_RETURN(timelines::ReadResult read,
                   timelines_->Read(query.user, query.max_id, query.since_id, limit));
  std::vector<TweetId> ids;
  ids.reserve(read.entries.size());
  for (const timelines::Entry& entry : read.entries) ids.push_back(entry.id);
  return Finish(std::move(ids), limit, query.hydrate, read.rebuilt);
}

absl::StatusOr<graph::Page> Roost::Select(graph::GraphId g, UserId user, graph::Direction direction,
                                          graph::StateMask states, int64_t cursor, uint32_t limit,
                                          int64_t created_after_ms, int64_t created_before_ms) {
  RETURN_IF_ERROR(ValidateGraph(g));
  RETURN_IF_ERROR(ValidateUserId(user, "user_id"));
  if (cursor < 0) return absl::InvalidArgumentError("cursor must not be negative");
  if (created_after_ms < 0 || created_before_ms < 0) {
    return absl::InvalidArgumentError(
        "created_after_ms and created_before_ms must not be negative");
  }
  if (created_before_ms != 0 && created_after_ms >= created_before_ms) {
    return absl::InvalidArgumentError("created_after_ms must be before created_before_ms");
  }
  // Positions are the Snowflake ids of the edges' events, so a time bound is a
  // position bound: the range's end caps the cursor, its start ends the pages.
  if (created_before_ms != 0) {
    const auto end = static_cast<int64_t>(SnowflakeMinIdAt(created_before_ms));
    if (end == 0) return graph::Page{};  // before the first possible edge
    cursor = cursor == 0 ? end : std::min(cursor, end);
  }
  const uint64_t min_position = created_after_ms == 0 ? 0 : SnowflakeMinIdAt(created_after_ms);
  return graph_->SelectRange(g, user, direction, OrNormal(states), cursor, PageLimit(limit),
                             min_position);
}

absl::StatusOr<uint64_t> Roost::Count(graph::GraphId g, UserId user, graph::Direction direction,
                                      graph::StateMask states) {
  RETURN_IF_ERROR(ValidateGraph(g));
  RETURN_IF_ERROR(ValidateUserId(user, "user_id"));
  return graph_->Count(g, user, direction, OrNormal(states));
}

absl::StatusOr<std::vector<bool>> Roost::Contains(graph::GraphId g, UserId source,
                                                  absl::Span<const UserId> destinations) {
  RETURN_IF_ERROR(ValidateGraph(g));
  RETURN_IF_ERROR(ValidateUserId(source, "source_id"));
  RETURN_IF_ERROR(ValidateCount(destinations.size(), kMaxContainsIds, "destination_ids"));
  return graph_->Contains(g, source, destinations);
}

namespace {

absl::Status ValidateTerms(absl::Span<const graph::QueryTerm> terms) {
  if (terms.empty()) return absl::InvalidArgumentError("terms must not be empty");
  RETURN_IF_ERROR(ValidateCount(terms.size(), kMaxQueryTerms, "terms"));
  for (const graph::QueryTerm& term : terms) {
    RETURN_IF_ERROR(ValidateGraph(term.graph));
    RETURN_IF_ERROR(ValidateUserId(term.user, "terms.user_id"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<graph::Page> Roost::Query(graph::SetOp op, absl::Span<const graph::QueryTerm> terms,
                                         int64_t cursor, uint32_t limit) {
  RETURN_IF_ERROR(ValidateTerms(terms));
  if (cursor < 0) return absl::InvalidArgumentError("cursor must not be negative");
  return graph_->Query(op, terms, cursor, PageLimit(limit));
}

absl::StatusOr<uint64_t> Roost::QueryCount(graph::SetOp op,
                                           absl::Span<const graph::QueryTerm> terms) {
  RETURN_IF_ERROR(ValidateTerms(terms));
  return graph_->QueryCount(op, terms);
}

absl::StatusOr<std::vector<uint64_t>> Roost::TermPositions(const graph::QueryTerm& term,
                                                           absl::Span<const UserId> candidates) {
  RETURN_IF_ERROR(ValidateTerms(absl::MakeConstSpan(&term, 1)));
  RETURN_IF_ERROR(ValidateCount(candidates.size(), kMaxContainsIds, "candidates"));
  return graph_->TermPositions(term, candidates);
}

}  // namespace roost::services
