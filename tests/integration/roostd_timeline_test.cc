// End-to-end tests of home timelines on a real roostd, through gRPC only: fanout of
// posts, and what deletes, unfollows, blocks, mutes and follows do to timelines already
// in memory; paging with filters; rebuilds after a restart and after eviction by the
// memory limit; the cap on entries. Every read passes the position of the write it
// depends on.
//
// A timeline is materialized only by a read (writes to others are dropped), so each
// test reads the timelines it cares about before the writes under test; the replies
// then say `rebuilt = false`, showing the write was applied in memory rather than the
// timeline rebuilt from the stores.
#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roost/v1/roost.grpc.pb.h"
#include "tests/integration/roostd_client.h"

namespace roost::testing {
namespace {

using ::testing::Gt;

using Ids = std::vector<uint64_t>;

// What a home read returned: its ids, newest first, and whether it rebuilt the
// timeline from the stores.
struct HomeRead {
  bool rebuilt = false;
  Ids ids;

  bool operator==(const HomeRead&) const = default;
  friend void PrintTo(const HomeRead& read, std::ostream* os) {
    *os << (read.rebuilt ? "rebuilt " : "from memory ") << ::testing::PrintToString(read.ids);
  }
};
HomeRead FromMemory(Ids ids) { return {false, std::move(ids)}; }
HomeRead Rebuilt(Ids ids) { return {true, std::move(ids)}; }

class RoostdTimelineTest : public testing::RoostdTest {
 protected:
  // The whole home timeline (one page of 200) after `position`.
  HomeRead Home(uint64_t user, uint64_t position) {
    const v1::TimelinePage page = client_->MustHome(user, position);
    return {page.rebuilt(), Ids(page.ids().begin(), page.ids().end())};
  }
  // Reads each user's timeline, so that it is materialized, expecting it rebuilt.
  void Materialize(const std::vector<uint64_t>& users, uint64_t position) {
    for (uint64_t user : users) EXPECT_TRUE(Home(user, position).rebuilt) << "user " << user;
  }
  uint64_t Follow(uint64_t follower, uint64_t followee) {
    return client_->MustEdge(true, v1::FOLLOWS, follower, followee);
  }
  // User 1 follows 2 and 3, its timeline in memory; then 2, 3, 1, 2 and 3 post in
  // turn. Returns their ids in that order; *position is the last post's.
  std::array<uint64_t, 5> FollowTwoAndPost(uint64_t* position) {
    Follow(1, 2);
    Materialize({1}, Follow(1, 3));
    std::array<uint64_t, 5> ids;
    const uint64_t authors[] = {2, 3, 1, 2, 3};
    for (int i = 0; i < 5; ++i) ids[i] = Post(authors[i], "post " + std::to_string(i), position);
    EXPECT_EQ(Home(1, *position), FromMemory({ids[4], ids[3], ids[2], ids[1], ids[0]}));
    return ids;
  }
  // Posts and returns the tweet's id; *position (when given) is the post's.
  uint64_t Post(uint64_t author, const std::string& text, uint64_t* position = nullptr) {
    const auto [id, at] = client_->MustPost(author, text);
    if (position != nullptr) *position = at;
    return id;
  }
  uint64_t Delete(uint64_t author, uint64_t id) {
    uint64_t position = 0;
    grpc::Status status = client_->Delete(author, id, &position);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return position;
  }
  // The user's own tweets (one page of 200) after `position`.
  Ids UserIds(uint64_t user, uint64_t position) {
    v1::TimelinePage page;
    grpc::Status status = client_->User(user, position, &page, 200);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {page.ids().begin(), page.ids().end()};
  }
  // Walks the home timeline by max_id, `limit` entries a page, until next_max_id is 0;
  // returns the pages. A full page's next_max_id is its last id.
  std::vector<Ids> HomePages(uint64_t user, uint64_t position, uint32_t limit) {
    std::vector<Ids> pages;
    uint64_t max_id = 0;
    for (int i = 0; i < 100; ++i) {
      const v1::TimelinePage page = client_->MustHome(user, position, limit, max_id);
      pages.emplace_back(page.ids().begin(), page.ids().end());
      if (page.next_max_id() == 0) break;
      if (pages.back().empty() || page.next_max_id() != pages.back().back()) {
        ADD_FAILURE() << "page " << i << ": next_max_id " << page.next_max_id()
                      << " is not the page's last id";
        break;
      }
      max_id = page.next_max_id();
    }
    return pages;
  }
  // Ids of a page with since_id < id < max_id (0: no bound), at most `limit`.
  Ids Window(uint64_t user, uint64_t position, uint32_t limit, uint64_t max_id, uint64_t since_id) {
    const v1::TimelinePage page = client_->MustHome(user, position, limit, max_id, since_id);
    return {page.ids().begin(), page.ids().end()};
  }
};

std::vector<size_t> Sizes(const std::vector<Ids>& pages) {
  std::vector<size_t> sizes;
  for (const Ids& page : pages) sizes.push_back(page.size());
  return sizes;
}

Ids Concat(const std::vector<Ids>& pages) {
  Ids all;
  for (const Ids& page : pages) all.insert(all.end(), page.begin(), page.end());
  return all;
}

TEST_F(RoostdTimelineTest, PostFansOutToFollowersAndTheAuthorNewestFirst) {
  StartServer();
  // 2 follows 1; 3 follows 1 and 2; 4 follows 2 only; 5 follows nobody.
  Follow(2, 1);
  Follow(3, 1);
  Follow(3, 2);
  const uint64_t followed = Follow(4, 2);
  Materialize({1, 2, 3, 4, 5}, followed);

  const uint64_t a1 = Post(1, "one from 1");
  const uint64_t b1 = Post(2, "one from 2");
  uint64_t posted = 0;
  const uint64_t a2 = Post(1, "two from 1", &posted);
  EXPECT_EQ(Home(1, posted), FromMemory({a2, a1})) << "the author's own";
  EXPECT_EQ(Home(2, posted), FromMemory({a2, b1, a1}));
  EXPECT_EQ(Home(3, posted), FromMemory({a2, b1, a1}));
  EXPECT_EQ(Home(4, posted), FromMemory({b1})) << "not a follower of 1";
  EXPECT_EQ(Home(5, posted), FromMemory({})) << "follows nobody";

  // Hydrated pages carry each tweet, in the page's order.
  const v1::TimelinePage page = client_->MustHome(3, posted, 200, 0, 0, /*hydrate=*/true);
  EXPECT_THAT(page.ids(), ElementsAre(a2, b1, a1));
  ASSERT_EQ(page.tweets_size(), 3);
  const std::vector<std::pair<uint64_t, std::string>> authored = {
      {1, "two from 1"}, {2, "one from 2"}, {1, "one from 1"}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(page.tweets(i).id(), page.ids(i));
    EXPECT_EQ(page.tweets(i).author_id(), authored[i].first);
    EXPECT_EQ(page.tweets(i).text(), authored[i].second);
    EXPECT_GT(page.tweets(i).created_at_ms(), 0);
  }
}

TEST_F(RoostdTimelineTest, DeleteRetractsTheTweetFromEveryTimelineItReached) {
  StartServer();
  // 2 and 3 follow 1; 4 follows 2; 5 follows 1 but is never read before the delete.
  Follow(2, 1);
  Follow(3, 1);
  Follow(5, 1);
  const uint64_t followed = Follow(4, 2);
  Materialize({1, 2, 3, 4}, followed);
  const uint64_t a1 = Post(1, "a1");
  const uint64_t b1 = Post(2, "b1");
  uint64_t posted = 0;
  const uint64_t a2 = Post(1, "a2", &posted);
  ASSERT_EQ(Home(2, posted), FromMemory({a2, b1, a1}));

  const uint64_t deleted = Delete(1, a1);
  EXPECT_EQ(Home(1, deleted), FromMemory({a2}));
  EXPECT_EQ(Home(2, deleted), FromMemory({a2, b1}));
  EXPECT_EQ(Home(3, deleted), FromMemory({a2}));
  EXPECT_EQ(Home(4, deleted), FromMemory({b1})) << "never had it";
  EXPECT_EQ(Home(5, deleted), Rebuilt({a2})) << "a rebuild skips it too";
  EXPECT_THAT(UserIds(1, deleted), ElementsAre(a2));
  v1::GetResponse got;
  ASSERT_TRUE(client_->Get({a1}, &got).ok());
  EXPECT_EQ(got.tweets_size(), 0);
  const v1::TimelinePage page = client_->MustHome(2, deleted, 200, 0, 0, /*hydrate=*/true);
  ASSERT_EQ(page.tweets_size(), 2);
  EXPECT_EQ(page.tweets(0).text(), "a2");
  EXPECT_EQ(page.tweets(1).text(), "b1");
}

TEST_F(RoostdTimelineTest, UnfollowRemovesOnlyTheUnfollowedAuthorsEntries) {
  StartServer();
  uint64_t posted = 0;
  const auto [b1, c1, a1, b2, c2] = FollowTwoAndPost(&posted);

  const uint64_t unfollowed = client_->MustEdge(false, v1::FOLLOWS, 1, 2);
  EXPECT_EQ(Home(1, unfollowed), FromMemory({c2, a1, c1}));
  // Nor do 2's later tweets arrive; 3's still do.
  Post(2, "b3");
  const uint64_t c3 = Post(3, "c3", &posted);
  EXPECT_EQ(Home(1, posted), FromMemory({c3, c2, a1, c1}));
}

TEST_F(RoostdTimelineTest, BlockRemovesTheBlockedUsersEntriesAndEndsFollowsBothWays) {
  StartServer();
  // 1 and 2 follow each other; 1 follows 3; 3 follows 2.
  Follow(1, 2);
  Follow(2, 1);
  Follow(1, 3);
  const uint64_t followed = Follow(3, 2);
  Materialize({1, 2, 3}, followed);
  const uint64_t a1 = Post(1, "a1");
  const uint64_t b1 = Post(2, "b1");
  const uint64_t c1 = Post(3, "c1");
  uint64_t posted = 0;
  const uint64_t b2 = Post(2, "b2", &posted);
  ASSERT_EQ(Home(1, posted), FromMemory({b2, c1, b1, a1}));
  ASSERT_EQ(Home(2, posted), FromMemory({b2, b1, a1}));
  ASSERT_EQ(Home(3, posted), FromMemory({b2, c1, b1}));

  const uint64_t blocked = client_->MustEdge(true, v1::BLOCKS, 1, 2);
  EXPECT_EQ(Home(1, blocked), FromMemory({c1, a1}));
  EXPECT_EQ(Home(2, blocked), FromMemory({b2, b1})) << "2 no longer follows 1";
  EXPECT_EQ(Home(3, blocked), FromMemory({b2, c1, b1})) << "not part of the block";
  // Neither side's later tweets reach the other.
  const uint64_t b3 = Post(2, "b3");
  const uint64_t a2 = Post(1, "a2", &posted);
  EXPECT_EQ(Home(1, posted), FromMemory({a2, c1, a1}));
  EXPECT_EQ(Home(2, posted), FromMemory({b3, b2, b1}));

  // Unblocking brings neither the follows nor the entries back.
  const uint64_t unblocked = client_->MustEdge(false, v1::BLOCKS, 1, 2);
  EXPECT_THAT(client_->Contains(v1::FOLLOWS, 1, {2, 3}, unblocked), ElementsAre(false, true));
  EXPECT_THAT(client_->Contains(v1::FOLLOWS, 2, {1}, unblocked), ElementsAre(false));
  EXPECT_EQ(Home(1, unblocked), FromMemory({a2, c1, a1}));
  EXPECT_EQ(Home(2, unblocked), FromMemory({b3, b2, b1}));
  const uint64_t b4 = Post(2, "b4");
  const uint64_t a3 = Post(1, "a3", &posted);
  EXPECT_EQ(Home(1, posted), FromMemory({a3, a2, c1, a1}));
  EXPECT_EQ(Home(2, posted), FromMemory({b4, b3, b2, b1}));
}

TEST_F(RoostdTimelineTest, MuteFiltersAtReadTimeAndUnmuteShowsTheKeptEntries) {
  StartServer();
  uint64_t posted = 0;
  const auto [b1, c1, a1, b2, c2] = FollowTwoAndPost(&posted);

  const uint64_t muted = client_->MustEdge(true, v1::MUTES, 1, 2);
  EXPECT_EQ(Home(1, muted), FromMemory({c2, a1, c1}));
  // A tweet of the muted author posted during the mute is kept but not shown.
  const uint64_t b3 = Post(2, "b3", &posted);
  EXPECT_EQ(Home(1, posted), FromMemory({c2, a1, c1}));
  EXPECT_THAT(client_->Contains(v1::FOLLOWS, 1, {2}, posted), ElementsAre(true));

  // No post since the unmute: the entries were there all along.
  const uint64_t unmuted = client_->MustEdge(false, v1::MUTES, 1, 2);
  EXPECT_EQ(Home(1, unmuted), FromMemory({b3, c2, b2, a1, c1, b1}));
}

TEST_F(RoostdTimelineTest, FollowMergesTheFolloweesEarlierTweetsInIdOrder) {
  StartServer();
  const uint64_t followed = Follow(1, 3);
  Materialize({1}, followed);
  const uint64_t b1 = Post(2, "b1");
  const uint64_t c1 = Post(3, "c1");
  const uint64_t b2 = Post(2, "b2");
  const uint64_t a1 = Post(1, "a1");
  uint64_t posted = 0;
  const uint64_t b3 = Post(2, "b3", &posted);
  ASSERT_EQ(Home(1, posted), FromMemory({a1, c1}));

  const uint64_t follow = Follow(1, 2);
  EXPECT_EQ(Home(1, follow), FromMemory({b3, a1, b2, c1, b1}));
  // And 2's tweets arrive from now on.
  const uint64_t b4 = Post(2, "b4", &posted);
  EXPECT_EQ(Home(1, posted), FromMemory({b4, b3, a1, b2, c1, b1}));
}

TEST_F(RoostdTimelineTest, PagesWalkTheTimelineExactlyAndStayFullWithAMutedAuthor) {
  StartServer({"--log-sync=none"});
  Follow(1, 2);
  Follow(1, 3);
  const uint64_t followed = Follow(1, 4);
  Materialize({1}, followed);
  // 30 tweets, by 2, 3 and 4 in turn; newest first in `all`, without 3's in `unmuted`.
  Ids all, unmuted;
  uint64_t posted = 0;
  for (int i = 0; i < 30; ++i) {
    const uint64_t author = 2 + i % 3;
    const uint64_t id = Post(author, "tweet " + std::to_string(i), &posted);
    all.insert(all.begin(), id);
    if (author != 3) unmuted.insert(unmuted.begin(), id);
  }
  ASSERT_EQ(Home(1, posted), FromMemory(all));

  std::vector<Ids> pages = HomePages(1, posted, 7);
  EXPECT_THAT(Sizes(pages), ElementsAre(7, 7, 7, 7, 2));
  EXPECT_THAT(Concat(pages), ElementsAreArray(all));
  pages = HomePages(1, posted, 10);
  EXPECT_THAT(Sizes(pages), ElementsAre(10, 10, 10, 0)) << "a full last page says more may follow";
  EXPECT_THAT(Concat(pages), ElementsAreArray(all));

  // max_id and since_id are exclusive bounds; the limit keeps the newest.
  EXPECT_THAT(Window(1, posted, 200, all[5], all[15]),
              ElementsAreArray(all.begin() + 6, all.begin() + 15));
  EXPECT_THAT(Window(1, posted, 4, all[5], all[15]),
              ElementsAreArray(all.begin() + 6, all.begin() + 10));
  EXPECT_THAT(Window(1, posted, 200, 0, all[0]), IsEmpty());
  EXPECT_THAT(Window(1, posted, 200, all[29], 0), IsEmpty());

  // With 3 muted, filters apply before the limit: every page is full until the end.
  const uint64_t muted = client_->MustEdge(true, v1::MUTES, 1, 3);
  pages = HomePages(1, muted, 7);
  EXPECT_THAT(Sizes(pages), ElementsAre(7, 7, 6));
  EXPECT_THAT(Concat(pages), ElementsAreArray(unmuted));
  pages = HomePages(1, muted, 3);
  EXPECT_THAT(Sizes(pages), ElementsAre(3, 3, 3, 3, 3, 3, 2));
  EXPECT_THAT(Concat(pages), ElementsAreArray(unmuted));

  // Polling by since_id gets what is new, muted authors left out.
  const uint64_t n1 = Post(2, "new 1");
  Post(3, "new 2");
  const uint64_t n3 = Post(4, "new 3", &posted);
  EXPECT_THAT(Window(1, posted, 200, 0, all[0]), ElementsAre(n3, n1));
  EXPECT_THAT(Window(1, posted, 1, 0, all[0]), ElementsAre(n3));
}

TEST_F(RoostdTimelineTest, ARestartRebuildsEachTimelineOnItsFirstReadWithTheSameEntries) {
  StartServer();
  // 1 follows 2 and 3 (later unfollowed) and mutes 4, which it follows; 2 follows 3.
  Follow(1, 2);
  Follow(1, 3);
  Follow(1, 4);
  Follow(2, 3);
  const uint64_t muted = client_->MustEdge(true, v1::MUTES, 1, 4);
  Materialize({1, 2}, muted);
  const uint64_t b1 = Post(2, "b1");
  const uint64_t c1 = Post(3, "c1");
  Post(4, "d1");
  const uint64_t a1 = Post(1, "a1");
  const uint64_t b2 = Post(2, "b2");
  const uint64_t c2 = Post(3, "c2");
  const uint64_t b3 = Post(2, "b3");
  Delete(2, b2);
  const uint64_t last = client_->MustEdge(false, v1::FOLLOWS, 1, 3);
  const HomeRead home_1 = FromMemory({b3, a1, b1});
  const HomeRead home_2 = FromMemory({b3, c2, c1, b1});
  ASSERT_EQ(Home(1, last), home_1);
  ASSERT_EQ(Home(2, last), home_2);

  StopServer();
  StartServer();
  EXPECT_EQ(Home(1, 0), Rebuilt(home_1.ids));
  EXPECT_EQ(Home(1, 0), home_1) << "the second read is from memory";
  EXPECT_EQ(Home(2, 0), Rebuilt(home_2.ids));
  EXPECT_EQ(Home(2, 0), home_2);
  // Writes after the restart reach the rebuilt timelines.
  uint64_t posted = 0;
  const uint64_t b4 = Post(2, "b4", &posted);
  EXPECT_EQ(Home(1, posted), FromMemory({b4, b3, a1, b1}));
}

TEST_F(RoostdTimelineTest, TheMemoryLimitEvictsTheLeastRecentlyReadAndARereadRebuildsThem) {
  constexpr int64_t kLimit = 1024;  // about 4 of these timelines
  StartServer({"--timeline-memory-limit=" + std::to_string(kLimit), "--timeline-shards=1",
               "--log-sync=none"});
  // Readers 11..20 each follow 1 and 2 and post once: 5 entries each, every timeline
  // its own. Nothing is read until every post is in.
  constexpr uint64_t kFirstReader = 11, kReaders = 10;
  const uint64_t a1 = Post(1, "a1");
  const uint64_t b1 = Post(2, "b1");
  std::vector<uint64_t> own(kReaders);
  uint64_t posted = 0;
  for (uint64_t r = 0; r < kReaders; ++r) {
    Follow(kFirstReader + r, 1);
    Follow(kFirstReader + r, 2);
    own[r] = Post(kFirstReader + r, "from reader " + std::to_string(r));
  }
  const uint64_t a2 = Post(1, "a2");
  const uint64_t b2 = Post(2, "b2", &posted);
  EXPECT_EQ(client_->Counter("timelines.evicted"), 0);

  for (uint64_t r = 0; r < kReaders; ++r) {
    EXPECT_EQ(Home(kFirstReader + r, posted), Rebuilt({b2, a2, own[r], b1, a1})) << "reader " << r;
  }
  const int64_t evicted = client_->Counter("timelines.evicted");
  EXPECT_THAT(evicted, Gt(0));
  EXPECT_LE(client_->Counter("timelines.bytes"), kLimit);
  EXPECT_LT(client_->Counter("timelines.materialized"), static_cast<int64_t>(kReaders));
  // The last read is still in memory; the first was evicted and is rebuilt whole,
  // with a tweet posted since its eviction (never delivered to it).
  const uint64_t last = kFirstReader + kReaders - 1;
  EXPECT_EQ(Home(last, posted), FromMemory({b2, a2, own[kReaders - 1], b1, a1}));
  const uint64_t a3 = Post(1, "a3", &posted);
  EXPECT_EQ(Home(kFirstReader, posted), Rebuilt({a3, b2, a2, own[0], b1, a1}));
  EXPECT_EQ(Home(kFirstReader, posted), FromMemory({a3, b2, a2, own[0], b1, a1}));
}

TEST_F(RoostdTimelineTest, TheCapKeepsTheNewestEntries) {
  StartServer({"--timeline-max-entries=5"});
  Follow(1, 2);
  const uint64_t followed = Follow(3, 2);
  Materialize({1}, followed);
  Ids posts;
  uint64_t posted = 0;
  for (int i = 0; i < 8; ++i)
    posts.insert(posts.begin(), Post(2, "b" + std::to_string(i), &posted));
  const Ids newest(posts.begin(), posts.begin() + 5);
  EXPECT_EQ(Home(1, posted), FromMemory(newest));
  EXPECT_EQ(Home(3, posted), Rebuilt(newest)) << "a rebuild is capped too";
  EXPECT_THAT(UserIds(2, posted), ElementsAreArray(posts)) << "the cap is the home timeline's";
}

// Hybrid fanout: with --fanout-read-threshold=2, the star (3 followers) is pulled into
// its followers' pages at read time from its first tweet on. Every page must be what
// pushing every tweet would have made, through posts, deletes, mutes, unfollows,
// follows, rebuilds and the cap.
TEST_F(RoostdTimelineTest, PulledAuthorsReadAsIfEveryTweetWerePushed) {
  StartServer({"--fanout-read-threshold=2", "--timeline-max-entries=6"});
  constexpr uint64_t kStar = 9, kFriend = 5;
  Follow(1, kStar);
  Follow(2, kStar);
  Follow(3, kStar);
  Materialize({1, 2}, Follow(1, kFriend));
  uint64_t at = 0;
  const uint64_t s1 = Post(kStar, "s1");  // pushed once, marking 1 and 2
  const uint64_t f1 = Post(kFriend, "f1");
  const uint64_t s2 = Post(kStar, "s2");
  const uint64_t s3 = Post(kStar, "s3");
  const uint64_t f2 = Post(kFriend, "f2", &at);
  EXPECT_EQ(client_->Counter("timelines.pulled_authors"), 1);
  EXPECT_EQ(Home(1, at), FromMemory({f2, s3, s2, f1, s1}));
  EXPECT_EQ(Home(2, at), FromMemory({s3, s2, s1}));
  EXPECT_EQ(Home(3, at), Rebuilt({s3, s2, s1}));
  EXPECT_EQ(Window(1, at, 2, s3, 0), (Ids{s2, f1}));

  at = Delete(kStar, s2);
  for (uint64_t user : {1, 2, 3})
    EXPECT_THAT(Home(user, at).ids, ::testing::Not(::testing::Contains(s2)));
  at = client_->MustEdge(true, v1::MUTES, 1, kStar);
  EXPECT_EQ(Home(1, at), FromMemory({f2, f1}));
  at = client_->MustEdge(false, v1::MUTES, 1, kStar);
  EXPECT_EQ(Home(1, at), FromMemory({f2, s3, f1, s1}));

  at = client_->MustEdge(false, v1::FOLLOWS, 2, kStar);
  EXPECT_EQ(Home(2, at), FromMemory({}));
  const uint64_t s4 = Post(kStar, "s4", &at);
  EXPECT_EQ(Home(2, at), FromMemory({})) << "no longer a follower";
  at = Follow(2, kStar);
  EXPECT_EQ(Home(2, at), FromMemory({s4, s3, s1}));

  // The cap counts pulled tweets as if pushed: the newest 6 of everything.
  Ids stars;
  for (int i = 5; i <= 8; ++i)
    stars.insert(stars.begin(), Post(kStar, "s" + std::to_string(i), &at));
  EXPECT_EQ(Home(1, at), FromMemory({stars[0], stars[1], stars[2], stars[3], s4, f2}));
  EXPECT_EQ(Window(1, at, 10, f2, 0), Ids{}) << "nothing past the cap";
}

}  // namespace
}  // namespace roost::testing
