#include "loadgen/embedded_target.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace roost::loadgen {

absl::StatusOr<std::unique_ptr<EmbeddedTarget>> EmbeddedTarget::Open(
    const services::RoostOptions& options, int read_threads) {
  if (read_threads < 1) return absl::InvalidArgumentError("read threads must be at least 1");
  absl::StatusOr<std::unique_ptr<services::Roost>> roost = services::Roost::Open(options);
  if (!roost.ok()) return roost.status();
  return std::unique_ptr<EmbeddedTarget>(new EmbeddedTarget(std::move(*roost), read_threads));
}

EmbeddedTarget::EmbeddedTarget(std::unique_ptr<services::Roost> roost, int read_threads)
    : roost_(std::move(roost)),
      readers_(std::make_unique<ThreadPool>(read_threads, "roost-read")) {}

EmbeddedTarget::~EmbeddedTarget() {
  readers_.reset();
  roost_->Shutdown();
}

void EmbeddedTarget::Issue(const Op& op, absl::Time deadline,
                           absl::AnyInvocable<void(Outcome)> done) {
  auto status_only = [&done] {
    return [done = std::move(done)](const auto& result) mutable { done(Outcome{result.status()}); };
  };
  switch (op.kind) {
    case OpKind::kHome:
    case OpKind::kUser: {
      services::TimelineQuery query;
      query.user = op.kind == OpKind::kHome ? op.user : op.target;
      query.limit = kReadLimit;
      query.hydrate = true;
      const bool home = op.kind == OpKind::kHome;
      readers_->Schedule([this, query, home, deadline, done = std::move(done)]() mutable {
        if (absl::Now() > deadline) {
          return done(Outcome{absl::DeadlineExceededError("queued past the deadline")});
        }
        done(Outcome{(home ? roost_->HomeTimeline(query) : roost_->UserTimeline(query)).status()});
      });
      return;
    }
    case OpKind::kPost: {
      services::PostArgs args;
      args.author = op.user;
      args.text = op.text;
      roost_->Post(std::move(args),
                   [done = std::move(done)](absl::StatusOr<services::PostResult> result) mutable {
                     if (!result.ok()) return done(Outcome{result.status()});
                     done(Outcome{absl::OkStatus(), result->tweet_id, result->position});
                   });
      return;
    }
    case OpKind::kFollow:
    case OpKind::kUnfollow:
      roost_->SetEdge(
          graph::kFollows, op.user, op.target,
          op.kind == OpKind::kFollow ? graph::EdgeState::kNormal : graph::EdgeState::kRemoved,
          status_only());
      return;
    case OpKind::kPing:
      done(Outcome{});
      return;
  }
}

void EmbeddedTarget::AwaitVisible(UserId follower, const Outcome& post, absl::Time deadline,
                                  absl::AnyInvocable<void(absl::Status)> done) {
  const TweetId tweet = post.tweet_id;
  roost_->WhenApplied(
      post.position, deadline,
      [this, follower, tweet, done = std::move(done)](absl::Status applied) mutable {
        if (!applied.ok()) return done(applied);
        // The read may rebuild a timeline: not on the engine's thread that ran this.
        readers_->Schedule([this, follower, tweet, done = std::move(done)]() mutable {
          services::TimelineQuery query;
          query.user = follower;
          query.max_id = tweet + 1;
          query.limit = 1;
          absl::StatusOr<services::TimelineResult> page = roost_->HomeTimeline(query);
          if (!page.ok()) return done(page.status());
          if (!page->ids.empty() && page->ids[0] == tweet) return done(absl::OkStatus());
          done(absl::NotFoundError("the tweet is not in the follower's home timeline"));
        });
      });
}

absl::StatusOr<bool> EmbeddedTarget::FollowsAll(UserId user, absl::Span<const UserId> followees) {
  absl::StatusOr<std::vector<bool>> contained = roost_->Contains(graph::kFollows, user, followees);
  if (!contained.ok()) return contained.status();
  return std::find(contained->begin(), contained->end(), false) == contained->end();
}

absl::Status EmbeddedTarget::Sync(absl::Time deadline) {
  absl::Notification applied;
  absl::Status status;
  roost_->WhenApplied(roost_->appended_position(), deadline, [&](absl::Status s) {
    status = s;
    applied.Notify();
  });
  applied.WaitForNotification();
  return status;
}

}  // namespace roost::loadgen
