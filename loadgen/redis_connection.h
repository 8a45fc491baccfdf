// RedisConnection is one blocking hiredis connection to a redis-server on 127.0.0.1,
// with pipelining: Append queues commands, Read collects their replies in order. The
// Redis baseline (redis_target.h) runs its workload on these, and benchmarks send
// their baseline commands on one.
//
// Not thread-safe: one thread uses a connection at a time.
#ifndef ROOST_LOADGEN_REDIS_CONNECTION_H_
#define ROOST_LOADGEN_REDIS_CONNECTION_H_

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace roost::loadgen {

using RedisReply = std::unique_ptr<redisReply, void (*)(void*)>;

class RedisConnection {
 public:
  // Connects within 10 s; replies time out after 30 s. UNAVAILABLE when it cannot.
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Connect(int port) {
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{10, 0});
    if (c == nullptr || c->err) {
      const std::string why = c != nullptr ? c->errstr : "out of memory";
      if (c != nullptr) redisFree(c);
      return absl::UnavailableError(
          absl::StrCat("cannot connect to Redis on port ", port, ": ", why));
    }
    redisSetTimeout(c, timeval{30, 0});
    return std::unique_ptr<RedisConnection>(new RedisConnection(c));
  }
  ~RedisConnection() { redisFree(c_); }
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Queues a command (pipelining); Read() collects the replies in order.
  void Append(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    redisAppendCommandArgv(c_, static_cast<int>(args.size()), argv.data(), lengths.data());
    ++pending_;
  }
  // Commands queued and not yet read.
  int pending() const { return pending_; }
  // The replies of every appended command; UNAVAILABLE on a connection error,
  // INTERNAL on an error reply.
  absl::StatusOr<std::vector<RedisReply>> Read() {
    std::vector<RedisReply> replies;
    absl::Status status;
    for (; pending_ > 0; --pending_) {
      void* raw = nullptr;
      if (redisGetReply(c_, &raw) != REDIS_OK) {
        pending_ = 0;
        return absl::UnavailableError(absl::StrCat("redis: ", c_->errstr));
      }
      RedisReply reply(static_cast<redisReply*>(raw), freeReplyObject);
      if (reply->type == REDIS_REPLY_ERROR && status.ok()) {
        status = absl::InternalError(absl::StrCat("redis: ", reply->str));
      }
      replies.push_back(std::move(reply));
    }
    if (!status.ok()) return status;
    return replies;
  }
  absl::StatusOr<RedisReply> Command(const std::vector<std::string>& args) {
    Append(args);
    absl::StatusOr<std::vector<RedisReply>> replies = Read();
    if (!replies.ok()) return replies.status();
    return std::move(replies->front());
  }

 private:
  explicit RedisConnection(redisContext* context) : c_(context) {}

  redisContext* const c_;
  int pending_ = 0;
};

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_REDIS_CONNECTION_H_
