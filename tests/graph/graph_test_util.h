// Helpers shared by the graph store tests: a fresh store per test and short ways to
// build writes and read results.
#ifndef ROOST_TESTS_GRAPH_GRAPH_TEST_UTIL_H_
#define ROOST_TESTS_GRAPH_GRAPH_TEST_UTIL_H_

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/count_merge_operator.h"
#include "graph/graph_store.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace roost::graph::testing {

inline constexpr Direction kForward = Direction::kForward;
inline constexpr Direction kBackward = Direction::kBackward;
inline constexpr StateMask kAllStates = 0x0f;
inline constexpr StateMask kArchivedOnly = StateBit(EdgeState::kArchived);
inline constexpr StateMask kRemovedOnly = StateBit(EdgeState::kRemoved);

// The value of `result`, or T{} after recording a test failure.
template <typename T>
T Must(absl::StatusOr<T> result) {
  if (!result.ok()) {
    ADD_FAILURE() << result.status();
    return T{};
  }
  return *std::move(result);
}

// A directory under the test temp dir that no other test (or earlier run) uses.
inline std::string FreshDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = ::testing::TempDir();
  if (!dir.empty() && dir.back() != '/') dir.push_back('/');
  std::string test = info != nullptr ? info->name() : "none";
  for (char& c : test) {
    if (c == '/') c = '_';  // parameterized tests are named "Name/0"
  }
  std::string name =
      absl::StrCat(dir, "roost_graph_", getpid(), "_", test, "_", tag, "_", counter++);
  std::filesystem::remove_all(name);
  return name;
}

inline std::unique_ptr<GraphStore> OpenStore(const std::string& path) {
  GraphStoreOptions options;
  options.block_cache_bytes = size_t{1} << 20;
  auto store = GraphStore::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

inline EdgeWrite Write(UserId source, UserId destination, EdgeState state, uint64_t updated_at,
                       uint64_t position, GraphId graph = kFollows) {
  return EdgeWrite{graph, source, destination, state, updated_at, position};
}

// A follow whose event id serves as both updated_at and position, as in the pipeline.
inline EdgeWrite Follow(UserId source, UserId destination, uint64_t event) {
  return Write(source, destination, EdgeState::kNormal, event, event);
}

// Every page of a Select, concatenated; fails the test on a repeated cursor.
inline std::vector<UserId> SelectByPages(GraphStore& store, GraphId graph, UserId user,
                                         Direction direction, StateMask states, size_t limit) {
  std::vector<UserId> ids;
  int64_t cursor = 0;
  do {
    Page page = Must(store.Select(graph, user, direction, states, cursor, limit));
    EXPECT_LE(page.ids.size(), limit);
    ids.insert(ids.end(), page.ids.begin(), page.ids.end());
    if (page.next_cursor != 0 && cursor != 0 && page.next_cursor >= cursor) {
      ADD_FAILURE() << "cursor did not advance";
      break;
    }
    cursor = page.next_cursor;
  } while (cursor != 0);
  return ids;
}

// A fixture with one fresh store per test.
class GraphStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = FreshDir("store");
    Reopen();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(path_);
  }
  void Reopen() {
    store_.reset();  // RocksDB allows one open handle per directory
    store_ = OpenStore(path_);
  }
  // The store's RocksDB opened behind its back (the store must be closed), for tests
  // that damage or rewrite it.
  std::unique_ptr<rocksdb::DB> OpenRaw() {
    rocksdb::Options options;
    options.merge_operator = NewCountMergeOperator();
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, path_, &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::unique_ptr<rocksdb::DB>(raw);
  }
  std::vector<EdgeChange> Apply(std::vector<EdgeWrite> writes) {
    return Must(store_->Apply(writes));
  }
  std::vector<UserId> Ids(UserId user, Direction direction, StateMask states = kNormalOnly,
                          GraphId graph = kFollows) {
    return Must(store_->SelectAll(graph, user, direction, states));
  }
  uint64_t CountOf(UserId user, Direction direction, StateMask states = kNormalOnly,
                   GraphId graph = kFollows) {
    return Must(store_->Count(graph, user, direction, states));
  }

  std::string path_;
  std::unique_ptr<GraphStore> store_;
};

}  // namespace roost::graph::testing

#endif  // ROOST_TESTS_GRAPH_GRAPH_TEST_UTIL_H_
