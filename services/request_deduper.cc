#include "services/request_deduper.h"

#include "common/ids.h"

namespace roost::services {

std::optional<RequestDeduper::Done> RequestDeduper::Begin(UserId author,
                                                          const std::string& request_id,
                                                          Done done) {
  Key key{author, request_id};
  // Set when the request is answered without posting: the earlier post, or an error.
  std::optional<absl::StatusOr<PostResult>> answer;
  {
    absl::MutexLock lock(&mu_);
    auto it = recent_.find(key);
    if (it != recent_.end() && !it->second.durable) {
      it->second.waiters.push_back(std::move(done));  // answered with the first
      return std::nullopt;
    }
    if (it != recent_.end() && WithinWindow(it->second.created_at_ms)) {
      answer = it->second.result;
    } else {
      // Posts applied before this process started are remembered by the store.
      absl::StatusOr<std::optional<tweetstore::RequestRecord>> found =
          store_->FindRequest(author, request_id);
      if (!found.ok()) {
        answer = found.status();
      } else if (found->has_value() && WithinWindow((*found)->created_at_ms)) {
        answer = PostResult{(*found)->tweet_id, (*found)->position};
      } else {
        if (recent_.size() >= kPruneAt) {
          const LogOffset applied = applied_();
          absl::erase_if(recent_, [applied](const auto& entry) {
            return entry.second.durable && entry.second.result.position <= applied;
          });
        }
        recent_[key] = Entry{};  // in flight (replacing an expired one)
      }
    }
  }
  if (!answer.has_value()) return done;
  done(*std::move(answer));
  return std::nullopt;
}

void RequestDeduper::Finish(UserId author, const std::string& request_id,
                            const absl::StatusOr<PostResult>& result) {
  std::vector<Done> waiters;
  {
    absl::MutexLock lock(&mu_);
    auto it = recent_.find(Key{author, request_id});
    if (it == recent_.end()) return;
    waiters = std::move(it->second.waiters);
    if (result.ok()) {
      it->second.durable = true;
      it->second.result = *result;
      it->second.created_at_ms = SnowflakeTimeMs(result->tweet_id);
    } else {
      recent_.erase(it);  // not posted: a retry may try again
    }
  }
  for (Done& waiter : waiters) waiter(result);
}

bool RequestDeduper::WithinWindow(int64_t created_at_ms) const {
  return clock_->NowMs() - created_at_ms < absl::ToInt64Milliseconds(window_);
}

}  // namespace roost::services
