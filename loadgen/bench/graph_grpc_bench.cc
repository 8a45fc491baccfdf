// The graph store's reads over gRPC, next to the same reads in process and
// to the empty RPC, all in one run on one graph. The graph is a quarter of the one
// graph_bench measures (bench_graph.h): 50k users' Zipf follows and the lists, 2.8M
// edges, because loading and compacting all 11.3M takes minutes of a run on 2 cores
// (ROOST_BENCH_SCALE=4 measures on all of it). It is written straight
// into the graph store of a fresh data dir and compacted, as graph_bench measures it;
// then the engine (services/roost.h) opens that dir and the real server
// (services/server.h) serves it on 127.0.0.1:0 in this process. One client thread
// makes one call at a time on one connection, so the figures are latency without load:
//   BM_GrpcPing             Admin.Ping, the empty RPC: what gRPC itself costs here
//   BM_GrpcContains/ids:N   Graph.Contains, a random user against N random users
//   BM_GrpcCount            Graph.Count of a random user's followers
//   BM_EngineContains/ids:N, BM_EngineCount  the same reads on the engine in process
//                           (Roost::Contains / Count, what the handlers call), without
//                           gRPC: the difference is what the API layer costs
// Each reports p50_us and p99_us, cpu_us_per_op of this whole process (client and
// server both: what a call costs the machine) and other_cores_used (above ~0.1 the
// run was disturbed).
// The data dir lives under $ROOST_BENCH_DIR (default /var/tmp) and is removed at exit.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "graph/graph_store.h"
#include "loadgen/bench/bench_env.h"
#include "loadgen/bench/bench_graph.h"
#include "roost/v1/roost.grpc.pb.h"
#include "services/roost.h"
#include "services/server.h"

namespace roost::loadgen {
namespace {

namespace v1 = ::roost::v1;

constexpr double kFraction = 0.25;  // of bench_graph.h's graph
constexpr int kOps = 50'000;

void Check(const grpc::Status& status, const std::string& what) {
  if (!status.ok()) {
    Die(what,
        absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message()));
  }
}

// The engine and server over the benchmark graph, and a client of it. Started by the
// first benchmark that needs it, stopped by main.
class Served {
 public:
  Served() {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    {
      absl::StatusOr<std::unique_ptr<graph::GraphStore>> store =
          graph::GraphStore::Open(dir_ + "/graph", {});
      if (!store.ok()) Die("open graph store", store.status());
      const EdgeList edges = BenchGraphEdges(kFraction);
      const double seconds = LoadEdges(**store, edges);
      std::fprintf(stderr, "graph: %zu edges loaded in %.1f s\n", edges.size(), seconds);
      if (absl::Status s = (*store)->Compact(); !s.ok()) Die("compact", s);
    }  // closed, for the engine to open
    services::RoostOptions options;
    options.data_dir = dir_;
    options.log_sync = log::SyncPolicy::kNone;  // nothing is written
    absl::StatusOr<std::unique_ptr<services::Roost>> roost = services::Roost::Open(options);
    if (!roost.ok()) Die("open " + dir_, roost.status());
    roost_ = *std::move(roost);
    absl::StatusOr<std::unique_ptr<services::Server>> server =
        services::Server::Start(roost_.get(), "127.0.0.1:0");
    if (!server.ok()) Die("start server", server.status());
    server_ = *std::move(server);
    std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials());
    graph_ = v1::Graph::NewStub(channel);
    admin_ = v1::Admin::NewStub(channel);
  }

  ~Served() {
    graph_.reset();
    admin_.reset();
    server_->Shutdown(absl::Now() + absl::Seconds(1));
    server_.reset();
    roost_->Shutdown();
    roost_.reset();
    std::filesystem::remove_all(dir_);
  }

  services::Roost& roost() { return *roost_; }
  v1::Graph::Stub& graph() { return *graph_; }
  v1::Admin::Stub& admin() { return *admin_; }

 private:
  const std::string dir_ = BenchPath("roost-graph-grpc-bench");
  std::unique_ptr<services::Roost> roost_;
  std::unique_ptr<services::Server> server_;
  std::unique_ptr<v1::Graph::Stub> graph_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

std::unique_ptr<Served> served;  // see Served

Served& Serve() {
  if (served == nullptr) served = std::make_unique<Served>();
  return *served;
}

// MeasureLatency over this benchmark's graph.
template <typename Op>
void Measure(benchmark::State& state, size_t others, Op op) {
  MeasureLatency(state, BenchUsers(kFraction), kOps, others, op);
}

void BM_GrpcPing(benchmark::State& state) {
  v1::Admin::Stub& admin = Serve().admin();
  Measure(state, 0, [&admin](UserId, absl::Span<const UserId>) {
    grpc::ClientContext context;
    v1::PingResponse response;
    Check(admin.Ping(&context, v1::PingRequest(), &response), "ping");
  });
}
BENCHMARK(BM_GrpcPing)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_GrpcContains(benchmark::State& state) {
  v1::Graph::Stub& graph = Serve().graph();
  const auto ids = static_cast<size_t>(state.range(0));
  Measure(state, ids, [&graph](UserId user, absl::Span<const UserId> others) {
    grpc::ClientContext context;
    v1::ContainsRequest request;
    request.set_graph(v1::FOLLOWS);
    request.set_source_id(user);
    request.mutable_destination_ids()->Add(others.begin(), others.end());
    v1::ContainsResponse response;
    Check(graph.Contains(&context, request, &response), "contains");
  });
}
BENCHMARK(BM_GrpcContains)
    ->ArgName("ids")
    ->Arg(1)
    ->Arg(100)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_GrpcCount(benchmark::State& state) {
  v1::Graph::Stub& graph = Serve().graph();
  Measure(state, 0, [&graph](UserId user, absl::Span<const UserId>) {
    grpc::ClientContext context;
    v1::CountRequest request;
    request.set_graph(v1::FOLLOWS);
    request.set_user_id(user);
    request.set_direction(v1::BACKWARD);
    v1::CountResponse response;
    Check(graph.Count(&context, request, &response), "count");
  });
}
BENCHMARK(BM_GrpcCount)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_EngineContains(benchmark::State& state) {
  services::Roost& roost = Serve().roost();
  const auto ids = static_cast<size_t>(state.range(0));
  Measure(state, ids, [&roost](UserId user, absl::Span<const UserId> others) {
    absl::StatusOr<std::vector<bool>> contained = roost.Contains(graph::kFollows, user, others);
    if (!contained.ok()) Die("contains", contained.status());
  });
}
BENCHMARK(BM_EngineContains)
    ->ArgName("ids")
    ->Arg(1)
    ->Arg(100)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_EngineCount(benchmark::State& state) {
  services::Roost& roost = Serve().roost();
  Measure(state, 0, [&roost](UserId user, absl::Span<const UserId>) {
    absl::StatusOr<uint64_t> count =
        roost.Count(graph::kFollows, user, graph::Direction::kBackward, graph::kNormalOnly);
    if (!count.ok()) Die("count", count.status());
  });
}
BENCHMARK(BM_EngineCount)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace roost::loadgen

// BENCHMARK_MAIN, and then the server and engine stopped in order, before the
// process's static destruction.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  roost::loadgen::served.reset();
  return 0;
}
