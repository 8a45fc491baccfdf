// PulledAuthors holds the recent tweets of the authors whose tweets home reads pull in,
// rather than fanout pushing them into every follower's timeline: hybrid fanout, as
// Twitter served its most-followed accounts. Pushing one tweet of an author with a
// million followers is a million timeline inserts; pulling it is one merge per read of
// a follower, which costs far less while such authors are few.
//
// An author becomes pulled with its first tweet fanout does not push (fanout decides,
// by the author's follower count; see ingest/pipeline_bolts.h), and stays pulled for the
// life of the process: tweets pushed before, or merged into timelines by a rebuild or a
// follow, are found in the timelines too, and reads drop the duplicates. Nothing here
// is persisted: after a restart every timeline is rebuilt from the stores, which hold
// every tweet, and authors become pulled again with their next tweet.
//
// Each author keeps at most `max_entries` tweets, the newest (a home timeline never
// shows more). Thread-safe.
#ifndef ROOST_TIMELINES_PULLED_AUTHORS_H_
#define ROOST_TIMELINES_PULLED_AUTHORS_H_

#include <cstddef>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "common/types.h"
#include "timelines/timeline.h"

namespace roost::timelines {

class PulledAuthors {
 public:
  explicit PulledAuthors(size_t max_entries) : max_entries_(max_entries) {}

  // Records a tweet that was not pushed; its author is pulled from now on.
  void Add(const Entry& entry);
  // Forgets a deleted tweet. No-op for an author that is not pulled.
  void Remove(UserId author, TweetId id);

  bool IsPulled(UserId author) const;
  // The pulled ones among `users`, in their order.
  std::vector<UserId> Among(absl::Span<const UserId> users) const;
  // Appends `author`'s tweets with id > since_id to *out, newest first, at most `limit`.
  void AppendRecent(UserId author, TweetId since_id, size_t limit,
                    std::vector<Entry>* out) const;

  size_t author_count() const;

 private:
  const size_t max_entries_;
  mutable absl::Mutex mu_;
  // Per author, newest first.
  absl::flat_hash_map<UserId, std::vector<Entry>> recent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roost::timelines

#endif  // ROOST_TIMELINES_PULLED_AUTHORS_H_
