// Roost's writes (roost.h): each validates its input, gives its event an id and a
// place in the log in one critical section, and completes once the event is durable.
// A follow is first checked against the blocks (block_tracker.h).
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ingest/event_codec.h"
#include "services/roost.h"
#include "services/validation.h"

namespace roost::services {

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
  if (!args.request_id.empty()) {
    std::optional<Done<PostResult>> first =
        requests_->Begin(args.author, args.request_id, std::move(done));
    if (!first.has_value()) return;  // answered, or waiting for the first
    done = *std::move(first);
  }
  AppendWithId([&](uint64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_order_mu_) {
    Done<LogOffset> appended = [this, author = args.author, request_id = args.request_id, id,
                                done =
                                    std::move(done)](absl::StatusOr<LogOffset> position) mutable {
      absl::StatusOr<PostResult> result =
          position.ok() ? absl::StatusOr<PostResult>(PostResult{id, *position})
                        : absl::StatusOr<PostResult>(position.status());
      if (!request_id.empty()) requests_->Finish(author, request_id, result);
      done(std::move(result));
    };
    return std::make_pair(ingest::EncodePost(id, args.author, args.text, args.reply_to,
                                             args.retweet_of, args.request_id),
                          std::move(appended));
  });
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
                absl::StatusOr<std::optional<tweetstore::Tweet>> tweet = tweets_->Get(id);
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
                  return std::make_pair(ingest::EncodeDelete(event_id, author, id),
                                        std::move(done));
                });
              });
}

void Roost::SetEdge(graph::GraphId g, UserId source, UserId destination, graph::EdgeState state,
                    Done<LogOffset> done) {
  SetEdge(g, source, destination, state, absl::InfiniteFuture(), std::move(done));
}

void Roost::SetEdge(graph::GraphId g, UserId source, UserId destination, graph::EdgeState state,
                    absl::Time deadline, Done<LogOffset> done) {
  absl::Status status = ValidateGraph(g);
  if (status.ok()) status = ValidateUserId(source, "source_id");
  if (status.ok()) status = ValidateUserId(destination, "destination_id");
  if (status.ok()) status = ValidateEdge(source, destination);
  if (!status.ok()) {
    done(status);
    return;
  }
  if (g == graph::kFollows && state == graph::EdgeState::kNormal) {
    Follow(source, destination, deadline, std::move(done));
    return;
  }
  const std::vector<UserId> touched =
      g == graph::kBlocks ? std::vector<UserId>{source, destination} : std::vector<UserId>{};
  AppendWithId([&](uint64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_order_mu_) {
    return std::make_pair(ingest::EncodeEdge(id, g, source, destination, state),
                          TrackBlocks(touched, std::move(done)));
  });
}

void Roost::Follow(UserId follower, UserId followee, absl::Time deadline, Done<LogOffset> done) {
  const BlockTracker::Snapshot seen = blocks_.Of(follower, followee);
  if (!seen.settled) {
    // A block touching them is being appended: start over once it is in the log.
    // (WhenSettled may call back on the log's writer thread, where nothing may append.)
    blocks_.WhenSettled(
        follower, followee, [this, follower, followee, deadline, done = std::move(done)]() mutable {
          continuations_->Schedule(
              [this, follower, followee, deadline, done = std::move(done)]() mutable {
                Follow(follower, followee, deadline, std::move(done));
              });
        });
    return;
  }
  WhenApplied(seen.position, deadline,
              [this, follower, followee, deadline, seen,
               done = std::move(done)](absl::Status ready) mutable {
                if (!ready.ok()) {
                  done(ready);
                  return;
                }
                absl::StatusOr<std::vector<bool>> blocked =
                    graph_->Contains(graph::kBlocks, followee, absl::MakeConstSpan(&follower, 1));
                if (!blocked.ok()) {
                  done(blocked.status());
                  return;
                }
                if ((*blocked)[0]) {
                  done(absl::FailedPreconditionError(
                      absl::StrCat("user ", followee, " blocks user ", follower, ": ", follower,
                                   " cannot follow ", followee, " while the block holds")));
                  return;
                }
                {
                  absl::MutexLock lock(&append_order_mu_);
                  if (blocks_.Of(follower, followee).sequence == seen.sequence) {
                    Append(ingest::EncodeEdge(ids_->Next(), graph::kFollows, follower, followee,
                                              graph::EdgeState::kNormal),
                           std::move(done));
                    return;
                  }
                }
                Follow(follower, followee, deadline, std::move(done));  // a block came in meanwhile
              });
}

Roost::Done<LogOffset> Roost::TrackBlocks(std::vector<UserId> users, Done<LogOffset> done) {
  if (users.empty()) return done;
  blocks_.Prune(pipeline_->applied_offset());
  blocks_.Appending(users);
  return [this, users = std::move(users),
          done = std::move(done)](absl::StatusOr<LogOffset> position) mutable {
    blocks_.Appended(users, position.ok() ? *position : 0);
    done(std::move(position));
  };
}

void Roost::MassChange(graph::GraphId g, UserId user, graph::StateMask from, graph::EdgeState to,
                       Done<LogOffset> done) {
  absl::Status status = ValidateGraph(g);
  if (status.ok()) status = ValidateUserId(user, "user_id");
  if (!status.ok()) {
    done(status);
    return;
  }
  const std::vector<UserId> touched =
      g == graph::kBlocks ? std::vector<UserId>{user} : std::vector<UserId>{};
  AppendWithId([&](uint64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_order_mu_) {
    return std::make_pair(ingest::EncodeMassChange(id, g, user, from, to),
                          TrackBlocks(touched, std::move(done)));
  });
}

}  // namespace roost::services
