// LogReader iterates a Log's durable records in offset order from a start offset.
// Each reader has its own file handles, so a reader far behind does not contend with
// the writer. Not thread-safe: one thread per reader.
#ifndef ROOST_LOG_LOG_READER_H_
#define ROOST_LOG_LOG_READER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/types.h"

namespace roost::log {

struct LogRecord {
  LogOffset offset = 0;
  std::string payload;
};

class LogReader {
 public:
  virtual ~LogReader() = default;

  // Appends up to `max_records` durable records to *out, waiting until `deadline` for
  // at least one when none is available now. OK with no records when the deadline
  // passed; UNAVAILABLE when there is none and the log is closed (none will come);
  // DATA_LOSS when a record fails its CRC (the message names the segment file and
  // offset), after appending the records before it.
  virtual absl::Status ReadBatch(size_t max_records, absl::Time deadline,
                                 std::vector<LogRecord>* out) = 0;

  // The offset the next record will have.
  virtual LogOffset next_offset() const = 0;
};

}  // namespace roost::log

#endif  // ROOST_LOG_LOG_READER_H_
