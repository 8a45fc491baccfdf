// EmbeddedTarget runs the workload against the Roost engine in this process: the same
// operations as GrpcTarget, without the network or gRPC, to show what the engine does
// alone. It owns the engine and its data directory while it lives.
//
// Writes use the engine's asynchronous API directly (a post completes when durable);
// reads, which are synchronous, run on `read_threads` threads of their own.
#ifndef ROOST_LOADGEN_EMBEDDED_TARGET_H_
#define ROOST_LOADGEN_EMBEDDED_TARGET_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/thread_pool.h"
#include "loadgen/target.h"
#include "services/roost.h"

namespace roost::loadgen {

class EmbeddedTarget final : public Target {
 public:
  // Opens the engine on options.data_dir (see Roost::Open for its errors).
  static absl::StatusOr<std::unique_ptr<EmbeddedTarget>> Open(const services::RoostOptions& options,
                                                              int read_threads);
  // Waits for the reads in flight, then shuts the engine down.
  ~EmbeddedTarget() override;

  std::string name() const override { return "embedded"; }
  void Issue(const Op& op, absl::Time deadline, absl::AnyInvocable<void(Outcome)> done) override;
  void AwaitVisible(UserId follower, const Outcome& post, absl::Time deadline,
                    absl::AnyInvocable<void(absl::Status)> done) override;
  absl::StatusOr<bool> FollowsAll(UserId user, absl::Span<const UserId> followees) override;
  absl::Status Sync(absl::Time deadline) override;

  services::Roost* roost() { return roost_.get(); }

 private:
  EmbeddedTarget(std::unique_ptr<services::Roost> roost, int read_threads);

  std::unique_ptr<services::Roost> roost_;
  // Declared after the engine so that it is destroyed (finishing its reads) first.
  std::unique_ptr<ThreadPool> readers_;
};

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_EMBEDDED_TARGET_H_
