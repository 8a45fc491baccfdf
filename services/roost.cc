#include "services/roost.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "ingest/log/log_reader.h"
#include "ingest/pipeline_timeline_source.h"
#include "roost/v1/events.pb.h"
#include "services/validation.h"
#include "tweetstore/cached_tweet_store.h"
#include "tweetstore/memcached_client.h"

namespace roost {
namespace {

namespace events = ::roost::v1::events;

// Pending request-id entries are pruned once there are this many; the tweet store
// answers for the pruned ones.
constexpr size_t kRecentRequestsPruneAt = 4096;

graph::StateMask OrNormal(graph::StateMask states) {
  return states == 0 ? graph::kNormalOnly : states;
}

}  // namespace

Roost::Roost(const RoostOptions& options)
    : options_(options), clock_(options.clock != nullptr ? options.clock : Clock::Real()) {}

Roost::~Roost() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Roost>> Roost::Open(const RoostOptions& options) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("data_dir must be set");
  if (options.max_pending_writes <= 0) {
    return absl::InvalidArgumentError("max_pending_writes must be positive");
  }
  if (options.node_id > kMaxSnowflakeNode) {
    return absl::InvalidArgumentError(
        absl::StrCat("node id ", options.node_id, " is above the maximum ", kMaxSnowflakeNode));
  }
  // Checked before the data dir is touched.
  std::vector<tweets::MemcachedAddress> cache_servers;
  if (!options.tweet_cache.empty()) {
    ASSIGN_OR_RETURN(cache_servers, tweets::ParseMemcachedSpec(options.tweet_cache));
  }
  std::unique_ptr<Roost> roost(new Roost(options));
  RETURN_IF_ERROR(roost->Init(std::move(cache_servers)));
  return roost;
}

