#include "cluster/call_user.h"

#include "cluster/cluster_map.h"

namespace roost::cluster {

std::optional<UserId> QueryUser(const roost::v1::QueryRequest& req, uint32_t partitions) {
  if (req.terms().empty()) return UserId{0};
  const UserId first = req.terms(0).user_id();
  const PartitionId p = UserPartition(first, partitions);
  for (const roost::v1::QueryTerm& term : req.terms()) {
    if (UserPartition(term.user_id(), partitions) != p) return std::nullopt;
  }
  return first;
}

}  // namespace roost::cluster
