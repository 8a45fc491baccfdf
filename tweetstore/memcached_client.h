// MemcachedClient talks to a set of memcached servers, spreading keys over them by
// consistent hashing (ketama with MD5, as libketama, twemproxy and most other clients
// do, so they agree on where a key lives and adding a server moves only ~1/n of the
// keys). It is a thin layer over libmemcached that the tweet cache needs: a multi-get,
// ADD, SET and a flush, each answering with a Status and bounded by short timeouts so
// that a dead, stopped or partitioned server costs a caller at most about one
// timeout per call, never a hang.
//
// libmemcached handles are not thread-safe, so the client keeps a small pool of them
// (clones of one configured handle), each used by one caller at a time. After any
// failed operation the handle's connections are closed before it is reused: a server
// that answered too late would otherwise have its answer read as the reply to the
// next request on that connection.
//
// Servers are never ejected on failure (libmemcached's auto-eject): that would move
// their keys to other servers and back when they return, to values that may have gone
// stale meanwhile. An unreachable server's keys fail instead, which the caller sees.
//
// Thread-safe.
#ifndef ROOST_TWEETSTORE_MEMCACHED_CLIENT_H_
#define ROOST_TWEETSTORE_MEMCACHED_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

struct memcached_st;

namespace roost::tweetstore {

struct MemcachedAddress {
  std::string host;  // a name or an IP address (IPv6 without brackets)
  int port = 0;

  bool operator==(const MemcachedAddress&) const = default;
};

struct MemcachedOptions {
  std::vector<MemcachedAddress> servers;
  // Bounds on one connection attempt and on one wait for a server's reply.
  absl::Duration connect_timeout = absl::Milliseconds(100);
  absl::Duration io_timeout = absl::Milliseconds(100);
  // After a server refused a connection, calls fail at once for this long (whole
  // seconds, at least 1) before it is tried again.
  absl::Duration retry_timeout = absl::Seconds(1);
  // Handles in the pool: callers beyond this many wait for one to be free.
  int max_connections = 16;
};

// Parses a cache spec "memcached:HOST:PORT[,HOST:PORT...]" (an IPv6 host in brackets,
// "[::1]:11211") into the server list. INVALID_ARGUMENT, saying what is wrong, for
// anything else.
absl::StatusOr<std::vector<MemcachedAddress>> ParseMemcachedSpec(absl::string_view spec);

class MemcachedClient {
 public:
  // Configures the client; connects lazily, so servers need not be up yet.
  // INVALID_ARGUMENT without servers.
  static absl::StatusOr<std::unique_ptr<MemcachedClient>> Create(const MemcachedOptions& options);
  ~MemcachedClient();
  MemcachedClient(const MemcachedClient&) = delete;
  MemcachedClient& operator=(const MemcachedClient&) = delete;

  // One multi-get of `keys` (distinct): (*values)[i] is keys[i]'s value, nullopt when
  // no server holds it. UNAVAILABLE when a server could not be asked or did not answer in time;
  // *values then holds what did arrive.
  absl::Status MultiGet(absl::Span<const std::string> keys,
                        std::vector<std::optional<std::string>>* values);
  // Stores the value unless the key exists: true when stored, false when it was
  // there already. UNAVAILABLE (or INTERNAL) when the server did not answer.
  absl::StatusOr<bool> Add(absl::string_view key, absl::string_view value);
  // Stores the value whether or not the key exists.
  absl::Status Set(absl::string_view key, absl::string_view value);
  // Empties every server (flush_all). An error unless every one did.
  absl::Status FlushAll();

 private:
  class Lease;
  explicit MemcachedClient(memcached_st* prototype, int max_connections)
      : prototype_(prototype), max_connections_(max_connections) {}
  memcached_st* Acquire() ABSL_LOCKS_EXCLUDED(mu_);
  void Release(memcached_st* handle, bool failed) ABSL_LOCKS_EXCLUDED(mu_);

  // Configured with the servers and behaviours; only ever cloned (under mu_).
  memcached_st* const prototype_;
  const int max_connections_;

  absl::Mutex mu_;
  std::vector<memcached_st*> idle_ ABSL_GUARDED_BY(mu_);
  int created_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace roost::tweetstore

#endif  // ROOST_TWEETSTORE_MEMCACHED_CLIENT_H_
