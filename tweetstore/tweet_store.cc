#include "tweetstore/tweet_store.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/coding.h"
#include "common/rocks_logger.h"
#include "common/rocks_status.h"
#include "common/rocks_write_guard.h"
#include "common/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "tweetstore/tweet_codec.h"
#include "tweetstore/tweet_keys.h"

namespace roost::tweetstore {
namespace {

constexpr char kTweetsFamily[] = "tweets";
constexpr char kByAuthorFamily[] = "by_author";
constexpr char kRequestsFamily[] = "requests";
constexpr char kMetaFamily[] = "meta";

// absl::string_view is not std::string_view in this Abseil build, so bridge by hand.
absl::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  return roost::FromRocks(s, absl::StrCat("tweet store: ", what));
}

// Two posts carry the same request id only when a client reused it after the
// deduplication window (the server answers retries within it without posting); the
// request then resolves to the later post, the one the window is measured from. A
// merge operator makes that choice inside RocksDB, so writers of different tweet ids,
// which may apply the two posts in either order, need no read-modify-write on the
// shared request key.
class KeepLatestRequest : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* logger) const override {
    if (existing_value == nullptr) {
      new_value->assign(value.data(), value.size());
      return true;
    }
    RequestRecord existing, incoming;
    if (!DecodeRequestRecord(View(*existing_value), &existing).ok() ||
        !DecodeRequestRecord(View(value), &incoming).ok()) {
      return false;  // RocksDB reports Corruption to the reader
    }
    const rocksdb::Slice& latest = incoming.position > existing.position ? value : *existing_value;
    new_value->assign(latest.data(), latest.size());
    return true;
  }
  const char* Name() const override { return "roost.KeepLatestRequest"; }
};

// The cheapest compression compiled into this RocksDB for hot levels, and the densest
// for the bottommost level, which holds most of the data and is rewritten least.
void ChooseCompression(rocksdb::ColumnFamilyOptions* options) {
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  auto has = [&supported](rocksdb::CompressionType type) {
    return std::find(supported.begin(), supported.end(), type) != supported.end();
  };
  options->compression = has(rocksdb::kLZ4Compression)      ? rocksdb::kLZ4Compression
                         : has(rocksdb::kSnappyCompression) ? rocksdb::kSnappyCompression
                                                            : rocksdb::kNoCompression;
  options->bottommost_compression = has(rocksdb::kZSTD) ? rocksdb::kZSTD : options->compression;
}

rocksdb::ColumnFamilyOptions FamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                           bool point_lookups) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Point reads by id (tweets, requests) mostly hit one SST; a Bloom filter lets the
  // others be skipped. by_author is only ever scanned, where whole-key filters do not help.
  if (point_lookups) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions options;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  ChooseCompression(&options);
  return options;
}

