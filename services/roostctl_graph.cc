#include "services/roostctl_graph.h"

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "graph/graph_store.h"
#include "log/env.h"

namespace roost::services::ctl {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "roostctl graph: %s\n", status.ToString().c_str());
  return 1;
}

int Verify(const std::string& data_dir) {
  // The lock keeps a roostd from starting meanwhile; one already running holds it.
  absl::StatusOr<std::unique_ptr<log::FileLock>> lock =
      log::Env::Default()->LockFile(data_dir + "/LOCK");
  if (absl::IsFailedPrecondition(lock.status())) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat(data_dir, " is in use by a roostd: stop it first")));
  }
  if (!lock.ok()) return Fail(lock.status());
  graph::GraphStoreOptions options;
  options.create_if_missing = false;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<graph::GraphStore>> store =
      graph::GraphStore::Open(data_dir + "/graph", options);
  if (!store.ok()) return Fail(store.status());
  absl::StatusOr<uint64_t> counts = (*store)->VerifyCounts();
  if (!counts.ok()) return Fail(counts.status());
  absl::StatusOr<uint64_t> indexes = (*store)->VerifyIndexes();
  if (!indexes.ok()) return Fail(indexes.status());
  std::printf(
      "counts: %llu drifted (each (graph, direction, user, state) count recomputed "
      "from its list)\n",
      static_cast<unsigned long long>(*counts));
  std::printf(
      "indexes: %llu problems (forward and backward entries of every edge, and "
      "its list keys)\n",
      static_cast<unsigned long long>(*indexes));
  if (*counts != 0 || *indexes != 0) {
    std::printf("the graph store is inconsistent\n");
    return 1;
  }
  std::printf("ok\n");
  return 0;
}

}  // namespace

int RunGraphCommand(const std::vector<std::string>& args, const std::string& data_dir) {
  if (args.size() != 1 || args[0] != "verify") {
    std::fprintf(stderr, "roostctl: usage: roostctl graph verify --data-dir=DIR\n");
    return 2;
  }
  if (data_dir.empty()) {
    std::fprintf(stderr,
                 "roostctl: graph commands need --data-dir=DIR (roostd's data directory)\n");
    return 2;
  }
  return Verify(data_dir);
}

}  // namespace roost::services::ctl
