// roostd's TLS, mutual TLS and bearer tokens, with certificates the test generates
// (openssl) and a real roostd.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roost/v1/feed.grpc.pb.h"
#include "roost/v1/roost.grpc.pb.h"
#include "tests/integration/roostd_client.h"

namespace roost::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kUserToken[] = "u-4f1c9a7e2b8d0c3f6a5e";
constexpr char kAdminToken[] = "a-9e8d7c6b5a4f3e2d1c0b";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

class SecurityTest : public RoostdTest {
 protected:
  void SetUp() override { std::filesystem::create_directories(pki_); }
  void TearDown() override {
    RoostdTest::TearDown();
    std::filesystem::remove_all(pki_);
  }

  void Openssl(const std::vector<std::string>& args) {
    std::vector<std::string> command = {"/usr/bin/env", "openssl"};
    command.insert(command.end(), args.begin(), args.end());
    const ProcessOutcome outcome = RunProcess(command, absl::Now() + absl::Seconds(30));
    ASSERT_EQ(outcome.code, 0) << absl::StrJoin(command, " ") << ": " << outcome.output;
  }
  // A self-signed CA `name`.pem/.key.
  void MakeCa(const std::string& name) {
    Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", pki_ + name + ".key", "-out", pki_ + name + ".pem", "-days", "2", "-subj",
             "/CN=" + name});
  }
  // `name`.pem/.key signed by `ca`, valid for 127.0.0.1 and localhost.
  void MakeCert(const std::string& name, const std::string& ca) {
    Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", pki_ + name + ".key", "-out", pki_ + name + ".csr", "-subj",
             "/CN=" + name});
    std::ofstream(pki_ + "san.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    Openssl({"x509", "-req", "-in", pki_ + name + ".csr", "-CA", pki_ + ca + ".pem", "-CAkey",
             pki_ + ca + ".key", "-CAcreateserial", "-out", pki_ + name + ".pem", "-days", "2",
             "-extfile", pki_ + "san.ext"});
  }
  std::string TokensFile(mode_t mode = 0600) {
    const std::string path = pki_ + "tokens";
    std::ofstream(path) << "# test tokens\nuser " << kUserToken << "\nadmin " << kAdminToken
                        << "\n";
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    return path;
  }
  // A TLS channel trusting `ca`, presenting `client` (a cert name) when not empty.
  std::shared_ptr<grpc::Channel> TlsChannel(const std::string& ca, const std::string& client = "") {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(pki_ + ca + ".pem");
    if (!client.empty()) {
      ssl.pem_private_key = ReadFile(pki_ + client + ".key");
      ssl.pem_cert_chain = ReadFile(pki_ + client + ".pem");
    }
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_.port()),
                               grpc::SslCredentials(ssl));
  }
  static grpc::Status Ping(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& token = "") {
    auto ctx = Client::Ctx(10000);
    if (!token.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    v1::PingResponse resp;
    return v1::Admin::NewStub(channel)->Ping(ctx.get(), v1::PingRequest(), &resp);
  }
  // Runs roostd expecting it to refuse to start; returns what it printed.
  std::string MustRefuse(const std::vector<std::string>& flags) {
    std::vector<std::string> all = {"--data-dir=" + dir_, "--listen=127.0.0.1:0"};
    all.insert(all.end(), flags.begin(), flags.end());
    std::string output;
    EXPECT_EQ(RunRoostdToExit(all, &output), 1) << output;
    return output;
  }

  const std::string pki_ = dir_ + "_pki/";
};

TEST_F(SecurityTest, EveryCallNeedsATokenAndAdminCallsAnAdminToken) {
  StartServer({"--auth-tokens-file=" + TokensFile()});
  grpc::GenericStub stub(server_.channel());
  // Touching a message of each file links its descriptors into the generated pool.
  (void)v1::PostRequest::descriptor();
  (void)v1::SubscribeRequest::descriptor();
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  int methods = 0;
  for (const char* name : {v1::Tweets::service_full_name(), v1::Timelines::service_full_name(),
                           v1::Graph::service_full_name(), v1::Admin::service_full_name(),
                           v1::ChangeFeed::service_full_name()}) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    const bool admin_only = service->name() == "Admin" || service->name() == "ChangeFeed";
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string method = absl::StrCat("/", name, "/", service->method(i)->name());
      ++methods;
      EXPECT_EQ(RawCall(stub, method, "").error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << method;
      EXPECT_EQ(RawCall(stub, method, "", {{"authorization", "Bearer not-a-known-token-at-all"}})
                    .error_code(),
                grpc::StatusCode::UNAUTHENTICATED)
          << method;
      EXPECT_EQ(RawCall(stub, method, "", {{"authorization", kUserToken}}).error_code(),
                grpc::StatusCode::UNAUTHENTICATED)
          << method << ": a token without the Bearer scheme";
      if (admin_only) {
        EXPECT_EQ(
            RawCall(stub, method, "", {{"authorization", absl::StrCat("Bearer ", kUserToken)}})
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
            << method;
      }
    }
  }
  EXPECT_EQ(methods, 4 + 1 + 10 + 3 + 1);

  // Nothing refused changed anything; a user token writes, an admin token reads Stats.
  v1::PostRequest post;
  post.set_author_id(7);
  post.set_text("with a token");
  v1::PostResponse posted;
  auto ctx = Client::Ctx();
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", kUserToken));
  ASSERT_TRUE(v1::Tweets::NewStub(server_.channel())->Post(ctx.get(), post, &posted).ok());
  v1::StatsResponse stats;
  ctx = Client::Ctx();
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", kAdminToken));
  ASSERT_TRUE(
      v1::Admin::NewStub(server_.channel())->Stats(ctx.get(), v1::StatsRequest(), &stats).ok());
  EXPECT_EQ(stats.appended_position(), posted.position()) << "the one post is the only event";
  EXPECT_TRUE(Ping(server_.channel(), kAdminToken).ok());

  // Health checks and reflection need no token (probes, grpcurl list).
  EXPECT_TRUE(RawCall(stub, "/grpc.health.v1.Health/Check", "").ok());
}

