// The pipeline's timeline writer (see pipeline.h). Internal to ingest/pipeline*.
#ifndef ROOST_INGEST_PIPELINE_TIMELINE_BOLT_H_
#define ROOST_INGEST_PIPELINE_TIMELINE_BOLT_H_

#include "common/metrics.h"
#include "ingest/pipeline_mass_jobs.h"
#include "timelines/home_timelines.h"
#include "topology/component.h"

namespace roost::ingest {

// Applies timeline batches to the shards it owns.
class TimelineBolt : public topology::Bolt {
 public:
  // `listener` and `metrics` may be null.
  TimelineBolt(timelines::HomeTimelines* timelines, MassJobListener* listener,
               MetricsRegistry* metrics);
  absl::Status Execute(const topology::Tuple& input, topology::Emitter& out) override;

 private:
  timelines::HomeTimelines* const timelines_;
  MassJobListener* const listener_;
  Counter* inserted_ = nullptr;  // entries that landed in materialized timelines
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_TIMELINE_BOLT_H_
