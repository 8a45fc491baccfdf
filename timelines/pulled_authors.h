// PulledAuthors holds the recent tweets of the authors whose tweets home reads pull in,
// rather than fanout pushing them into every follower's timeline: hybrid fanout, as
// Twitter served its most-followed accounts. Pushing one tweet of an author with a
// million followers is a million timeline inserts; pulling it is one merge per read of
// a follower, which costs far less while such authors are few.
//
// An author becomes pulled with its first tweet fanout does not push (fanout decides,
// by the author's follower count; see ingest/pipeline_fanout_bolt.h), and stays pulled for the
// life of the process: tweets pushed before, or merged into timelines by a rebuild or a
// follow, are found in the timelines too, and reads drop the duplicates. Nothing here
// is persisted: after a restart every timeline is rebuilt from the stores, which hold
// every tweet, and authors become pulled again with their next tweet.
//
// Each author keeps at most `max_entries` tweets, the newest (a home timeline never
// shows more), and its cut, as a Timeline does: the highest id it dropped. Its list
// holds every tweet of the author above the cut that was not pushed. A delete that
// leaves a cut list short of `max_entries` is answered with the shortfall, which the
// caller fills from the tweet store (Refill), so that a list is never short of what a
// home timeline may show while older tweets exist.
//
// Thread-safe. The writer-side calls for one author (Add, Remove, Refill) must come
// from one thread at a time: fanout's instance for that author.
#ifndef ROOST_TIMELINES_PULLED_AUTHORS_H_
#define ROOST_TIMELINES_PULLED_AUTHORS_H_

#include <cstddef>
#include <optional>
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

  // What a delete left a cut list short of: `count` tweets at or below `cut`.
  struct Shortfall {
    TweetId cut = 0;
    size_t count = 0;
  };
  // Forgets a deleted tweet; the list's shortfall, if it was cut and is short (so a
  // repeated call after a failed refill answers it again). Nothing for an author that
  // is not pulled.
  std::optional<Shortfall> Remove(UserId author, TweetId id);
  // Fills a shortfall: `older` (newest first) are the author's newest tweets at or
  // below shortfall.cut, and every one of them down to `new_cut` (exclusive). Ignored
  // if the list's cut has moved since.
  void Refill(UserId author, const Shortfall& shortfall, absl::Span<const Entry> older,
              TweetId new_cut);

  bool IsPulled(UserId author) const;
  // The pulled ones among `users`, in their order.
  std::vector<UserId> Among(absl::Span<const UserId> users) const;
  // Appends `author`'s tweets with id > since_id to *out, newest first, at most `limit`;
  // returns the author's cut (0 for an author that is not pulled).
  TweetId AppendRecent(UserId author, TweetId since_id, size_t limit,
                       std::vector<Entry>* out) const;

  size_t author_count() const;

 private:
  struct Recent {
    std::vector<Entry> entries;  // newest first
    TweetId cut = 0;
  };
  const size_t max_entries_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<UserId, Recent> recent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roost::timelines

#endif  // ROOST_TIMELINES_PULLED_AUTHORS_H_
