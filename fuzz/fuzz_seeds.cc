// Writes seed inputs for the fuzz targets into DIR/<target>/: the bytes of valid log
// frames and segment headers and of each kind of event, so that the fuzzers start
// from inputs that reach past the checksum and the parser.
// Usage: fuzz_seeds DIR
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "log/log_format.h"
#include "roost/v1/events.pb.h"
#include "roost/v1/roost.pb.h"

namespace {

void Write(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
}

std::string Offset(uint64_t offset) {
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &offset, 8);
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  namespace events = roost::v1::events;

  std::vector<events::Event> all(4);
  all[0].set_event_id(1);
  all[0].mutable_tweet_posted()->set_tweet_id(10);
  all[0].mutable_tweet_posted()->set_author_id(2);
  all[0].mutable_tweet_posted()->set_text("hello \xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xa6");
  all[0].mutable_tweet_posted()->set_request_id("req-1");
  all[1].set_event_id(2);
  all[1].mutable_tweet_deleted()->set_tweet_id(10);
  all[1].mutable_tweet_deleted()->set_author_id(2);
  all[2].set_event_id(3);
  all[2].mutable_edge_changed()->set_graph(roost::v1::BLOCKS);
  all[2].mutable_edge_changed()->set_source_id(1);
  all[2].mutable_edge_changed()->set_destination_id(2);
  all[3].set_event_id(4);
  all[3].mutable_edges_mass_changed()->set_graph(roost::v1::FOLLOWS);
  all[3].mutable_edges_mass_changed()->set_user_id(5);
  all[3].mutable_edges_mass_changed()->add_from_states(roost::v1::NORMAL);
  all[3].mutable_edges_mass_changed()->set_to_state(roost::v1::ARCHIVED);
  // What a cluster's partitions derive for each other: a copy of an edge change, a
  // home delivery and an author shown, each with its origin.
  all.resize(7);
  all[4] = all[2];
  all[4].mutable_origin()->set_partition(3);
  all[4].mutable_origin()->set_offset(41);
  all[5].set_event_id(10);
  all[5].mutable_origin()->set_partition(1);
  all[5].mutable_origin()->set_offset(7);
  all[5].mutable_home_delivery()->set_tweet_id(10);
  all[5].mutable_home_delivery()->set_author_id(2);
  all[5].mutable_home_delivery()->add_user_ids(3);
  all[5].mutable_home_delivery()->add_user_ids(4);
  all[6].set_event_id(10);
  all[6].mutable_origin()->set_partition(1);
  all[6].mutable_origin()->set_offset(9);
  all[6].mutable_author_shown()->set_user_id(3);
  all[6].mutable_author_shown()->set_author_id(2);
  all[6].mutable_author_shown()->add_tweet_ids(10);
  all[6].mutable_author_shown()->add_flags(0);

  std::string frames = Offset(7);
  for (size_t i = 0; i < all.size(); ++i) {
    const std::string payload = all[i].SerializeAsString();
    Write(dir + "/event_fuzz", "event" + std::to_string(i), payload);
    std::string one = Offset(7 + i);
    roost::log::AppendFrame(&one, 7 + i, payload);
    Write(dir + "/log_frame_fuzz", "frame" + std::to_string(i), one);
    roost::log::AppendFrame(&frames, 7 + i, payload);
  }
  Write(dir + "/log_frame_fuzz", "frames", frames);
  roost::log::SegmentHeader header;
  header.epoch = 3;
  Write(dir + "/log_frame_fuzz", "header", Offset(0) + roost::log::EncodeSegmentHeader(header));

  roost::v1::PostRequest post;
  post.set_author_id(1);
  post.set_text("a tweet \xe2\x9c\x93");
  post.set_request_id("r");
  Write(dir + "/validation_fuzz", "post", post.SerializeAsString());
  Write(dir + "/validation_fuzz", "text", "\xf0\x9f\x90\xa6\xed\x9f\xbf\xf4\x8f\xbf\xbf");
  roost::v1::EdgeRequest edge;
  edge.set_source_id(1);
  edge.set_destination_id(1);
  Write(dir + "/validation_fuzz", "edge", edge.SerializeAsString());
  return 0;
}
