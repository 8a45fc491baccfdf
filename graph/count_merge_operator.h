// The RocksDB merge operator that keeps edge counts: operands and values are int64
// deltas encoded as little-endian fixed64, and merging adds them. Adding is
// associative and commutative, so concurrent writers can each Merge(+1/-1) without
// reading the count first and the result is exact whatever the order.
#ifndef ROOST_GRAPH_COUNT_MERGE_OPERATOR_H_
#define ROOST_GRAPH_COUNT_MERGE_OPERATOR_H_

#include <memory>

#include "rocksdb/merge_operator.h"

namespace roost::graph {

// The name is persisted in the database's OPTIONS file; it must never change.
inline constexpr char kCountMergeOperatorName[] = "roost.graph.Int64Add";

std::shared_ptr<rocksdb::MergeOperator> NewCountMergeOperator();

}  // namespace roost::graph

#endif  // ROOST_GRAPH_COUNT_MERGE_OPERATOR_H_
