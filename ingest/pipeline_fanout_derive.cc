// FanoutBolt's part in a cluster (pipeline_fanout_bolt.h): what it derives for other
// partitions' users.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "ingest/event_codec.h"
#include "ingest/pipeline_fanout_bolt.h"

namespace roost::ingest {

void FanoutBolt::PublishDeliveries(const FanoutWork& work, LogOffset offset,
                                   std::vector<UserId>& audience) {
  std::map<uint32_t, std::vector<UserId>> remote;
  size_t kept = 0;
  for (UserId user : audience) {
    const uint32_t partition = scope_->PartitionOf(user);
    if (partition == scope_->partition()) {
      audience[kept++] = user;
    } else {
      remote[partition].push_back(user);
    }
  }
  audience.resize(kept);
  const bool retract = work.kind == FanoutWork::Kind::kRetract;
  const Origin origin{scope_->partition(), offset};
  const events::TweetPosted* posted = work.posted != nullptr && work.posted->has_tweet_posted()
                                          ? &work.posted->tweet_posted()
                                          : nullptr;
  for (const auto& [partition, users] : remote) {
    // One event per partition and tweet, unless its followers there are very many.
    for (size_t begin = 0, chunk = 0; begin < users.size(); begin += kDerivedChunkUsers, ++chunk) {
      const absl::Span<const UserId> part =
          absl::MakeConstSpan(users).subspan(begin, kDerivedChunkUsers);
      scope_->Publish(
          partition,
          DerivationId(origin.partition, offset, absl::StrCat("h", partition, ".", chunk)),
          EncodeHomeDelivery(work.entry.id, origin, work.entry.id, work.author, work.entry.flags,
                             part, retract, posted));
    }
  }
}

absl::Status FanoutBolt::DeriveForUser(const FanoutWork& work, LogOffset offset) {
  // Only a show needs the author's tweets, which only the author's partition has; an
  // unfollow or a hide is applied by the user's partition from its own copy of the edge.
  if (work.kind == FanoutWork::Kind::kShow && scope_->IsLocal(work.author)) {
    const size_t max_entries = timelines_->max_entries();
    ASSIGN_OR_RETURN(std::vector<timelines::Entry> recent,
                     source_->RecentTweets(work.author, 0, max_entries + 1));
    std::vector<TweetId> ids;
    std::vector<uint32_t> flags;
    for (const timelines::Entry& entry : recent) {
      ids.push_back(entry.id);
      flags.push_back(entry.flags);
    }
    // A background slice's work carries no offset of its own: its mass change's.
    const LogOffset source = work.mass_job != 0 ? work.mass_job : offset;
    const Origin origin{scope_->partition(), source};
    scope_->Publish(
        scope_->PartitionOf(work.user),
        DerivationId(origin.partition, source, absl::StrCat("s", work.user, ".", work.author)),
        EncodeAuthorShown(ids.empty() ? 1 : ids.front(), origin, work.user, work.author, ids,
                          flags));
  }
  Done(work);
  return absl::OkStatus();
}

void FanoutBolt::Done(const FanoutWork& work) {
  if (work.mass_job != 0 && listener_ != nullptr) listener_->MassWorkDone(work.mass_job);
}

}  // namespace roost::ingest
