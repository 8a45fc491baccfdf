// RequestDeduper makes a post that carries a request id happen once. A retry within the
// window (24 h by default) is answered with the first post's tweet id and position,
// wherever the first one is:
//  - still being appended: the retry waits, and gets the first one's outcome;
//  - appended by this process: answered from memory;
//  - applied before this process started: the tweet store's request records answer.
// A post whose append failed leaves nothing behind, so its retry posts.
//
// Entries whose post is applied are pruned once there are many: the store answers for
// them from then on.
//
// Thread-safe.
#ifndef ROOST_SERVICES_REQUEST_DEDUPER_H_
#define ROOST_SERVICES_REQUEST_DEDUPER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/types.h"
#include "tweetstore/tweet_store.h"

namespace roost::services {

// What a post returns: its tweet's id and the log position of its event.
struct PostResult {
  TweetId tweet_id = 0;
  LogOffset position = 0;
};

class RequestDeduper {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<PostResult>)>;

  // `store` (not owned) answers for posts applied before this process started;
  // `applied` is the pipeline's applied offset, at or below which a post's record is
  // in the store.
  RequestDeduper(tweetstore::TweetStore* store, Clock* clock, absl::Duration window,
                 std::function<LogOffset()> applied)
      : store_(store), clock_(clock), window_(window), applied_(std::move(applied)) {}

  // A post by `author` with a non-empty `request_id`: returns `done` when it is to be
  // posted now (the caller appends it, then calls Finish); otherwise `done` is taken,
  // and runs now with the first post's result (or the store's error) or later with the
  // outcome of the first post, still in flight.
  std::optional<Done> Begin(UserId author, const std::string& request_id, Done done);
  // The outcome of the post Begin let through; answers the retries that waited for it.
  void Finish(UserId author, const std::string& request_id,
              const absl::StatusOr<PostResult>& result);

 private:
  using Key = std::pair<UserId, std::string>;
  struct Entry {
    bool durable = false;
    PostResult result;
    int64_t created_at_ms = 0;  // of the post, when durable
    std::vector<Done> waiters;  // retries that arrived while in flight
  };
  // Whether a post made at `created_at_ms` still answers retries of its request id.
  bool WithinWindow(int64_t created_at_ms) const;

  static constexpr size_t kPruneAt = 4096;

  tweetstore::TweetStore* const store_;
  Clock* const clock_;
  const absl::Duration window_;
  const std::function<LogOffset()> applied_;
  absl::Mutex mu_;
  absl::flat_hash_map<Key, Entry> recent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_REQUEST_DEDUPER_H_
