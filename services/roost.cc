// Roost's life: opening the data directory, recovering the log's unapplied tail,
// retention, draining and shutting down; and its administration (roost.h).
#include "services/roost.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "ingest/pipeline_timeline_source.h"
#include "log/log_reader.h"
#include "roost/v1/events.pb.h"
#include "tweetstore/cached_tweet_store.h"
#include "tweetstore/memcached_client.h"

namespace roost::services {

Roost::Roost(const RoostOptions& options)
    : options_(options), clock_(options.clock != nullptr ? options.clock : Clock::Real()) {}

Roost::~Roost() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Roost>> Roost::Open(const RoostOptions& options) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("data_dir must be set");
  if (options.max_pending_writes <= 0) {
    return absl::InvalidArgumentError("max_pending_writes must be positive");
  }
  if ((options.scope == nullptr) != (options.remote == nullptr)) {
    return absl::InvalidArgumentError("a partition's scope and remote reads go together");
  }
  if (options.node_id > kMaxSnowflakeNode) {
    return absl::InvalidArgumentError(
        absl::StrCat("node id ", options.node_id, " is above the maximum ", kMaxSnowflakeNode));
  }
  // Checked before the data dir is touched.
  std::vector<tweetstore::MemcachedAddress> cache_servers;
  if (!options.tweet_cache.empty()) {
    ASSIGN_OR_RETURN(cache_servers, tweetstore::ParseMemcachedSpec(options.tweet_cache));
  }
  std::unique_ptr<Roost> roost(new Roost(options));
  RETURN_IF_ERROR(roost->Init(std::move(cache_servers)));
  return roost;
}

absl::Status Roost::Init(std::vector<tweetstore::MemcachedAddress> cache_servers) {
  RETURN_IF_ERROR(OpenLog());
  RETURN_IF_ERROR(OpenStores(std::move(cache_servers)));
  RETURN_IF_ERROR(StartIds());
  source_ = std::make_unique<ingest::StoreTimelineSource>(graph_.get(), tweets_.get());
  timelines::TimelineSource* source = source_.get();
  if (options_.scope != nullptr) {
    timeline_source_ = std::make_unique<ingest::PartitionTimelineSource>(
        source, options_.scope,
        [remote = options_.remote](UserId author, TweetId before, size_t limit) {
          return remote->RecentTweets(author, before, limit);
        },
        [remote = options_.remote](absl::Span<const UserId> authors, TweetId before, size_t limit) {
          return remote->RecentTweetsOfEach(authors, before, limit);
        });
    source = timeline_source_.get();
  }
  timelines_ = std::make_unique<timelines::HomeTimelines>(options_.timelines, source);
  if (options_.scope != nullptr && options_.tweet_copy_bytes > 0) {
    copies_ = std::make_unique<tweetstore::TweetCopies>(options_.tweet_copy_bytes);
  }
  RegisterGauges();
  continuations_ = std::make_unique<ThreadPool>(2, "roost-continue");
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  readers_ = std::make_unique<ThreadPool>(
      options_.read_threads > 0 ? options_.read_threads : 2 * cores, "roost-read");
  ingest::PipelineParts parts{log_.get(), tweets_.get(),  graph_.get(),  timelines_.get(),
                              &metrics_,  options_.scope, source_.get(), copies_.get()};
  ASSIGN_OR_RETURN(pipeline_, ingest::Pipeline::Start(parts, options_.pipeline));
  requests_ = std::make_unique<RequestDeduper>(tweets_.get(), clock_, options_.request_id_window,
                                               [this] { return pipeline_->applied_offset(); });
  RETURN_IF_ERROR(Recover());
  if (options_.log_retention.max_bytes > 0 ||
      options_.log_retention.max_age > absl::ZeroDuration()) {
    retention_ = std::thread([this] { RetentionLoop(); });
  }
  return absl::OkStatus();
}