absl::Status Roost::Init(std::vector<tweets::MemcachedAddress> cache_servers) {
  log::Env* env = options_.log_env != nullptr ? options_.log_env : log::Env::Default();
  const std::string& dir = options_.data_dir;
  RETURN_IF_ERROR(env->CreateDirs(dir));
  absl::StatusOr<std::unique_ptr<log::FileLock>> lock = env->LockFile(dir + "/LOCK");
  if (absl::IsFailedPrecondition(lock.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat("data dir ", dir, " is in use by another roostd (its LOCK file is held)"));
  }
  RETURN_IF_ERROR(lock.status());
  lock_ = *std::move(lock);

  log::LogOptions log_options;
  log_options.sync = options_.log_sync;
  log_options.recover = options_.log_recover;
  log_options.segment_bytes = options_.log_segment_bytes;
  log_options.segment_max_age = options_.log_segment_max_age;
  log_options.env = env;
  ASSIGN_OR_RETURN(log_, log::Log::Open(dir + "/log", log_options));
  if (options_.rebuild) {
    // Only once the log has opened: a damaged log must not also cost the stores.
    if (log_->first_offset() > 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot rebuild from the log of ", dir, ": it starts at offset ",
          log_->first_offset(), ", not 1 (earlier records are no longer retained)"));
    }
    for (const char* store : {"/tweets", "/graph"}) {
      std::error_code error;
      std::filesystem::remove_all(dir + store, error);
      if (error) {
        return absl::InternalError(
            absl::StrCat("cannot remove ", dir, store, " to rebuild it: ", error.message()));
      }
    }
  }
  ASSIGN_OR_RETURN(tweets_, tweets::TweetStore::Open(dir + "/tweets", {}));
  if (!cache_servers.empty()) {
    tweets::MemcachedOptions cache;
    cache.servers = std::move(cache_servers);
    ASSIGN_OR_RETURN(std::unique_ptr<tweets::MemcachedClient> client,
                     tweets::MemcachedClient::Create(cache));
    tweets_ = std::make_unique<tweets::CachedTweetStore>(std::move(tweets_), std::move(client),
                                                         &metrics_);
  }
  ASSIGN_OR_RETURN(graph_, graph::GraphStore::Open(dir + "/graph", options_.graph));

  // Ids must keep growing across restarts even if the clock stepped back: start
  // above the newest event in the log.
  ids_ = std::make_unique<SnowflakeGenerator>(options_.node_id, clock_);
  if (log_->durable_offset() > 0) {
    ASSIGN_OR_RETURN(std::unique_ptr<log::LogReader> reader,
                     log_->NewReader(log_->durable_offset()));
    std::vector<log::LogRecord> last;
    RETURN_IF_ERROR(reader->ReadBatch(1, absl::Now(), &last));
    events::Event event;
    if (!last.empty() && event.ParseFromString(last.back().payload)) {
      ids_->Observe(event.event_id());
    }
  }

  source_ = std::make_unique<ingest::StoreTimelineSource>(graph_.get(), tweets_.get());
  timelines_ = std::make_unique<timelines::HomeTimelines>(options_.timelines, source_.get());
  metrics_.SetGauge("timelines.materialized",
                    [t = timelines_.get()] { return static_cast<int64_t>(t->materialized_count()); });
  metrics_.SetGauge("timelines.entries",
                    [t = timelines_.get()] { return static_cast<int64_t>(t->entry_count()); });
  metrics_.SetGauge("timelines.bytes",
                    [t = timelines_.get()] { return static_cast<int64_t>(t->memory_bytes()); });
  metrics_.SetGauge("timelines.pulled_authors", [t = timelines_.get()] {
    return static_cast<int64_t>(t->pulled_author_count());
  });
  metrics_.SetGauge("timelines.evicted",
                    [t = timelines_.get()] { return static_cast<int64_t>(t->evicted_count()); });
  metrics_.SetGauge("timelines.refilled",
                    [t = timelines_.get()] { return static_cast<int64_t>(t->refilled_count()); });
  metrics_.SetGauge("graph.follower_cache.lists", [g = graph_.get()] {
    return static_cast<int64_t>(g->FollowerCacheStats().lists);
  });
  metrics_.SetGauge("graph.follower_cache.bytes", [g = graph_.get()] {
    return static_cast<int64_t>(g->FollowerCacheStats().bytes);
  });

  continuations_ = std::make_unique<ThreadPool>(2);
  ingest::PipelineParts parts{log_.get(), tweets_.get(), graph_.get(), timelines_.get(),
                              &metrics_};
  ASSIGN_OR_RETURN(pipeline_, ingest::Pipeline::Start(parts, options_.pipeline));

  // Recover before serving: apply the log's unapplied tail, so reads and request-id
  // deduplication see every acknowledged write.
  const LogOffset end = log_->durable_offset();
  const absl::Time start = absl::Now();
  while (!pipeline_->WaitForApplied(end, absl::Now() + absl::Seconds(1))) {
    RETURN_IF_ERROR(pipeline_->status());
    if (options_.on_recovery_progress) {
      options_.on_recovery_progress(pipeline_->applied_offset(), end, absl::Now() - start);
    }
  }
  if (options_.on_recovery_progress) options_.on_recovery_progress(end, end, absl::Now() - start);
  // A crash loop (a process killed soon after each start) must not replay an ever
  // longer tail: what recovery applied is persisted at once.
  pipeline_->PersistApplied();
  if (options_.log_retention.max_bytes > 0 ||
      options_.log_retention.max_age > absl::ZeroDuration()) {
    retention_ = std::thread([this] { RetentionLoop(); });
  }
  return absl::OkStatus();
}

void Roost::RetentionLoop() {
  while (!stop_retention_.WaitForNotificationWithTimeout(options_.retention_interval)) {
    // Only what every store has persisted as applied may go: a restart resumes from
    // the smallest committed offset and must find the records after it.
    absl::StatusOr<LogOffset> tweets = tweets_->CommittedOffset();
    absl::StatusOr<LogOffset> graph = graph_->CommittedOffset();
    if (!tweets.ok() || !graph.ok()) continue;
    const absl::StatusOr<LogOffset> first =
        log_->ApplyRetention(options_.log_retention, std::min(*tweets, *graph) + 1);
    if (!first.ok()) {
      std::fprintf(stderr, "roost: log retention failed: %s\n", first.status().ToString().c_str());
    }
  }
}

