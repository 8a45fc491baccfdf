#include "loadgen/redis_target.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "loadgen/free_port.h"

namespace roost::loadgen {
namespace {

constexpr char kRedisServer[] = "/usr/bin/redis-server";
constexpr int kTimelineMax = 800;  // Mastodon's and Roost's cap

using Reply = RedisReply;

}  // namespace

// ---------------------------------------------------------------------------
// RedisServer

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(const std::string& dir,
                                                                const std::string& appendfsync) {
  if (access(kRedisServer, X_OK) != 0) {
    return absl::FailedPreconditionError(
        "redis-server is not installed (scripts/install-deps.sh installs it)");
  }
  std::string output;
  for (int attempt = 0; attempt < 5; ++attempt) {
    // Another process could take the port before redis-server binds it: then the loop
    // tries another.
    const int port = FreeLoopbackPort();
    if (port == 0) return absl::InternalError("cannot find a free loopback port");
    std::vector<std::string> args = {
        kRedisServer, "--bind", "127.0.0.1",   "--port", std::to_string(port), "--save", "",
        "--dir",      dir,      "--daemonize", "no",     "--loglevel",         "notice"};
    if (appendfsync.empty()) {
      args.insert(args.end(), {"--appendonly", "no"});
    } else {
      args.insert(args.end(), {"--appendonly", "yes", "--appendfsync", appendfsync});
    }
    std::unique_ptr<RedisServer> server(new RedisServer());
    if (absl::Status started = server->process_.Start(args); !started.ok()) return started;
    output.clear();
    if (server->process_.ReadUntil("Ready to accept connections", absl::Now() + absl::Seconds(30),
                                   &output)) {
      server->port_ = port;
      return server;
    }
    server->process_.Wait(absl::Now() + absl::Seconds(5), &output);
    if (output.find("Address already in use") == std::string::npos) break;
  }
  return absl::UnavailableError(absl::StrCat("redis-server did not start: ", output));
}

RedisServer::~RedisServer() {
  process_.Signal(SIGTERM);
  process_.Wait(absl::Now() + absl::Seconds(30));
}

absl::StatusOr<uint64_t> RedisServer::UsedMemory() {
  redisContext* c = redisConnect("127.0.0.1", port_);
  if (c == nullptr || c->err) {
    if (c != nullptr) redisFree(c);
    return absl::UnavailableError("cannot connect to redis-server");
  }
  Reply reply(static_cast<redisReply*>(redisCommand(c, "INFO memory")), freeReplyObject);
  redisFree(c);
  if (!reply || reply->type != REDIS_REPLY_STRING) return absl::InternalError("INFO failed");
  for (absl::string_view line : absl::StrSplit(reply->str, "\r\n")) {
    uint64_t bytes;
    if (absl::ConsumePrefix(&line, "used_memory:") && absl::SimpleAtoi(line, &bytes)) return bytes;
  }
  return absl::InternalError("INFO memory has no used_memory");
}

// ---------------------------------------------------------------------------
// RedisTarget

// One blocking connection, used by one worker thread at a time.
namespace {

std::string Key(char kind, uint64_t id) { return absl::StrCat(std::string(1, kind), ":", id); }

// The members of an array reply (ZREVRANGE, SMEMBERS).
std::vector<std::string> Members(const redisReply& reply) {
  std::vector<std::string> members;
  for (size_t i = 0; i < reply.elements; ++i) {
    members.emplace_back(reply.element[i]->str, reply.element[i]->len);
  }
  return members;
}

// Reads a timeline page and hydrates it, as a Roost read with hydrate=true does.
absl::Status ReadPage(RedisTarget::Connection& c, const std::string& key) {
  absl::StatusOr<Reply> ids = c.Command({"ZREVRANGE", key, "0", std::to_string(kReadLimit - 1)});
  if (!ids.ok()) return ids.status();
  if ((*ids)->elements == 0) return absl::OkStatus();
  std::vector<std::string> mget = {"MGET"};
  for (const std::string& id : Members(**ids)) mget.push_back("t:" + id);
  return c.Command(mget).status();
}

// Inserts ids into a home timeline and trims it to the cap, pipelined.
void AppendInsert(RedisTarget::Connection& c, const std::string& home,
                  const std::vector<std::string>& ids) {
  std::vector<std::string> zadd = {"ZADD", home};
  for (const std::string& id : ids) {
    zadd.push_back(id);
    zadd.push_back(id);
  }
  c.Append(zadd);
  c.Append({"ZREMRANGEBYRANK", home, "0", std::to_string(-kTimelineMax - 1)});
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisTarget>> RedisTarget::Connect(int port, int workers) {
  if (workers < 1) return absl::InvalidArgumentError("need at least one Redis connection");
  std::unique_ptr<RedisTarget> target(new RedisTarget());
  for (int i = 0; i < workers; ++i) {
    absl::StatusOr<std::unique_ptr<Connection>> c = RedisConnection::Connect(port);
    if (!c.ok()) return c.status();
    target->connections_.push_back(*std::move(c));
  }
  for (auto& connection : target->connections_) {
    target->workers_.emplace_back([t = target.get(), c = connection.get()] { t->Work(c); });
  }
  return target;
}

RedisTarget::~RedisTarget() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
}

void RedisTarget::Schedule(Task task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
}

void RedisTarget::Work(Connection* connection) {
  while (true) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task(*connection);
  }
}

void RedisTarget::Issue(const Op& op, absl::Time deadline, absl::AnyInvocable<void(Outcome)> done) {
  Schedule([this, op, deadline, done = std::move(done)](Connection& c) mutable {
    if (absl::Now() > deadline) {
      return done(Outcome{absl::DeadlineExceededError("queued past the deadline")});
    }
    switch (op.kind) {
      case OpKind::kHome:
        return done(Outcome{ReadPage(c, Key('h', op.user))});
      case OpKind::kUser:
        return done(Outcome{ReadPage(c, Key('u', op.target))});
      case OpKind::kPost: {
        const uint64_t id = ids_.Next();
        const std::string ids = std::to_string(id);
        c.Append({"SET", "t:" + ids,
                  absl::StrCat(op.user, "|", absl::ToUnixMillis(absl::Now()), "|", op.text)});
        c.Append({"ZADD", Key('u', op.user), ids, ids});
        c.Append({"SMEMBERS", Key('f', op.user)});
        absl::StatusOr<std::vector<Reply>> stored = c.Read();
        if (!stored.ok()) return done(Outcome{stored.status()});
        AppendInsert(c, Key('h', op.user), {ids});
        for (const std::string& follower : Members(*(*stored)[2])) {
          AppendInsert(c, "h:" + follower, {ids});
        }
        absl::StatusOr<std::vector<Reply>> fanned = c.Read();
        return done(Outcome{fanned.status(), fanned.ok() ? id : 0, 0});
      }
      case OpKind::kFollow:
      case OpKind::kUnfollow: {
        const bool follow = op.kind == OpKind::kFollow;
        const char* set_op = follow ? "SADD" : "SREM";
        c.Append({set_op, Key('f', op.target), std::to_string(op.user)});
        c.Append({set_op, Key('g', op.user), std::to_string(op.target)});
        c.Append({"ZREVRANGE", Key('u', op.target), "0", follow ? "39" : "799"});
        absl::StatusOr<std::vector<Reply>> replies = c.Read();
        if (!replies.ok()) return done(Outcome{replies.status()});
        const std::vector<std::string> ids = Members(*(*replies)[2]);
        if (ids.empty()) return done(Outcome{});
        if (follow) {
          AppendInsert(c, Key('h', op.user), ids);
        } else {
          std::vector<std::string> zrem = {"ZREM", Key('h', op.user)};
          zrem.insert(zrem.end(), ids.begin(), ids.end());
          c.Append(zrem);
        }
        return done(Outcome{c.Read().status()});
      }
      case OpKind::kPing:
        return done(Outcome{c.Command({"PING"}).status()});
    }
  });
}

void RedisTarget::AwaitVisible(UserId follower, const Outcome& post, absl::Time deadline,
                               absl::AnyInvocable<void(absl::Status)> done) {
  const TweetId tweet = post.tweet_id;
  // Fanout finished before the post was answered; the check is one lookup.
  Schedule([follower, tweet, done = std::move(done)](Connection& c) mutable {
    absl::StatusOr<Reply> score = c.Command({"ZSCORE", Key('h', follower), std::to_string(tweet)});
    if (!score.ok()) return done(score.status());
    if ((*score)->type == REDIS_REPLY_NIL) {
      return done(absl::NotFoundError("the tweet is not in the follower's home timeline"));
    }
    done(absl::OkStatus());
  });
}

absl::StatusOr<bool> RedisTarget::FollowsAll(UserId user, absl::Span<const UserId> followees) {
  if (followees.empty()) return true;
  absl::Notification done_note;
  absl::StatusOr<bool> all;
  Schedule([&](Connection& c) {
    std::vector<std::string> args = {"SMISMEMBER", Key('g', user)};
    for (UserId id : followees) args.push_back(std::to_string(id));
    absl::StatusOr<Reply> reply = c.Command(args);
    if (!reply.ok()) {
      all = reply.status();
    } else {
      bool every = true;
      for (size_t i = 0; i < (*reply)->elements; ++i) every &= (*reply)->element[i]->integer == 1;
      all = every;
    }
    done_note.Notify();
  });
  done_note.WaitForNotification();
  return all;
}

// Redis answers a write once it has applied it.
absl::Status RedisTarget::Sync(absl::Time deadline) { return absl::OkStatus(); }

absl::Status RedisTarget::LoadGraph(const SocialGraph& graph) {
  absl::Notification done_note;
  absl::Status status;
  Schedule([&](Connection& c) {
    constexpr UserId kBatch = 256;  // users per pipeline: about 10k commands
    const UserId users = graph.spec().users;
    for (UserId first = 1; first <= users && status.ok(); first += kBatch) {
      const UserId last = std::min<UserId>(first + kBatch, users + 1);
      graph.ForEachFollow(first, last, [&](UserId follower, UserId followee) {
        c.Append({"SADD", Key('f', followee), std::to_string(follower)});
        c.Append({"SADD", Key('g', follower), std::to_string(followee)});
      });
      status = c.Read().status();
    }
    done_note.Notify();
  });
  done_note.WaitForNotification();
  return status;
}

}  // namespace roost::loadgen
