// The classic word count, end to end: sentences -> split (shuffle) -> count (fields
// by word). Exact counts, and every word counted by one instance only.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/topology/test_components.h"
#include "topology/topology.h"
#include "topology/typed_stream.h"

namespace roost::topology {
namespace {

using test::Feed;
using test::FeedSpouts;
using test::Soon;
using test::StartTopology;

// Both streams carry text: whole sentences out of the feed, words out of split.
constexpr TypedStream<std::string> kSentenceText{0};
constexpr TypedStream<std::string> kWordText{0};

class SplitBolt : public Bolt {
 public:
  absl::Status Execute(const Tuple& input, Emitter& out) override {
    const std::string& sentence = kSentenceText.Get(input);
    for (absl::string_view word : absl::StrSplit(sentence, ' ', absl::SkipEmpty())) {
      kWordText.Emit(out, std::string(word));
    }
    return absl::OkStatus();
  }
};

// Per count instance, the counts it held when it was cleaned up.
struct Totals {
  absl::Mutex mu;
  std::map<int, std::map<std::string, int>> by_task ABSL_GUARDED_BY(mu);
};

class CountBolt : public Bolt {
 public:
  explicit CountBolt(std::shared_ptr<Totals> totals) : totals_(std::move(totals)) {}
  absl::Status Prepare(const TaskContext& context) override {
    task_ = context.task_index;
    return absl::OkStatus();
  }
  absl::Status Execute(const Tuple& input, Emitter& out) override {
    ++counts_[kWordText.Get(input)];
    return absl::OkStatus();
  }
  void Cleanup() override {
    absl::MutexLock lock(&totals_->mu);
    totals_->by_task[task_] = counts_;
  }

 private:
  std::shared_ptr<Totals> totals_;
  int task_ = 0;
  std::map<std::string, int> counts_;
};

uint64_t Fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ULL;
  return hash;
}

TEST(WordCountTest, CountsEveryWordExactlyOnce) {
  constexpr int kSentences = 3000;
  constexpr int kVocabulary = 60;
  auto feed = std::make_shared<Feed>(/*per_batch=*/50);
  std::map<std::string, int> expected;
  uint64_t random = 42;
  for (int s = 1; s <= kSentences; ++s) {
    std::string sentence;
    for (int w = 0; w < 1 + s % 9; ++w) {
      random = random * 6364136223846793005ULL + 1442695040888963407ULL;
      std::string word = "w" + std::to_string((random >> 33) % kVocabulary);
      ++expected[word];
      sentence += word + " ";
    }
    feed->Push({static_cast<LogOffset>(s), 0, sentence});
  }

  auto totals = std::make_shared<Totals>();
  TopologyBuilder builder;
  builder.AddSpout("sentences", FeedSpouts(feed));
  builder
      .AddBolt(
          "split", [] { return std::make_unique<SplitBolt>(); }, 2)
      .Shuffle("sentences");
  builder
      .AddBolt(
          "count", [totals] { return std::make_unique<CountBolt>(totals); }, 3)
      .Fields("split", kWordText, Fnv1a);
  TopologyOptions options;
  options.worker_threads = 2;
  options.batch_size = 64;
  std::unique_ptr<Topology> topology = StartTopology(std::move(builder), options);
  ASSERT_NE(topology, nullptr);
  ASSERT_TRUE(topology->WaitForCommitted(kSentences, Soon()));
  topology->Stop();  // runs Cleanup, which publishes the counts

  absl::MutexLock lock(&totals->mu);
  ASSERT_EQ(totals->by_task.size(), 3u);
  std::map<std::string, int> merged;
  for (const auto& [task, counts] : totals->by_task) {
    for (const auto& [word, count] : counts) {
      EXPECT_EQ(merged.count(word), 0u) << word << " counted by two instances";
      merged[word] += count;
    }
  }
  EXPECT_EQ(merged, expected);
}

}  // namespace
}  // namespace roost::topology