absl::StatusOr<std::unique_ptr<log::LogReader>> Roost::NewChangeReader(LogOffset from) {
  const LogOffset end = log_->durable_offset();
  if (from == 0) from = end + 1;
  if (from < log_->first_offset()) {
    return absl::OutOfRangeError(absl::StrCat("position ", from,
                                              " is no longer retained; the oldest is ",
                                              log_->first_offset()));
  }
  if (from > end + 1) {
    return absl::OutOfRangeError(
        absl::StrCat("position ", from, " is beyond the end of the log (", end, ")"));
  }
  return log_->NewReader(from);
}

bool Roost::Drain(absl::Time deadline) {
  releasing_.store(true);
  if (pipeline_ != nullptr) pipeline_->ReleaseWaiters();
  absl::MutexLock lock(&writes_mu_);
  draining_ = true;
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writes_mu_) {
    return writes_in_flight_ == 0;
  };
  return writes_mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

void Roost::Shutdown() {
  if (retention_.joinable()) {
    stop_retention_.Notify();
    retention_.join();
  }
  Drain(absl::InfiniteFuture());
  if (pipeline_ != nullptr) pipeline_->Stop();
  if (log_ != nullptr) log_->Close();
}

// ---------------------------------------------------------------------------
// Writes

// Every write's event goes through here, so here is where draining refuses new ones
// and counts those in flight.
void Roost::Append(std::string event, Done<LogOffset> done) {
  absl::Status refused;
  {
    absl::MutexLock lock(&writes_mu_);
    if (draining_) {
      refused = absl::UnavailableError("server is shutting down");
    } else if (writes_in_flight_ >= options_.max_pending_writes) {
      refused = absl::ResourceExhaustedError(
          absl::StrCat(writes_in_flight_, " writes are waiting for the log already; retry later"));
    } else {
      ++writes_in_flight_;
    }
  }
  if (!refused.ok()) {
    if (absl::IsResourceExhausted(refused)) writes_refused_->Add();
    done(std::move(refused));
    return;
  }
  log_->AppendAsync(std::move(event),
                    [this, done = std::move(done)](absl::StatusOr<LogOffset> position) mutable {
                      done(std::move(position));
                      absl::MutexLock lock(&writes_mu_);
                      --writes_in_flight_;
                    });
}

void Roost::AppendWithId(
    absl::FunctionRef<std::pair<std::string, Done<LogOffset>>(uint64_t id)> event) {
  absl::MutexLock lock(&append_order_mu_);
  auto [payload, done] = event(ids_->Next());
  Append(std::move(payload), std::move(done));
}

