#include "services/auth.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace roost::services {
namespace {

using ::testing::HasSubstr;

constexpr char kUser[] = "user-token-0123456789abcdef";
constexpr char kAdmin[] = "admin-token-fedcba9876543210";

std::unique_ptr<TokenAuth> MustParse(const std::string& contents) {
  absl::StatusOr<std::unique_ptr<TokenAuth>> auth = TokenAuth::Parse(contents);
  EXPECT_TRUE(auth.ok()) << auth.status();
  return auth.ok() ? *std::move(auth) : nullptr;
}

TEST(TokenAuthTest, ChecksTheBearerTokenAndItsRole) {
  std::unique_ptr<TokenAuth> auth =
      MustParse(std::string("# who may call\n\nuser ") + kUser + "\n  admin\t" + kAdmin + "  \n");
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->size(), 2u);
  const std::string user = std::string("Bearer ") + kUser;
  const std::string admin = std::string("Bearer ") + kAdmin;
  EXPECT_TRUE(auth->Check(true, user, Role::kUser).ok());
  EXPECT_TRUE(auth->Check(true, admin, Role::kUser).ok());
  EXPECT_TRUE(auth->Check(true, admin, Role::kAdmin).ok());
  EXPECT_TRUE(auth->Check(true, std::string("bearer ") + kAdmin, Role::kAdmin).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(auth->Check(true, user, Role::kAdmin)));

  EXPECT_TRUE(absl::IsUnauthenticated(auth->Check(false, "", Role::kUser)));
  EXPECT_TRUE(absl::IsUnauthenticated(auth->Check(true, "", Role::kUser)));
  EXPECT_TRUE(absl::IsUnauthenticated(auth->Check(true, kUser, Role::kUser)));  // no scheme
  EXPECT_TRUE(
      absl::IsUnauthenticated(auth->Check(true, std::string("Basic ") + kUser, Role::kUser)));
  EXPECT_TRUE(absl::IsUnauthenticated(auth->Check(true, "Bearer ", Role::kUser)));
  // A prefix, an extension or one changed character of a known token is unknown.
  EXPECT_TRUE(
      absl::IsUnauthenticated(auth->Check(true, user.substr(0, user.size() - 1), Role::kUser)));
  EXPECT_TRUE(absl::IsUnauthenticated(auth->Check(true, user + "0", Role::kUser)));
  std::string changed = admin;
  changed[10] ^= 1;
  EXPECT_TRUE(absl::IsUnauthenticated(auth->Check(true, changed, Role::kUser)));
}

TEST(TokenAuthTest, MalformedFilesAreRefusedNamingTheLine) {
  auto error = [](const std::string& contents) {
    absl::StatusOr<std::unique_ptr<TokenAuth>> auth = TokenAuth::Parse(contents);
    EXPECT_TRUE(absl::IsInvalidArgument(auth.status())) << contents;
    return std::string(auth.status().message());
  };
  EXPECT_THAT(error(""), HasSubstr("no token"));
  EXPECT_THAT(error("# only a comment\n"), HasSubstr("no token"));
  EXPECT_THAT(error(std::string("user ") + kUser + "\nroot " + kAdmin),
              HasSubstr("line 2: unknown role"));
  EXPECT_THAT(error("user short"), HasSubstr("shorter than 16"));
  EXPECT_THAT(error(std::string("user ") + kUser + " extra"), HasSubstr("ROLE TOKEN"));
  EXPECT_THAT(error(std::string(kUser)), HasSubstr("ROLE TOKEN"));
  EXPECT_THAT(error("user tok\xc3\xa9n-0123456789abcdef"), HasSubstr("characters"));
  EXPECT_THAT(error(std::string("user ") + kUser + "\nadmin " + kUser), HasSubstr("duplicate"));
}

TEST(TokenAuthTest, AFileOthersMayReadIsRefused) {
  const std::string path = ::testing::TempDir() + "auth_test_tokens_" + std::to_string(getpid());
  std::ofstream(path) << "admin " << kAdmin << "\n";
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  absl::StatusOr<std::unique_ptr<TokenAuth>> auth = TokenAuth::Load(path);
  EXPECT_TRUE(absl::IsFailedPrecondition(auth.status())) << auth.status();
  EXPECT_THAT(std::string(auth.status().message()), HasSubstr("chmod 600"));
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  auth = TokenAuth::Load(path);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE((*auth)->Check(true, std::string("Bearer ") + kAdmin, Role::kAdmin).ok());
  std::remove(path.c_str());
  EXPECT_TRUE(absl::IsNotFound(TokenAuth::Load(path).status()));
}

TEST(TokenAuthTest, Sha256MatchesTheStandardsTestVector) {
  // FIPS 180-2, appendix B.1: SHA-256("abc").
  const std::string digest = Sha256("abc");
  ASSERT_EQ(digest.size(), 32u);
  static const unsigned char kExpected[] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                            0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                            0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                            0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  EXPECT_EQ(digest, std::string(reinterpret_cast<const char*>(kExpected), 32));
}

TEST(TokenAuthTest, ConstantTimeEqualsIsEquality) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0", 2), "a"));
}

}  // namespace
}  // namespace roost::services
