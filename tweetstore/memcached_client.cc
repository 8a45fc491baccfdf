#include "tweetstore/memcached_client.h"

#include <libmemcached-1.0/memcached.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace roost::tweetstore {
namespace {

constexpr char kSpecUsage[] = "memcached:HOST:PORT[,HOST:PORT...]";

absl::Status InvalidSpec(absl::string_view spec, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("tweet cache \"", spec, "\": ", why, " (expected ", kSpecUsage, ")"));
}

absl::Status Failed(memcached_st* handle, memcached_return_t rc, absl::string_view what,
                    absl::StatusCode code = absl::StatusCode::kUnavailable) {
  return absl::Status(code, absl::StrCat("memcached ", what, ": ", memcached_strerror(handle, rc)));
}

// libmemcached reads a timeout of 0 as "fail at once".
uint64_t AtLeastOne(int64_t n) { return static_cast<uint64_t>(std::max<int64_t>(1, n)); }

}  // namespace

absl::StatusOr<std::vector<MemcachedAddress>> ParseMemcachedSpec(absl::string_view spec) {
  absl::string_view list = spec;
  if (!absl::ConsumePrefix(&list, "memcached:")) {
    return InvalidSpec(spec, "not a memcached cache");
  }
  if (list.empty()) return InvalidSpec(spec, "no servers");
  std::vector<MemcachedAddress> servers;
  for (absl::string_view server : absl::StrSplit(list, ',')) {
    const size_t colon = server.rfind(':');
    if (colon == absl::string_view::npos) {
      return InvalidSpec(spec, absl::StrCat("server \"", server, "\" has no port"));
    }
    absl::string_view host = server.substr(0, colon);
    const absl::string_view port_text = server.substr(colon + 1);
    const bool bracketed = absl::ConsumePrefix(&host, "[");
    if (bracketed != absl::ConsumeSuffix(&host, "]") ||
        (!bracketed && absl::StrContains(host, ':'))) {
      return InvalidSpec(spec,
                         absl::StrCat("server \"", server, "\": an IPv6 address goes in brackets"));
    }
    if (host.empty()) {
      return InvalidSpec(spec, absl::StrCat("server \"", server, "\" has no host"));
    }
    int port = 0;
    if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return InvalidSpec(spec, absl::StrCat("server \"", server, "\": port must be 1..65535"));
    }
    MemcachedAddress address{std::string(host), port};
    if (std::find(servers.begin(), servers.end(), address) != servers.end()) {
      return InvalidSpec(spec, absl::StrCat("server \"", server, "\" is listed twice"));
    }
    servers.push_back(std::move(address));
  }
  return servers;
}

// ---------------------------------------------------------------------------
// MemcachedClient

// One pooled handle for the length of one call.
class MemcachedClient::Lease {
 public:
  explicit Lease(MemcachedClient* client) : client_(client), handle_(client->Acquire()) {}
  ~Lease() { client_->Release(handle_, failed_); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  memcached_st* get() const { return handle_; }
  // The handle's connections may hold a reply still to come: close them before reuse.
  void Fail() { failed_ = true; }

 private:
  MemcachedClient* const client_;
  memcached_st* const handle_;
  bool failed_ = false;
};

absl::StatusOr<std::unique_ptr<MemcachedClient>> MemcachedClient::Create(
    const MemcachedOptions& options) {
  if (options.servers.empty()) return absl::InvalidArgumentError("no memcached servers");
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError("max_connections must be at least 1");
  }
  memcached_st* prototype = memcached_create(nullptr);
  if (prototype == nullptr) return absl::ResourceExhaustedError("memcached_create failed");
  std::unique_ptr<MemcachedClient> client(new MemcachedClient(prototype, options.max_connections));

  const std::pair<memcached_behavior_t, uint64_t> behaviors[] = {
      {MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1},
      // libketama's scheme: MD5 for the keys and for the points on the ring.
      {MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA},
      {MEMCACHED_BEHAVIOR_HASH, MEMCACHED_HASH_MD5},
      {MEMCACHED_BEHAVIOR_KETAMA_HASH, MEMCACHED_HASH_MD5},
      {MEMCACHED_BEHAVIOR_NO_BLOCK, 1},
      {MEMCACHED_BEHAVIOR_TCP_NODELAY, 1},
      {MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT,
       AtLeastOne(absl::ToInt64Milliseconds(options.connect_timeout))},
      {MEMCACHED_BEHAVIOR_POLL_TIMEOUT, AtLeastOne(absl::ToInt64Milliseconds(options.io_timeout))},
      {MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, AtLeastOne(absl::ToInt64Seconds(options.retry_timeout))},
  };
  for (const auto& [behavior, value] : behaviors) {
    const memcached_return_t rc = memcached_behavior_set(prototype, behavior, value);
    if (!memcached_success(rc)) {
      return Failed(prototype, rc, "configuration", absl::StatusCode::kInternal);
    }
  }
  for (const MemcachedAddress& server : options.servers) {
    const memcached_return_t rc =
        memcached_server_add(prototype, server.host.c_str(), static_cast<in_port_t>(server.port));
    if (!memcached_success(rc)) {
      return Failed(prototype, rc, absl::StrCat("server ", server.host, ":", server.port),
                    absl::StatusCode::kInvalidArgument);
    }
  }
  return client;
}