void Roost::Post(PostArgs args, Done<PostResult> done) {
  absl::Status status = ValidateUserId(args.author, "author_id");
  if (status.ok()) status = ValidateTweetText(args.text, args.retweet_of != 0);
  if (status.ok()) status = ValidateRequestId(args.request_id);
  if (!status.ok()) {
    done(status);
    return;
  }

  RequestKey key{args.author, args.request_id};
  if (!args.request_id.empty()) {
    // Set when the request is answered without posting: the earlier post, or an error.
    std::optional<absl::StatusOr<PostResult>> answer;
    {
      absl::MutexLock lock(&requests_mu_);
      auto it = recent_requests_.find(key);
      if (it != recent_requests_.end() && !it->second.durable) {
        it->second.waiters.push_back(std::move(done));  // answered with the first
        return;
      }
      if (it != recent_requests_.end() && WithinRequestWindow(it->second.created_at_ms)) {
        answer = it->second.result;
      } else {
        // Posts applied before this process started are remembered by the store.
        absl::StatusOr<std::optional<tweets::RequestRecord>> found =
            tweets_->FindRequest(args.author, args.request_id);
        if (!found.ok()) {
          answer = found.status();
        } else if (found->has_value() && WithinRequestWindow((*found)->created_at_ms)) {
          answer = PostResult{(*found)->tweet_id, (*found)->position};
        } else {
          if (recent_requests_.size() >= kRecentRequestsPruneAt) {
            const LogOffset applied = pipeline_->applied_offset();
            absl::erase_if(recent_requests_, [applied](const auto& entry) {
              return entry.second.durable && entry.second.result.position <= applied;
            });
          }
          recent_requests_[key] = RecentRequest{};  // in flight (replacing an expired one)
        }
      }
    }
    if (answer.has_value()) {
      done(*std::move(answer));
      return;
    }
  }

  AppendWithId([&](uint64_t id) {
    events::Event event;
    event.set_event_id(id);
    events::TweetPosted* post = event.mutable_tweet_posted();
    post->set_tweet_id(id);
    post->set_author_id(args.author);
    post->set_text(std::move(args.text));
    post->set_created_at_ms(SnowflakeTimeMs(id));
    post->set_reply_to_id(args.reply_to);
    post->set_retweet_of_id(args.retweet_of);
    post->set_request_id(args.request_id);
    Done<LogOffset> appended = [this, key = std::move(key), id, done = std::move(done)](
                                   absl::StatusOr<LogOffset> position) mutable {
      absl::StatusOr<PostResult> result =
          position.ok() ? absl::StatusOr<PostResult>(PostResult{id, *position})
                        : absl::StatusOr<PostResult>(position.status());
      if (!key.second.empty()) FinishRequest(key, result);
      done(std::move(result));
    };
    return std::make_pair(event.SerializeAsString(), std::move(appended));
  });
}

void Roost::FinishRequest(const RequestKey& key, const absl::StatusOr<PostResult>& result) {
  std::vector<Done<PostResult>> waiters;
  {
    absl::MutexLock lock(&requests_mu_);
    auto it = recent_requests_.find(key);
    if (it == recent_requests_.end()) return;
    waiters = std::move(it->second.waiters);
    if (result.ok()) {
      it->second.durable = true;
      it->second.result = *result;
      it->second.created_at_ms = SnowflakeTimeMs(result->tweet_id);
    } else {
      recent_requests_.erase(it);  // not posted: a retry may try again
    }
  }
  for (auto& waiter : waiters) waiter(result);
}

bool Roost::WithinRequestWindow(int64_t created_at_ms) const {
  return clock_->NowMs() - created_at_ms < absl::ToInt64Milliseconds(options_.request_id_window);
}

void Roost::Delete(UserId author, TweetId id, absl::Time deadline, Done<LogOffset> done) {
  absl::Status status = ValidateUserId(author, "author_id");
  if (status.ok() && id == 0) status = absl::InvalidArgumentError("tweet_id must not be 0");
  if (!status.ok()) {
    done(status);
    return;
  }
  // The tweet may have been posted a moment ago: check it once everything durable now
  // has been applied.
  WhenApplied(log_->durable_offset(), deadline,
              [this, author, id, done = std::move(done)](absl::Status ready) mutable {
                if (!ready.ok()) {
                  done(ready);
                  return;
                }
                absl::StatusOr<std::optional<tweets::Tweet>> tweet = tweets_->Get(id);
                if (!tweet.ok()) {
                  done(tweet.status());
                  return;
                }
                if (!tweet->has_value() || (*tweet)->deleted) {
                  done(absl::NotFoundError(absl::StrCat("tweet ", id, " not found")));
                  return;
                }
                if ((*tweet)->author != author) {
                  done(absl::PermissionDeniedError(
                      absl::StrCat("tweet ", id, " belongs to another author")));
                  return;
                }
                AppendWithId([&](uint64_t event_id) {
                  events::Event event;
                  event.set_event_id(event_id);
                  event.mutable_tweet_deleted()->set_tweet_id(id);
                  event.mutable_tweet_deleted()->set_author_id(author);
                  return std::make_pair(event.SerializeAsString(), std::move(done));
                });
              });
}