absl::Status Roost::OpenLog() {
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

  if (options_.open_log != nullptr) {
    ASSIGN_OR_RETURN(log_, options_.open_log());
  } else {
    log::SegmentedLogOptions log_options;
    log_options.sync = options_.log_sync;
    log_options.recover = options_.log_recover;
    log_options.segment_bytes = options_.log_segment_bytes;
    log_options.segment_max_age = options_.log_segment_max_age;
    log_options.env = env;
    ASSIGN_OR_RETURN(log_, log::OpenSegmentedLog(dir + "/log", log_options));
  }
  if (!options_.rebuild) return absl::OkStatus();
  // Only once the log has opened: a damaged log must not also cost the stores.
  if (log_->first_offset() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot rebuild from the log of ", dir, ": it starts at offset ",
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
  return absl::OkStatus();
}

absl::Status Roost::OpenStores(std::vector<tweetstore::MemcachedAddress> cache_servers) {
  const std::string& dir = options_.data_dir;
  ASSIGN_OR_RETURN(tweets_, tweetstore::TweetStore::Open(dir + "/tweets", {}));
  if (!cache_servers.empty()) {
    tweetstore::MemcachedOptions cache;
    cache.servers = std::move(cache_servers);
    ASSIGN_OR_RETURN(std::unique_ptr<tweetstore::MemcachedClient> client,
                     tweetstore::MemcachedClient::Create(cache));
    tweets_ = std::make_unique<tweetstore::CachedTweetStore>(std::move(tweets_), std::move(client),
                                                             &metrics_);
  }
  ASSIGN_OR_RETURN(graph_, graph::GraphStore::Open(dir + "/graph", options_.graph));
  return absl::OkStatus();
}

absl::Status Roost::StartIds() {
  // Ids must keep growing across restarts even if the clock stepped back: start
  // above the newest event in the log.
  ids_ = std::make_unique<SnowflakeGenerator>(options_.node_id, clock_);
  if (log_->durable_offset() == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::unique_ptr<log::LogReader> reader, log_->NewReader(log_->durable_offset()));
  std::vector<log::LogRecord> last;
  RETURN_IF_ERROR(reader->ReadBatch(1, absl::Now(), &last));
  ::roost::v1::events::Event event;
  if (!last.empty() && event.ParseFromString(last.back().payload)) {
    ids_->Observe(event.event_id());
  }
  return absl::OkStatus();
}

void Roost::RegisterGauges() {
  const auto gauge = [this](const char* name, auto value) {
    metrics_.SetGauge(name, [value] { return static_cast<int64_t>(value()); });
  };
  timelines::HomeTimelines* t = timelines_.get();
  gauge("timelines.materialized", [t] { return t->materialized_count(); });
  gauge("timelines.entries", [t] { return t->entry_count(); });
  gauge("timelines.bytes", [t] { return t->memory_bytes(); });
  gauge("timelines.pulled_authors", [t] { return t->pulled_author_count(); });
  gauge("timelines.evicted", [t] { return t->evicted_count(); });
  gauge("timelines.refilled", [t] { return t->refilled_count(); });
  graph::GraphStore* g = graph_.get();
  gauge("graph.follower_cache.lists", [g] { return g->FollowerCacheStats().lists; });
  gauge("graph.follower_cache.bytes", [g] { return g->FollowerCacheStats().bytes; });
  if (tweetstore::TweetCopies* c = copies_.get()) {
    gauge("tweets.copies.tweets", [c] { return c->stats().tweets; });
    gauge("tweets.copies.bytes", [c] { return c->stats().bytes; });
    gauge("tweets.copies.evicted", [c] { return c->stats().evicted; });
    gauge("tweets.copies.found", [c] { return c->stats().found; });
    gauge("tweets.copies.missed", [c] { return c->stats().missed; });
  }
}

absl::Status Roost::Recover() {
  // Apply the log's unapplied tail before serving, so reads and request-id
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
  return absl::OkStatus();
}

void Roost::RetentionLoop() {
  NameThisThread("roost-retain");
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

bool Roost::Drain(absl::Time deadline) {
  releasing_.store(true);
  if (pipeline_ != nullptr) pipeline_->ReleaseWaiters();
  absl::MutexLock lock(&writes_mu_);
  draining_ = true;
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writes_mu_) { return writes_in_flight_ == 0; };
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
// Administration

absl::Status Roost::status() const { return pipeline_->status(); }
LogOffset Roost::appended_position() const {
  // Looks at the end of a log others append to as well (a partition's stream).
  return log_->WaitForDurable(std::numeric_limits<LogOffset>::max(), absl::InfinitePast());
}
LogOffset Roost::applied_position() const { return pipeline_->applied_offset(); }

LogOffset Roost::processed_position() const { return pipeline_->processed_offset(); }
std::map<std::string, int64_t> Roost::Counters() const { return metrics_.Snapshot(); }

}  // namespace roost::services
