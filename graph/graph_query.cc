// Set algebra over the NORMAL edges of several lists (Query).
//
// Strategies, all reading at one snapshot so a page is consistent:
//  - DIFFERENCE, and INTERSECT in general: walk the first term newest first and probe
//    each candidate batch against the other terms' element indexes (one MultiGet per
//    term and batch). Resuming at the cursor makes a full pass over all pages cost one
//    walk of the first term.
//  - INTERSECT when the first term is much larger than the smallest: collect the
//    smallest term, probe it against the first (for positions) and the others, and sort
//    by the first term's position. Each page costs O(smallest term); it avoids walking
//    a huge first list whose ids mostly fail the probes. But when the terms overlap a
//    lot, walking the first term fills a page after a few probes per result, while
//    this costs the whole smallest term for every page (paging a 100k-id result 200
//    at a time would probe the smallest term 500 times over). So the walk is tried
//    first with a budget of as many candidates as the smallest term has ids, and the
//    smallest-term pass runs only if the walk spends it without filling the page: a
//    page never costs more than twice the cheaper strategy's probes.
//  - UNION: merge all terms newest first; an occurrence of an id is emitted only where
//    it has its highest position among the terms (ties: the lowest term), which a probe
//    of the other terms decides. So an id appears once, at the position that orders
//    it, and a cursor resumes without repeats or skips.
#include <algorithm>
#include <tuple>

#include "common/status_macros.h"
#include "graph/graph_store_impl.h"

