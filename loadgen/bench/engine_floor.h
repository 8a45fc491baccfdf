// The JetStream client's floor: the CPU a record costs the processes that append and
// read it through our JetStream log (jetstream/jetstream_log.h), at a given record
// rate. Every record a cluster appends (a client's write, an event derived for another
// partition) is one publish and its ack in the process that appends it and one
// ordered-consumer delivery in the partition's owner; at a few hundred records a
// second, each is mostly the NATS client's threads waking (its reader, its ack
// delivery, its message collector), whatever the record says.
//
// Measured in a process of its own role: `streams` fresh streams on the given
// servers, records of `record_bytes` appended to them in turn at `rate` with acks, in
// bursts of `burst` back to back (as a post's write and what it derives for other
// partitions leave together), and each stream read by a reader thread; this process's
// CPU over the records, and the servers' when their pids are given. The streams are
// deleted afterwards.
#ifndef ROOST_LOADGEN_BENCH_ENGINE_FLOOR_H_
#define ROOST_LOADGEN_BENCH_ENGINE_FLOOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace roost::loadgen {

struct EngineFloorOptions {
  std::vector<std::string> servers;  // NATS urls
  std::vector<int> server_pids;      // for the servers' CPU; may be empty
  int streams = 8;
  int replicas = 3;
  double rate = 100;  // records per second, all streams together
  int burst = 1;      // records appended together, each to the next stream
  absl::Duration duration = absl::Seconds(10);
  size_t record_bytes = 256;
};

struct EngineFloor {
  uint64_t records = 0;
  double client_us_per_record = 0;  // append + ack + one delivery to a reader
  double servers_us_per_record = 0;
};

absl::StatusOr<EngineFloor> MeasureEngineFloor(const EngineFloorOptions& options);

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_BENCH_ENGINE_FLOOR_H_
