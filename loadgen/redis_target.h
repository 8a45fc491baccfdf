// The Redis baseline: the same workload run the way Mastodon runs home timelines, on
// a redis-server the harness starts itself on a loopback port. Per user, a sorted set
// of home-timeline tweet ids (scored by id, trimmed to 800 on every insert, as
// Mastodon's FeedManager does), a sorted set of the user's own tweets, and sets of
// followers and followees; tweets are strings.
//
//   post:     SET t:<id>; ZADD u:<author>; SMEMBERS f:<author>; then one pipeline of
//             ZADD h:<f> + ZREMRANGEBYRANK h:<f> 0 -801 per follower and the author
//             (fanout on write, completed before the post is answered)
//   home:     ZREVRANGE h:<user> 0 19, then MGET of the tweets (hydration)
//   user:     ZREVRANGE u:<user> 0 19, then MGET
//   follow:   SADD f:<followee>, SADD g:<follower>, merge the followee's 40 newest
//             tweets into the follower's home (ZADD + trim)
//   unfollow: SREM both sets, ZREM the followee's tweets from the follower's home
//
// Redis runs single-threaded, so the driver keeps one blocking connection per
// concurrent operation. Persistence follows Mastodon's feed cache (none) unless
// `appendfsync` asks for an append-only file.
#ifndef ROOST_LOADGEN_REDIS_TARGET_H_
#define ROOST_LOADGEN_REDIS_TARGET_H_

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/subprocess.h"
#include "loadgen/redis_connection.h"
#include "loadgen/social_graph.h"
#include "loadgen/target.h"

namespace roost::loadgen {

// A redis-server child process on 127.0.0.1 and a free port; stopped (by its PID) on
// destruction.
class RedisServer {
 public:
  // `appendfsync`: "" for no persistence, else "always", "everysec" or "no" with an
  // append-only file in `dir`. FAILED_PRECONDITION when redis-server is not installed
  // (scripts/install-deps.sh installs it); UNAVAILABLE when it does not start.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(const std::string& dir,
                                                            const std::string& appendfsync);
  ~RedisServer();
  int port() const { return port_; }
  // The server's used_memory, in bytes (INFO memory).
  absl::StatusOr<uint64_t> UsedMemory();

 private:
  RedisServer() = default;
  Subprocess process_;
  int port_ = 0;
};

class RedisTarget final : public Target {
 public:
  // One connection per worker; `workers` bounds the operations in flight.
  static absl::StatusOr<std::unique_ptr<RedisTarget>> Connect(int port, int workers);
  ~RedisTarget() override;

  std::string name() const override { return "redis"; }
  void Issue(const Op& op, absl::Time deadline, absl::AnyInvocable<void(Outcome)> done) override;
  void AwaitVisible(UserId follower, const Outcome& post, absl::Time deadline,
                    absl::AnyInvocable<void(absl::Status)> done) override;
  absl::StatusOr<bool> FollowsAll(UserId user, absl::Span<const UserId> followees) override;
  absl::Status Sync(absl::Time deadline) override;

  // Loads the graph's follow sets in pipelined batches, far faster
  // than one follow at a time (the Redis baseline's graph is set up, not measured).
  absl::Status LoadGraph(const SocialGraph& graph);

  using Connection = RedisConnection;

 private:
  using Task = absl::AnyInvocable<void(Connection&)>;
  RedisTarget() = default;
  void Schedule(Task task);
  void Work(Connection* connection);

  SnowflakeGenerator ids_{0, Clock::Real()};
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::thread> workers_;

  absl::Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_REDIS_TARGET_H_
