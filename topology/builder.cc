// TopologyBuilder, BoltDeclarer and the validation of what they collect.
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "topology/topology.h"
#include "topology/topology_spec.h"

namespace roost::topology {
namespace {

BoltDeclarer& Subscribe(BoltDeclarer& declarer, std::vector<ComponentSpec>& components,
                        size_t index, Subscription subscription) {
  components[index].inputs.push_back(std::move(subscription));
  return declarer;
}

// Depth-first search over bolt -> source edges; returns the first cycle found as
// "a -> b -> a", or "" when the graph is acyclic.
class CycleFinder {
 public:
  explicit CycleFinder(const std::vector<ComponentSpec>& components) : components_(components) {
    for (size_t i = 0; i < components.size(); ++i) index_[components[i].name] = i;
  }

  std::string Find() {
    state_.assign(components_.size(), kUnvisited);
    for (size_t i = 0; i < components_.size(); ++i) {
      if (state_[i] == kUnvisited && Visit(i)) return absl::StrJoin(cycle_, " -> ");
    }
    return "";
  }

 private:
  enum State { kUnvisited, kOnPath, kFinished };

  bool Visit(size_t node) {
    state_[node] = kOnPath;
    path_.push_back(node);
    for (const Subscription& input : components_[node].inputs) {
      auto it = index_.find(input.source);
      if (it == index_.end()) continue;  // reported as an unknown source
      size_t next = it->second;
      if (state_[next] == kOnPath) {
        // The cycle is the part of the path from `next`, closed by `next` again.
        bool in_cycle = false;
        for (size_t n : path_) {
          in_cycle = in_cycle || n == next;
          if (in_cycle) cycle_.push_back(components_[n].name);
        }
        cycle_.push_back(components_[next].name);
        return true;
      }
      if (state_[next] == kUnvisited && Visit(next)) return true;
    }
    path_.pop_back();
    state_[node] = kFinished;
    return false;
  }

  const std::vector<ComponentSpec>& components_;
  absl::flat_hash_map<std::string, size_t> index_;
  std::vector<State> state_;
  std::vector<size_t> path_;
  std::vector<std::string> cycle_;
};

absl::Status ValidateOptions(const TopologyOptions& options) {
  if (options.worker_threads < 0) {
    return absl::InvalidArgumentError("worker_threads must be >= 0");
  }
  if (options.batch_size < 1) return absl::InvalidArgumentError("batch_size must be >= 1");
  if (options.queue_low_watermark < 1 ||
      options.queue_low_watermark > options.queue_high_watermark) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue watermarks must satisfy 1 <= low <= high; low is ",
                     options.queue_low_watermark, ", high is ", options.queue_high_watermark));
  }
  if (options.max_retries < 0) return absl::InvalidArgumentError("max_retries must be >= 0");
  if (options.tick_period < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("tick_period must not be negative");
  }
  return absl::OkStatus();
}

absl::Status ValidateComponent(const ComponentSpec& c,
                               const absl::flat_hash_set<std::string>& names) {
  if (c.parallelism < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("component '", c.name, "' has parallelism ", c.parallelism, "; need >= 1"));
  }
  if (c.spout == nullptr && c.bolt == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("component '", c.name, "' has no factory"));
  }
  absl::flat_hash_set<std::pair<std::string, StreamId>> seen;
  for (const Subscription& input : c.inputs) {
    if (!names.contains(input.source)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bolt '", c.name, "' subscribes to unknown component '", input.source, "'"));
    }
    if (input.grouping == Grouping::kFields && input.key == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bolt '", c.name, "' has a fields grouping on '", input.source, "' without a key"));
    }
    if (!seen.insert({input.source, input.stream}).second) {
      return absl::InvalidArgumentError(absl::StrCat("bolt '", c.name, "' subscribes twice to '",
                                                     input.source, "' stream ", input.stream));
    }
  }
  return absl::OkStatus();
}

}  // namespace

BoltDeclarer& BoltDeclarer::Shuffle(const std::string& source, StreamId stream) {
  return Subscribe(*this, builder_->impl_->components, index_,
                   {source, stream, Grouping::kShuffle, nullptr});
}

BoltDeclarer& BoltDeclarer::Fields(const std::string& source, StreamId stream, KeyFunction key) {
  return Subscribe(*this, builder_->impl_->components, index_,
                   {source, stream, Grouping::kFields, std::move(key)});
}

BoltDeclarer& BoltDeclarer::All(const std::string& source, StreamId stream) {
  return Subscribe(*this, builder_->impl_->components, index_,
                   {source, stream, Grouping::kAll, nullptr});
}

BoltDeclarer& BoltDeclarer::Global(const std::string& source, StreamId stream) {
  return Subscribe(*this, builder_->impl_->components, index_,
                   {source, stream, Grouping::kGlobal, nullptr});
}

TopologyBuilder::TopologyBuilder() : impl_(std::make_unique<Impl>()) {}
TopologyBuilder::~TopologyBuilder() = default;
TopologyBuilder::TopologyBuilder(TopologyBuilder&&) = default;
TopologyBuilder& TopologyBuilder::operator=(TopologyBuilder&&) = default;

void TopologyBuilder::AddSpout(const std::string& name, SpoutFactory factory, int parallelism) {
  ComponentSpec spec;
  spec.name = name;
  spec.parallelism = parallelism;
  spec.spout = std::move(factory);
  impl_->components.push_back(std::move(spec));
}

BoltDeclarer TopologyBuilder::AddBolt(const std::string& name, BoltFactory factory,
                                      int parallelism) {
  ComponentSpec spec;
  spec.name = name;
  spec.parallelism = parallelism;
  spec.bolt = std::move(factory);
  impl_->components.push_back(std::move(spec));
  return BoltDeclarer(this, impl_->components.size() - 1);
}

absl::Status Validate(const TopologyBuilder::Impl& spec, const TopologyOptions& options) {
  if (absl::Status status = ValidateOptions(options); !status.ok()) return status;
  absl::flat_hash_set<std::string> names;
  bool has_spout = false;
  for (const ComponentSpec& c : spec.components) {
    if (c.name.empty()) return absl::InvalidArgumentError("a component has an empty name");
    if (!names.insert(c.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("component name '", c.name, "' is used twice"));
    }
    has_spout = has_spout || c.is_spout();
  }
  if (!has_spout) return absl::InvalidArgumentError("the topology has no spout");
  for (const ComponentSpec& c : spec.components) {
    if (absl::Status status = ValidateComponent(c, names); !status.ok()) return status;
  }
  if (std::string cycle = CycleFinder(spec.components).Find(); !cycle.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the topology has a cycle: ", cycle));
  }
  return absl::OkStatus();
}

}  // namespace roost::topology
