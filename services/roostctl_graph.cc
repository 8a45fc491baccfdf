#include "services/roostctl_graph.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "graph/graph_store.h"
#include "log/env.h"

namespace roost::services::ctl {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "roostctl graph: %s\n", status.ToString().c_str());
  return 1;
}

// Verifies one partition's stores (a single roostd's data dir is one), printing
// each line after `prefix`.
int Verify(const std::string& data_dir, const std::string& prefix) {
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
      "%scounts: %llu drifted (each (graph, direction, user, state) count recomputed "
      "from its list)\n",
      prefix.c_str(), static_cast<unsigned long long>(*counts));
  std::printf(
      "%sindexes: %llu problems (forward and backward entries of every edge, and "
      "its list keys)\n",
      prefix.c_str(), static_cast<unsigned long long>(*indexes));
  if (*counts != 0 || *indexes != 0) {
    std::printf("%sthe graph store is inconsistent\n", prefix.c_str());
    return 1;
  }
  std::printf("%sok\n", prefix.c_str());
  return 0;
}

// The partitions a cluster node keeps under `data_dir` (one directory p<N> each), in
// order; none for a single roostd's data dir.
std::vector<uint32_t> NodePartitions(const std::string& data_dir) {
  std::vector<uint32_t> partitions;
  std::error_code error;
  if (std::filesystem::exists(data_dir + "/graph", error)) return partitions;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir, error)) {
    const std::string name = entry.path().filename().string();
    uint32_t p = 0;
    if (entry.is_directory() && name.size() > 1 && name[0] == 'p' &&
        absl::SimpleAtoi(name.substr(1), &p) && name == absl::StrCat("p", p)) {
      partitions.push_back(p);
    }
  }
  std::sort(partitions.begin(), partitions.end());
  return partitions;
}

// Every partition of a cluster node's data dir, or the one store of a single
// roostd's: exit 1 if any is inconsistent or cannot be read.
int VerifyAll(const std::string& data_dir) {
  const std::vector<uint32_t> partitions = NodePartitions(data_dir);
  if (partitions.empty()) return Verify(data_dir, "");
  int worst = 0;
  for (uint32_t p : partitions) {
    std::fflush(stdout);
    worst = std::max(worst, Verify(absl::StrCat(data_dir, "/p", p), absl::StrCat("partition ", p, ": ")));
  }
  return worst;
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
  return VerifyAll(data_dir);
}

}  // namespace roost::services::ctl
