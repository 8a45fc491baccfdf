#include "graph/count_merge_operator.h"

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "graph/graph_keys.h"

namespace roost::graph {
namespace {

class CountMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* logger) const override {
    int64_t base = 0;
    int64_t delta = 0;
    if (existing_value != nullptr &&
        !keys::DecodeCount(absl::string_view(existing_value->data(), existing_value->size()),
                           &base)) {
      return false;  // RocksDB reports Corruption to the reader
    }
    if (!keys::DecodeCount(absl::string_view(value.data(), value.size()), &delta)) {
      return false;
    }
    // Unsigned add: wraps instead of signed-overflow UB on a corrupt value.
    *new_value = keys::EncodeCount(
        static_cast<int64_t>(static_cast<uint64_t>(base) + static_cast<uint64_t>(delta)));
    return true;
  }

  const char* Name() const override { return kCountMergeOperatorName; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewCountMergeOperator() {
  return std::make_shared<CountMergeOperator>();
}

}  // namespace roost::graph
