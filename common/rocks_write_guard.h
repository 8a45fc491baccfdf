// RocksWriteGuard: the stores' writes to a RocksDB database, and bringing it back after
// the disk filled up.
//
// When a write fails for lack of space, RocksDB records a background error and refuses
// every later write until DB::Resume succeeds. The stores write through this guard:
// after such a failure, each later write first tries Resume (which succeeds once space
// was freed), so the pipeline, which retries writes that failed with
// RESOURCE_EXHAUSTED, carries on by itself when the disk has room again. Other I/O
// errors are left as they are: they stop the pipeline, loudly.
#ifndef ROOST_COMMON_ROCKS_WRITE_GUARD_H_
#define ROOST_COMMON_ROCKS_WRITE_GUARD_H_

#include <atomic>

#include "rocksdb/db.h"
#include "rocksdb/status.h"

namespace roost {

class RocksWriteGuard {
 public:
  explicit RocksWriteGuard(rocksdb::DB* db) : db_(db) {}

  // Runs `write` (returning rocksdb::Status), resuming the database first if a write
  // ran out of space before. While it cannot resume for lack of space, returns NoSpace
  // without writing; if resuming fails otherwise, that error.
  template <typename Write>
  rocksdb::Status Run(Write write) {
    if (out_of_space_.load(std::memory_order_acquire)) {
      const rocksdb::Status resumed = db_->Resume();
      // Busy: RocksDB's own recovery is waiting for free space. Anything else is a
      // failure of another kind, and is returned as it is (it stops the pipeline).
      if (resumed.IsNoSpace() || resumed.IsBusy()) {
        return rocksdb::Status::NoSpace("waiting for free space to resume", resumed.ToString());
      }
      if (!resumed.ok()) return resumed;
      out_of_space_.store(false, std::memory_order_release);
    }
    const rocksdb::Status status = write();
    if (status.IsNoSpace()) out_of_space_.store(true, std::memory_order_release);
    return status;
  }

 private:
  rocksdb::DB* const db_;
  std::atomic<bool> out_of_space_{false};
};

}  // namespace roost

#endif  // ROOST_COMMON_ROCKS_WRITE_GUARD_H_
