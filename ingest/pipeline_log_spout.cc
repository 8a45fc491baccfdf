#include "ingest/pipeline_log_spout.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "ingest/event_codec.h"
#include "ingest/pipeline_tuples.h"
#include "topology/grouping.h"

namespace roost::ingest {
namespace {

// Splits a graph event into the tasks of the writer instances that own its sources.
std::vector<GraphTask> GraphTasksFor(const EventPtr& event) {
  const uint64_t time = event->event_id();
  const events::EdgeChanged& e = event->edge_changed();
  const graph::GraphId g = static_cast<graph::GraphId>(e.graph());
  GraphTask forward{e.source_id(),
                    event,
                    {{g, e.source_id(), e.destination_id(), ToState(e.state()), time, time}}};
  if (g != graph::kBlocks || e.state() != roost::v1::NORMAL) return {std::move(forward)};
  // A block ends the follows between the two users, both ways, at the same time.
  forward.writes.push_back(
      {graph::kFollows, e.source_id(), e.destination_id(), graph::EdgeState::kRemoved, time, time});
  GraphTask backward{e.destination_id(),
                     event,
                     {{graph::kFollows, e.destination_id(), e.source_id(),
                       graph::EdgeState::kRemoved, time, time}}};
  return {std::move(forward), std::move(backward)};
}

}  // namespace

absl::Status LogSpout::Open(const topology::TaskContext& context) {
  ASSIGN_OR_RETURN(reader_, log_->NewReader(start_));
  return absl::OkStatus();
}

absl::Status LogSpout::NextBatch(absl::Time deadline, topology::SpoutCollector& out) {
  batch_.clear();
  const absl::Status read = reader_->ReadBatch(/*max_records=*/512, deadline, &batch_);
  if (!read.ok() && !absl::IsUnavailable(read)) return read;
  // Records read before a failure are good; they are emitted, then the read retried.
  for (log::LogRecord& record : batch_) {
    auto event = std::make_shared<events::Event>();
    if (absl::Status decoded = DecodeEvent(record.payload, event.get()); !decoded.ok()) {
      return absl::DataLossError(
          absl::StrCat("log record at offset ", record.offset, ": ", decoded.message()));
    }
    if (scope_ != nullptr && !event->has_origin()) Derive(record.offset, *event);
    if (event->has_tweet_posted() || event->has_tweet_deleted()) {
      kTweetEvents.Emit(out, record.offset, EventPtr(std::move(event)));
    } else if (event->has_edges_mass_changed()) {
      const UserId user = event->edges_mass_changed().user_id();
      kGraphMassEvents.Emit(out, record.offset, GraphTask{user, std::move(event), {}});
    } else if (event->has_edge_changed()) {
      for (GraphTask& task : GraphTasksFor(std::move(event))) {
        kGraphEvents.Emit(out, record.offset, std::move(task));
      }
    } else if (event->has_home_delivery() || event->has_author_shown()) {
      EmitDerivedHome(record.offset, std::move(event), out);
    } else {
      return absl::DataLossError(
          absl::StrCat("log record at offset ", record.offset, " holds an unknown event"));
    }
  }
  if (read.ok()) {
    reported_read_error_ = false;
    return absl::OkStatus();
  }
  if (read_errors_ != nullptr) read_errors_->Add();
  if (!reported_read_error_) {
    reported_read_error_ = true;
    std::fprintf(stderr, "roost: reading the log failed, retrying every 10 ms: %s\n",
                 std::string(read.message()).c_str());
  }
  absl::SleepFor(
      std::max(absl::ZeroDuration(), std::min(absl::Milliseconds(10), deadline - absl::Now())));
  return absl::OkStatus();
}

void LogSpout::Derive(LogOffset offset, const events::Event& event) {
  const Origin origin{scope_->partition(), offset};
  const std::string id = DerivationId(origin.partition, offset, "copy");
  if (event.has_edge_changed()) {
    // The client's write came to the source's partition; the destination's keeps the
    // edge too.
    const UserId destination = event.edge_changed().destination_id();
    if (!scope_->IsLocal(destination)) {
      scope_->Publish(scope_->PartitionOf(destination), id, EncodeCopy(event, origin));
    }
  } else if (event.has_edges_mass_changed()) {
    // The user's edges are kept by the partitions of everyone at their other end.
    for (uint32_t p = 0; p < scope_->partitions(); ++p) {
      if (p != origin.partition) scope_->Publish(p, id, EncodeCopy(event, origin));
    }
  }
}

void LogSpout::EmitDerivedHome(LogOffset offset, EventPtr event, topology::SpoutCollector& out) {
  if (event->has_author_shown()) {
    const UserId user = event->author_shown().user_id();
    kGraphEvents.Emit(out, offset, GraphTask{user, std::move(event), {}, {}});
    return;
  }
  // One task per graph writer that owns some of the users.
  std::vector<std::vector<UserId>> by_writer(static_cast<size_t>(graph_writers_));
  for (UserId user : event->home_delivery().user_ids()) {
    by_writer[static_cast<size_t>(topology::FieldsInstance(user, graph_writers_))].push_back(user);
  }
  for (std::vector<UserId>& users : by_writer) {
    if (users.empty()) continue;
    const UserId key = users.front();
    kGraphEvents.Emit(out, offset, GraphTask{key, event, {}, std::move(users)});
  }
}

}  // namespace roost::ingest