MemcachedClient::~MemcachedClient() {
  absl::MutexLock lock(&mu_);
  for (memcached_st* handle : idle_) memcached_free(handle);
  memcached_free(prototype_);
}

memcached_st* MemcachedClient::Acquire() {
  absl::MutexLock lock(&mu_);
  auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || created_ < max_connections_;
  };
  mu_.Await(absl::Condition(&available));
  if (!idle_.empty()) {
    memcached_st* handle = idle_.back();
    idle_.pop_back();
    return handle;
  }
  memcached_st* handle = memcached_clone(nullptr, prototype_);
  if (handle != nullptr) ++created_;
  return handle;
}

void MemcachedClient::Release(memcached_st* handle, bool failed) {
  if (handle == nullptr) return;
  if (failed) memcached_quit(handle);
  absl::MutexLock lock(&mu_);
  idle_.push_back(handle);
}

absl::Status MemcachedClient::MultiGet(absl::Span<const std::string> keys,
                                       std::vector<std::optional<std::string>>* values) {
  values->assign(keys.size(), std::nullopt);
  if (keys.empty()) return absl::OkStatus();
  Lease lease(this);
  memcached_st* handle = lease.get();
  if (handle == nullptr) return absl::ResourceExhaustedError("memcached_clone failed");

  std::vector<const char*> key_data;
  std::vector<size_t> key_lengths;
  absl::flat_hash_map<absl::string_view, size_t> position;
  key_data.reserve(keys.size());
  key_lengths.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    key_data.push_back(keys[i].data());
    key_lengths.push_back(keys[i].size());
    position.emplace(keys[i], i);
  }
  memcached_return_t rc = memcached_mget(handle, key_data.data(), key_lengths.data(), keys.size());
  // Some servers may have been asked even if others could not be: fetch what comes.
  memcached_result_st result;
  memcached_result_create(handle, &result);
  while (memcached_fetch_result(handle, &result, &rc) != nullptr) {
    const absl::string_view key(memcached_result_key_value(&result),
                                memcached_result_key_length(&result));
    if (auto it = position.find(key); it != position.end()) {
      (*values)[it->second].emplace(memcached_result_value(&result),
                                    memcached_result_length(&result));
    }
  }
  memcached_result_free(&result);
  // The fetch loop reports a server that timed out as the end of the results, but
  // the error stays recorded on the handle (mget cleared it at the start).
  const memcached_return_t last = memcached_last_error(handle);
  if (memcached_success(last) || last == MEMCACHED_NOTFOUND) return absl::OkStatus();
  lease.Fail();
  return Failed(handle, last, "get");
}

absl::StatusOr<bool> MemcachedClient::Add(absl::string_view key, absl::string_view value) {
  Lease lease(this);
  memcached_st* handle = lease.get();
  if (handle == nullptr) return absl::ResourceExhaustedError("memcached_clone failed");
  const memcached_return_t rc =
      memcached_add(handle, key.data(), key.size(), value.data(), value.size(), 0, 0);
  if (memcached_success(rc)) return true;
  if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS) return false;
  lease.Fail();
  return Failed(handle, rc, "add");
}

absl::Status MemcachedClient::Set(absl::string_view key, absl::string_view value) {
  Lease lease(this);
  memcached_st* handle = lease.get();
  if (handle == nullptr) return absl::ResourceExhaustedError("memcached_clone failed");
  const memcached_return_t rc =
      memcached_set(handle, key.data(), key.size(), value.data(), value.size(), 0, 0);
  if (memcached_success(rc)) return absl::OkStatus();
  lease.Fail();
  return Failed(handle, rc, "set");
}

absl::Status MemcachedClient::FlushAll() {
  Lease lease(this);
  memcached_st* handle = lease.get();
  if (handle == nullptr) return absl::ResourceExhaustedError("memcached_clone failed");
  const memcached_return_t rc = memcached_flush(handle, 0);
  if (memcached_success(rc)) return absl::OkStatus();
  lease.Fail();
  return Failed(handle, rc, "flush");
}

}  // namespace roost::tweetstore