void Roost::WhenApplied(LogOffset position, absl::Time deadline,
                        absl::AnyInvocable<void(absl::Status)> done) {
  if (position == 0) {
    done(absl::OkStatus());
    return;
  }
  const LogOffset end = log_->durable_offset();
  if (position > end) {
    done(absl::OutOfRangeError(absl::StrCat("min_position ", position,
                                            " is beyond the log's end (", end, ")")));
    return;
  }
  if (pipeline_->applied_offset() >= position) {
    done(absl::OkStatus());
    return;
  }
  pipeline_->WhenApplied(position, deadline,
                         [this, position, done = std::move(done)](bool reached) mutable {
                           absl::Status status;
                           if (!reached && releasing_.load()) {
                             status = absl::UnavailableError("server is shutting down");
                           } else if (!reached) {
                             status = absl::DeadlineExceededError(absl::StrCat(
                                 "position ", position, " was not applied before the deadline",
                                 " (applied: ", pipeline_->applied_offset(), ")"));
                           }
                           continuations_->Schedule(
                               [status, done = std::move(done)]() mutable { done(status); });
                         });
}

// ---------------------------------------------------------------------------
// Reads

absl::StatusOr<std::vector<tweets::Tweet>> Roost::GetTweets(absl::Span<const TweetId> ids) {
  RETURN_IF_ERROR(ValidateCount(ids.size(), kMaxGetIds, "ids"));
  ASSIGN_OR_RETURN(std::vector<std::optional<tweets::Tweet>> found, tweets_->MultiGet(ids));
  std::vector<tweets::Tweet> out;
  out.reserve(found.size());
  for (std::optional<tweets::Tweet>& tweet : found) {
    if (tweet.has_value() && !tweet->deleted) out.push_back(std::move(*tweet));
  }
  return out;
}

absl::StatusOr<TimelineResult> Roost::Finish(std::vector<TweetId> ids, uint32_t limit,
                                             bool hydrate, bool rebuilt) {
  TimelineResult result;
  result.rebuilt = rebuilt;
  // A full page may have more behind it; a short one is the end.
  result.next_max_id = ids.size() == limit ? ids.back() : 0;
  if (hydrate) {
    ASSIGN_OR_RETURN(std::vector<std::optional<tweets::Tweet>> found, tweets_->MultiGet(ids));
    ids.clear();
    for (std::optional<tweets::Tweet>& tweet : found) {
      if (!tweet.has_value() || tweet->deleted) continue;  // deleted since the page was cut
      ids.push_back(tweet->id);
      result.tweets.push_back(std::move(*tweet));
    }
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

absl::StatusOr<graph::Page> Roost::Select(graph::GraphId g, UserId user,
                                          graph::Direction direction, graph::StateMask states,
                                          int64_t cursor, uint32_t limit,
                                          int64_t created_after_ms, int64_t created_before_ms) {
  RETURN_IF_ERROR(ValidateGraph(g));
  RETURN_IF_ERROR(ValidateUserId(user, "user_id"));
  if (cursor < 0) return absl::InvalidArgumentError("cursor must not be negative");
  if (created_after_ms < 0 || created_before_ms < 0) {
    return absl::InvalidArgumentError("created_after_ms and created_before_ms must not be negative");
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

// ---------------------------------------------------------------------------
// Administration

absl::Status Roost::status() const { return pipeline_->status(); }
LogOffset Roost::appended_position() const { return log_->durable_offset(); }
LogOffset Roost::applied_position() const { return pipeline_->applied_offset(); }

LogOffset Roost::processed_position() const { return pipeline_->processed_offset(); }
std::map<std::string, int64_t> Roost::Counters() const { return metrics_.Snapshot(); }

}  // namespace roost
