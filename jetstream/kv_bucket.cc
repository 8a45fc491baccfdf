#include "jetstream/kv_bucket.h"

#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "jetstream/nats_status.h"

namespace roost::jetstream {
namespace {

// The server refused a write that expected another revision of the key (the KV API
// reports no JetStream error code, only the server's text).
bool WrongLastSequence(const absl::Status& status) {
  return absl::StrContains(status.message(), "wrong last sequence");
}

}  // namespace

absl::StatusOr<std::unique_ptr<KvBucket>> KvBucket::Open(Connection* connection,
                                                         const std::string& bucket, int replicas,
                                                         absl::Duration timeout) {
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = absl::ToInt64Milliseconds(timeout);
  jsCtx* js = nullptr;
  if (natsStatus s = natsConnection_JetStream(&js, connection->get(), &options); s != NATS_OK) {
    return FromNats(s, "cannot open a JetStream context");
  }
  absl::Cleanup destroy = [js] { jsCtx_Destroy(js); };
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, js, bucket.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig config;
    kvConfig_Init(&config);
    config.Bucket = bucket.c_str();
    config.History = 1;
    config.Replicas = replicas;
    config.StorageType = js_FileStorage;
    s = js_CreateKeyValue(&kv, js, &config);
  }
  if (s != NATS_OK) return FromNats(s, absl::StrCat("cannot open key-value bucket ", bucket));
  std::move(destroy).Cancel();
  return std::unique_ptr<KvBucket>(new KvBucket(js, kv, bucket));
}

KvBucket::~KvBucket() {
  kvStore_Destroy(kv_);
  jsCtx_Destroy(js_);
}

absl::StatusOr<KvEntry> KvBucket::Get(absl::string_view key) const {
  const std::string k(key);
  kvEntry* entry = nullptr;
  const natsStatus s = kvStore_Get(&entry, kv_, k.c_str());
  if (s == NATS_NOT_FOUND) {
    return absl::NotFoundError(absl::StrCat("key ", key, " has no value in bucket ", bucket_));
  }
  if (s != NATS_OK) return FromNats(s, absl::StrCat("cannot read key ", key, " of ", bucket_));
  KvEntry result{std::string(static_cast<const char*>(kvEntry_Value(entry)),
                             static_cast<size_t>(kvEntry_ValueLen(entry))),
                 kvEntry_Revision(entry)};
  kvEntry_Destroy(entry);
  return result;
}

absl::StatusOr<uint64_t> KvBucket::Create(absl::string_view key, absl::string_view value) {
  const std::string k(key);
  uint64_t revision = 0;
  const natsStatus s =
      kvStore_Create(&revision, kv_, k.c_str(), value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) return revision;
  absl::Status status = FromNats(s, absl::StrCat("cannot create key ", key, " in ", bucket_));
  if (WrongLastSequence(status)) return absl::AlreadyExistsError(status.message());
  return status;
}

absl::StatusOr<uint64_t> KvBucket::Update(absl::string_view key, absl::string_view value,
                                          uint64_t expected) {
  const std::string k(key);
  uint64_t revision = 0;
  const natsStatus s = kvStore_Update(&revision, kv_, k.c_str(), value.data(),
                                      static_cast<int>(value.size()), expected);
  if (s == NATS_OK) return revision;
  absl::Status status = FromNats(s, absl::StrCat("cannot update key ", key, " in ", bucket_));
  if (WrongLastSequence(status)) return absl::FailedPreconditionError(status.message());
  return status;
}

}  // namespace roost::jetstream
