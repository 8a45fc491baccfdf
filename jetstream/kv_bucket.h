// KvBucket: a JetStream key-value bucket (a replicated stream of the keys' latest
// values), for the cluster's small shared facts: its shape, and ownership leases. Every
// write names the revision it expects, so two nodes racing for a key cannot both win.
//
// Thread-safe. The Connection must outlive the bucket.
#ifndef ROOST_JETSTREAM_KV_BUCKET_H_
#define ROOST_JETSTREAM_KV_BUCKET_H_

#include <nats/nats.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "jetstream/connection.h"

namespace roost::jetstream {

struct KvEntry {
  std::string value;
  uint64_t revision = 0;
};

class KvBucket {
 public:
  // Opens the bucket, creating it (with `replicas`) when missing. UNAVAILABLE when
  // JetStream does not answer within `timeout`.
  static absl::StatusOr<std::unique_ptr<KvBucket>> Open(Connection* connection,
                                                        const std::string& bucket, int replicas,
                                                        absl::Duration timeout);
  ~KvBucket();
  KvBucket(const KvBucket&) = delete;
  KvBucket& operator=(const KvBucket&) = delete;

  // NOT_FOUND when the key has no value.
  absl::StatusOr<KvEntry> Get(absl::string_view key) const;
  // Sets the key only if it has no value; returns the new revision. ALREADY_EXISTS
  // when it has one.
  absl::StatusOr<uint64_t> Create(absl::string_view key, absl::string_view value);
  // Sets the key only if its revision is still `expected`; returns the new revision.
  // FAILED_PRECONDITION when someone wrote it since.
  absl::StatusOr<uint64_t> Update(absl::string_view key, absl::string_view value,
                                  uint64_t expected);

 private:
  KvBucket(jsCtx* js, kvStore* kv, std::string bucket)
      : js_(js), kv_(kv), bucket_(std::move(bucket)) {}

  jsCtx* const js_;
  kvStore* const kv_;
  const std::string bucket_;
};

}  // namespace roost::jetstream

#endif  // ROOST_JETSTREAM_KV_BUCKET_H_