class RocksTweetStore : public TweetStore {
 public:
  // Takes ownership of db and handles (tweets, by_author, requests, meta, default).
  RocksTweetStore(std::unique_ptr<rocksdb::DB> db,
                  std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : db_(std::move(db)),
        handles_(std::move(handles)),
        tweets_(handles_[0]),
        by_author_(handles_[1]),
        requests_(handles_[2]),
        meta_(handles_[3]) {}

  ~RocksTweetStore() override {
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();
  }

  absl::Status Put(const Tweet& tweet, absl::string_view request_id, LogOffset position) override {
    // Read-then-write is safe: the pipeline gives each id a single writer.
    ASSIGN_OR_RETURN(const std::optional<std::string> existing,
                     GetRaw(tweets_, TweetKey(tweet.id)));
    if (existing.has_value()) return absl::OkStatus();

    std::string value;
    EncodeTweet(tweet, &value);
    rocksdb::WriteBatch batch;
    RETURN_IF_ERROR(FromRocks(batch.Put(tweets_, TweetKey(tweet.id), value), "batch"));
    if (!tweet.deleted) {
      RETURN_IF_ERROR(
          FromRocks(batch.Put(by_author_, AuthorIndexKey(tweet.author, tweet.id), ""), "batch"));
    }
    if (!request_id.empty()) {
      std::string record;
      EncodeRequestRecord({tweet.id, position, tweet.created_at_ms}, &record);
      RETURN_IF_ERROR(
          FromRocks(batch.Merge(requests_, RequestKey(tweet.author, request_id), record), "batch"));
    }
    return Write(&batch);
  }

  absl::Status Delete(TweetId id) override {
    ASSIGN_OR_RETURN(std::optional<Tweet> tweet, Get(id));
    if (!tweet.has_value()) return absl::NotFoundError(absl::StrCat("tweet ", id, " not found"));
    if (tweet->deleted) return absl::OkStatus();

    tweet->deleted = true;
    tweet->text.clear();
    std::string value;
    EncodeTweet(*tweet, &value);
    rocksdb::WriteBatch batch;
    RETURN_IF_ERROR(FromRocks(batch.Put(tweets_, TweetKey(id), value), "batch"));
    RETURN_IF_ERROR(
        FromRocks(batch.Delete(by_author_, AuthorIndexKey(tweet->author, id)), "batch"));
    return Write(&batch);
  }

  absl::StatusOr<std::optional<Tweet>> Get(TweetId id) override {
    ASSIGN_OR_RETURN(const std::optional<std::string> value, GetRaw(tweets_, TweetKey(id)));
    if (!value.has_value()) return std::nullopt;
    Tweet tweet;
    RETURN_IF_ERROR(DecodeTweet(id, *value, &tweet));
    return tweet;
  }

  absl::StatusOr<std::vector<std::optional<Tweet>>> MultiGet(
      absl::Span<const TweetId> ids) override {
    std::vector<std::string> keys;
    keys.reserve(ids.size());
    for (TweetId id : ids) keys.push_back(TweetKey(id));
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<rocksdb::PinnableSlice> values(ids.size());
    std::vector<rocksdb::Status> statuses(ids.size());
    db_->MultiGet(rocksdb::ReadOptions(), tweets_, ids.size(), slices.data(), values.data(),
                  statuses.data());

    std::vector<std::optional<Tweet>> result(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      if (statuses[i].IsNotFound()) continue;
      RETURN_IF_ERROR(FromRocks(statuses[i], "multiget"));
      Tweet tweet;
      RETURN_IF_ERROR(DecodeTweet(ids[i], View(values[i]), &tweet));
      result[i] = std::move(tweet);
    }
    return result;
  }

  absl::StatusOr<std::vector<TweetId>> AuthorTweets(UserId author, TweetId max_id, TweetId since_id,
                                                    size_t limit) override {
    std::vector<TweetId> ids;
    // Nothing lies strictly between since_id and max_id.
    if (limit == 0 || (max_id != 0 && max_id <= since_id + 1)) return ids;

    // Keys are (author, ~id), so ids fall as keys rise: the newest id below max_id is
    // the first key at or after (author, ~(max_id - 1)), and id > since_id is exactly
    // key < (author, ~since_id), which also ends the scan before the next author.
    const std::string start =
        max_id == 0 ? AuthorIndexKey(author, ~TweetId{0}) : AuthorIndexKey(author, max_id - 1);
    const std::string end = AuthorIndexKey(author, since_id);
    const rocksdb::Slice upper_bound(end);
    rocksdb::ReadOptions read_options;
    read_options.iterate_upper_bound = &upper_bound;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, by_author_));
    for (it->Seek(start); it->Valid() && ids.size() < limit; it->Next()) {
      ids.push_back(TweetIdOfAuthorIndexKey(View(it->key())));
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "scan by_author"));
    return ids;
  }

  absl::StatusOr<std::optional<RequestRecord>> FindRequest(UserId author,
                                                           absl::string_view request_id) override {
    ASSIGN_OR_RETURN(const std::optional<std::string> value,
                     GetRaw(requests_, RequestKey(author, request_id)));
    if (!value.has_value()) return std::nullopt;
    RequestRecord record;
    RETURN_IF_ERROR(DecodeRequestRecord(*value, &record));
    return record;
  }

  absl::StatusOr<LogOffset> CommittedOffset() override {
    ASSIGN_OR_RETURN(const std::optional<std::string> value,
                     GetRaw(meta_, std::string(kCommittedOffsetKey)));
    if (!value.has_value()) return LogOffset{0};
    if (value->size() != 8) return absl::DataLossError("committed offset is not 8 bytes");
    return DecodeFixed64(value->data());
  }

  absl::Status SetCommittedOffset(LogOffset offset) override {
    std::string value;
    PutFixed64(&value, offset);
    rocksdb::WriteBatch batch;
    RETURN_IF_ERROR(FromRocks(batch.Put(meta_, std::string(kCommittedOffsetKey), value), "batch"));
    return Write(&batch);
  }

 private:
  absl::StatusOr<std::optional<std::string>> GetRaw(rocksdb::ColumnFamilyHandle* family,
                                                    const std::string& key) {
    std::string value;
    const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), family, key, &value);
    if (s.IsNotFound()) return std::nullopt;
    RETURN_IF_ERROR(FromRocks(s, "get"));
    return value;
  }

  // Not synced: the log is the source of truth and RocksDB recovers a prefix of its
  // WAL, so a committed offset that survives a crash implies every write before it did.
  absl::Status Write(rocksdb::WriteBatch* batch) {
    return FromRocks(guard_.Run([&] { return db_->Write(rocksdb::WriteOptions(), batch); }),
                     "write");
  }

  const std::unique_ptr<rocksdb::DB> db_;
  RocksWriteGuard guard_{db_.get()};
  const std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* const tweets_;
  rocksdb::ColumnFamilyHandle* const by_author_;
  rocksdb::ColumnFamilyHandle* const requests_;
  rocksdb::ColumnFamilyHandle* const meta_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TweetStore>> TweetStore::Open(const std::string& path,
                                                             const TweetStoreOptions& options) {
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = options.create_if_missing;
  db_options.max_background_jobs = 2;
  db_options.info_log = std::make_shared<RocksLogger>(path, "tweets");

  rocksdb::ColumnFamilyOptions requests = FamilyOptions(cache, /*point_lookups=*/true);
  requests.merge_operator = std::make_shared<KeepLatestRequest>();
  // Order matters: RocksTweetStore reads handles by position.
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {kTweetsFamily, FamilyOptions(cache, /*point_lookups=*/true)},
      {kByAuthorFamily, FamilyOptions(cache, /*point_lookups=*/false)},
      {kRequestsFamily, requests},
      {kMetaFamily, rocksdb::ColumnFamilyOptions()},
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_options, path, families, &handles, &raw),
                            absl::StrCat("open ", path)));
  return std::unique_ptr<TweetStore>(
      new RocksTweetStore(std::unique_ptr<rocksdb::DB>(raw), std::move(handles)));
}

}  // namespace roost::tweetstore