namespace roost::graph {
namespace {

// Candidates probed per MultiGet.
constexpr size_t kMinProbeBatch = 64;
constexpr size_t kMaxProbeBatch = 1024;
// INTERSECT switches to the smallest term when the first has this many times more
// NORMAL edges.
constexpr uint64_t kSmallestTermRatio = 8;

size_t ProbeBatchSize(size_t limit) {
  return std::clamp(limit + 1, kMinProbeBatch, kMaxProbeBatch);
}

bool IsNormal(const std::optional<keys::ElementValue>& element) {
  return element.has_value() && element->state == EdgeState::kNormal;
}

struct Candidate {
  UserId id = 0;
  uint64_t position = 0;
  size_t term = 0;  // the term the candidate was read from
};

std::vector<UserId> IdsOf(const std::vector<Candidate>& candidates) {
  std::vector<UserId> ids;
  ids.reserve(candidates.size());
  for (const Candidate& c : candidates) ids.push_back(c.id);
  return ids;
}

// Refills `batch` with the next entries of `lists`, at most `size`.
void NextBatch(ListMerger& lists, size_t size, std::vector<Candidate>* batch) {
  batch->clear();
  for (; lists.Valid() && batch->size() < size; lists.Next()) {
    batch->push_back(Candidate{lists.other(), lists.position(), lists.source()});
  }
}

// Keeps the candidates whose presence in a term (`found`, aligned with them) is
// `keep_if_present`, in order.
void KeepByPresence(const std::vector<std::optional<keys::ElementValue>>& found,
                    bool keep_if_present, std::vector<Candidate>* candidates) {
  size_t kept = 0;
  for (size_t i = 0; i < candidates->size(); ++i) {
    if (IsNormal(found[i]) == keep_if_present) (*candidates)[kept++] = (*candidates)[i];
  }
  candidates->resize(kept);
}

absl::Status ValidateTerms(absl::Span<const QueryTerm> terms) {
  if (terms.empty() || terms.size() > kMaxQueryTerms) {
    return absl::InvalidArgumentError("graph query: between 1 and 8 terms");
  }
  for (const QueryTerm& term : terms) {
    if (term.graph == 0 || term.user == 0 ||
        static_cast<uint8_t>(term.direction) > static_cast<uint8_t>(Direction::kBackward)) {
      return absl::InvalidArgumentError("graph query: malformed term");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Page> GraphStoreImpl::Query(SetOp op, absl::Span<const QueryTerm> terms,
                                           int64_t cursor, size_t limit) {
  RETURN_IF_ERROR(ValidateTerms(terms));
  RETURN_IF_ERROR(ValidatePaging(cursor, limit));
  rocksdb::ManagedSnapshot snapshot(db_.get());
  const auto before = static_cast<uint64_t>(cursor);
  switch (op) {
    case SetOp::kIntersect: {
      // Counts are cheap (no scan); they are read outside the snapshot because they
      // only steer the choice of strategy, never the result.
      size_t smallest = 0;
      std::vector<uint64_t> sizes;
      for (const QueryTerm& term : terms) {
        ASSIGN_OR_RETURN(uint64_t size, Count(term.graph, term.user, term.direction, kNormalOnly));
        sizes.push_back(size);
        if (size < sizes[smallest]) smallest = sizes.size() - 1;
      }
      if (sizes[0] > kSmallestTermRatio * sizes[smallest]) {
        bool spent = false;
        ASSIGN_OR_RETURN(Page page, WalkFirstTerm(snapshot.snapshot(), op, terms, before, limit,
                                                  std::max<uint64_t>(sizes[smallest], 1), &spent));
        if (!spent) return page;
        return IntersectFromSmallest(snapshot.snapshot(), terms, smallest, before, limit);
      }
      return WalkFirstTerm(snapshot.snapshot(), op, terms, before, limit, UINT64_MAX, nullptr);
    }
    case SetOp::kDifference:
      return WalkFirstTerm(snapshot.snapshot(), op, terms, before, limit, UINT64_MAX, nullptr);
    case SetOp::kUnion:
      return Union(snapshot.snapshot(), terms, before, limit);
  }
  return absl::InvalidArgumentError("graph query: unknown set operation");
}

absl::StatusOr<uint64_t> GraphStoreImpl::QueryCount(SetOp op, absl::Span<const QueryTerm> terms) {
  RETURN_IF_ERROR(ValidateTerms(terms));
  rocksdb::ManagedSnapshot snapshot(db_.get());
  // Each walk reads one term in batches and keeps the ids that pass probes of others.
  auto walk = [&](size_t walked, const std::vector<size_t>& probed,
                  bool keep_if_present) -> absl::StatusOr<uint64_t> {
    ListMerger list = OpenTerms(snapshot.snapshot(), terms.subspan(walked, 1), 0);
    uint64_t kept = 0;
    std::vector<Candidate> batch;
    while (list.Valid()) {
      NextBatch(list, kMaxProbeBatch, &batch);
      for (size_t t : probed) {
        if (batch.empty()) break;
        ASSIGN_OR_RETURN(Elements found, ProbeTerm(snapshot.snapshot(), terms[t], IdsOf(batch)));
        KeepByPresence(found, keep_if_present, &batch);
      }
      kept += batch.size();
    }
    RETURN_IF_ERROR(list.status());
    return kept;
  };
  switch (op) {
    case SetOp::kIntersect: {
      size_t smallest = 0;
      uint64_t smallest_size = UINT64_MAX;
      for (size_t t = 0; t < terms.size(); ++t) {
        ASSIGN_OR_RETURN(uint64_t size,
                         Count(terms[t].graph, terms[t].user, terms[t].direction, kNormalOnly));
        if (size < smallest_size) {
          smallest = t;
          smallest_size = size;
        }
      }
      std::vector<size_t> others;
      for (size_t t = 0; t < terms.size(); ++t) {
        if (t != smallest) others.push_back(t);
      }
      return walk(smallest, others, /*keep_if_present=*/true);
    }
    case SetOp::kDifference: {
      std::vector<size_t> others;
      for (size_t t = 1; t < terms.size(); ++t) others.push_back(t);
      return walk(0, others, /*keep_if_present=*/false);
    }
    case SetOp::kUnion: {
      uint64_t total = 0;
      std::vector<size_t> earlier;
      for (size_t t = 0; t < terms.size(); ++t) {
        ASSIGN_OR_RETURN(uint64_t fresh, walk(t, earlier, /*keep_if_present=*/false));
        total += fresh;
        earlier.push_back(t);
      }
      return total;
    }
  }
  return absl::InvalidArgumentError("graph query: unknown set operation");
}

ListMerger GraphStoreImpl::OpenTerms(const rocksdb::Snapshot* snapshot,
                                     absl::Span<const QueryTerm> terms, uint64_t before) {
  ListMerger merged;
  for (const QueryTerm& term : terms) {
    merged.Add(std::make_unique<ListScanner>(db_.get(), snapshot, term.graph, term.direction,
                                             term.user, EdgeState::kNormal, before));
  }
  return merged;
}

absl::StatusOr<Page> GraphStoreImpl::WalkFirstTerm(const rocksdb::Snapshot* snapshot, SetOp op,
                                                   absl::Span<const QueryTerm> terms,
                                                   uint64_t cursor, size_t limit,
                                                   uint64_t max_candidates, bool* spent) {
  // INTERSECT keeps ids NORMAL in every other term; DIFFERENCE those NORMAL in none.
  const bool keep_if_present = op == SetOp::kIntersect;
  ListMerger first = OpenTerms(snapshot, terms.first(1), cursor);
  PageBuilder page(limit);
  std::vector<Candidate> batch;
  uint64_t candidates = 0;
  while (first.Valid() && !page.full()) {
    if (candidates >= max_candidates) {
      *spent = true;
      return Page();
    }
    NextBatch(first, std::min<uint64_t>(ProbeBatchSize(limit), max_candidates - candidates),
              &batch);
    candidates += batch.size();
    // Filter term by term; each probe only asks about the survivors.
    for (size_t t = 1; t < terms.size() && !batch.empty(); ++t) {
      ASSIGN_OR_RETURN(Elements found, ProbeTerm(snapshot, terms[t], IdsOf(batch)));
      KeepByPresence(found, keep_if_present, &batch);
    }
    for (size_t i = 0; i < batch.size() && !page.full(); ++i) {
      page.Add(batch[i].id, batch[i].position);
    }
  }
  RETURN_IF_ERROR(first.status());
  return std::move(page).Finish();
}

absl::StatusOr<Page> GraphStoreImpl::IntersectFromSmallest(const rocksdb::Snapshot* snapshot,
                                                           absl::Span<const QueryTerm> terms,
                                                           size_t smallest, uint64_t cursor,
                                                           size_t limit) {
  const QueryTerm& small = terms[smallest];
  std::vector<UserId> ids;
  ListScanner scan(db_.get(), snapshot, small.graph, small.direction, small.user,
                   EdgeState::kNormal, 0);
  for (; scan.Valid(); scan.Next()) ids.push_back(scan.other());
  RETURN_IF_ERROR(scan.status());

  ASSIGN_OR_RETURN(Elements in_first, ProbeTerm(snapshot, terms[0], ids));
  std::vector<Candidate> candidates;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!IsNormal(in_first[i])) continue;
    if (cursor != 0 && in_first[i]->position >= cursor) continue;
    candidates.push_back(Candidate{ids[i], in_first[i]->position, 0});
  }
  for (size_t t = 1; t < terms.size() && !candidates.empty(); ++t) {
    if (t == smallest) continue;
    ASSIGN_OR_RETURN(Elements found, ProbeTerm(snapshot, terms[t], IdsOf(candidates)));
    KeepByPresence(found, /*keep_if_present=*/true, &candidates);
  }
  // The order the first term's list would yield: newest first, then by id.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(b.position, a.id) < std::tie(a.position, b.id);
  });
  PageBuilder page(limit);
  for (size_t i = 0; i < candidates.size() && !page.full(); ++i) {
    page.Add(candidates[i].id, candidates[i].position);
  }
  return std::move(page).Finish();
}

absl::StatusOr<Page> GraphStoreImpl::Union(const rocksdb::Snapshot* snapshot,
                                           absl::Span<const QueryTerm> terms, uint64_t cursor,
                                           size_t limit) {
  ListMerger merged = OpenTerms(snapshot, terms, cursor);
  PageBuilder page(limit);
  std::vector<Candidate> batch;
  while (merged.Valid() && !page.full()) {
    NextBatch(merged, ProbeBatchSize(limit), &batch);
    const std::vector<UserId> ids = IdsOf(batch);
    std::vector<bool> emit(batch.size(), true);
    for (size_t t = 0; t < terms.size() && terms.size() > 1; ++t) {
      ASSIGN_OR_RETURN(Elements found, ProbeTerm(snapshot, terms[t], ids));
      for (size_t i = 0; i < batch.size(); ++i) {
        if (t == batch[i].term || !IsNormal(found[i])) continue;
        const uint64_t there = found[i]->position;
        // Another term holds the id higher (or equally high and earlier): it is, or
        // was on an earlier page, emitted from there.
        if (there > batch[i].position || (there == batch[i].position && t < batch[i].term)) {
          emit[i] = false;
        }
      }
    }
    for (size_t i = 0; i < batch.size() && !page.full(); ++i) {
      if (emit[i]) page.Add(batch[i].id, batch[i].position);
    }
  }
  RETURN_IF_ERROR(merged.status());
  return std::move(page).Finish();
}

absl::StatusOr<std::vector<uint64_t>> GraphStoreImpl::TermPositions(
    const QueryTerm& term, absl::Span<const UserId> candidates) {
  RETURN_IF_ERROR(ValidateTerms(absl::MakeConstSpan(&term, 1)));
  ASSIGN_OR_RETURN(const Elements found, ProbeTerm(nullptr, term, candidates));
  std::vector<uint64_t> positions(candidates.size(), 0);
  for (size_t i = 0; i < found.size(); ++i) {
    if (IsNormal(found[i])) positions[i] = found[i]->position;
  }
  return positions;
}

}  // namespace roost::graph