TEST_F(SecurityTest, TokenFilesMustBeOwnerOnlyAndTokensNeedTlsOffLoopback) {
  EXPECT_THAT(MustRefuse({"--auth-tokens-file=" + TokensFile(0644)}), HasSubstr("chmod 600"));
  EXPECT_THAT(MustRefuse({"--auth-tokens-file=" + pki_ + "missing"}),
              HasSubstr("cannot read tokens file"));
  std::ofstream(pki_ + "bad") << "superuser " << kAdminToken << "\n";
  chmod((pki_ + "bad").c_str(), 0600);
  EXPECT_THAT(MustRefuse({"--auth-tokens-file=" + pki_ + "bad"}),
              HasSubstr("line 1: unknown role"));
  EXPECT_THAT(MustRefuse({"--auth-tokens-file=" + TokensFile(), "--listen=0.0.0.0:0"}),
              HasSubstr("needs TLS"));
}

TEST_F(SecurityTest, ServesTlsOnlyToTlsClients) {
  ASSERT_NO_FATAL_FAILURE(MakeCa("ca"));
  ASSERT_NO_FATAL_FAILURE(MakeCert("server", "ca"));
  StartServer({"--tls-cert=" + pki_ + "server.pem", "--tls-key=" + pki_ + "server.key"});
  const grpc::Status tls = Ping(TlsChannel("ca"));
  EXPECT_TRUE(tls.ok()) << tls.error_message();
  EXPECT_FALSE(Ping(server_.channel()).ok()) << "plaintext on a TLS port";
  // A client that trusts another CA does not trust this server.
  ASSERT_NO_FATAL_FAILURE(MakeCa("other-ca"));
  EXPECT_EQ(Ping(TlsChannel("other-ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SecurityTest, MutualTlsAdmitsOnlyClientsTheCaSignedAndTokensStillApply) {
  ASSERT_NO_FATAL_FAILURE(MakeCa("ca"));
  ASSERT_NO_FATAL_FAILURE(MakeCert("server", "ca"));
  ASSERT_NO_FATAL_FAILURE(MakeCert("client", "ca"));
  ASSERT_NO_FATAL_FAILURE(MakeCa("rogue-ca"));
  ASSERT_NO_FATAL_FAILURE(MakeCert("rogue", "rogue-ca"));
  StartServer({"--tls-cert=" + pki_ + "server.pem", "--tls-key=" + pki_ + "server.key",
               "--tls-client-ca=" + pki_ + "ca.pem", "--auth-tokens-file=" + TokensFile()});
  EXPECT_FALSE(Ping(TlsChannel("ca"), kAdminToken).ok()) << "no client certificate";
  EXPECT_FALSE(Ping(TlsChannel("ca", "rogue"), kAdminToken).ok()) << "a certificate of another CA";
  const grpc::Status admitted = Ping(TlsChannel("ca", "client"), kAdminToken);
  EXPECT_TRUE(admitted.ok()) << admitted.error_message();
  EXPECT_EQ(Ping(TlsChannel("ca", "client")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Ping(TlsChannel("ca", "client"), kUserToken).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SecurityTest, UnusableTlsSettingsAreClearErrors) {
  ASSERT_NO_FATAL_FAILURE(MakeCa("ca"));
  EXPECT_THAT(MustRefuse({"--tls-cert=" + pki_ + "ca.pem"}), HasSubstr("go together"));
  EXPECT_THAT(MustRefuse({"--tls-cert=" + pki_ + "nope.pem", "--tls-key=" + pki_ + "ca.key"}),
              HasSubstr("--tls-cert: cannot read"));
  std::ofstream(pki_ + "notes.txt") << "not a key\n";
  EXPECT_THAT(MustRefuse({"--tls-cert=" + pki_ + "ca.pem", "--tls-key=" + pki_ + "notes.txt"}),
              HasSubstr("not a PEM file"));
  EXPECT_THAT(MustRefuse({"--tls-client-ca=" + pki_ + "ca.pem"}), HasSubstr("needs --tls-cert"));
}

}  // namespace
}  // namespace roost::testing
