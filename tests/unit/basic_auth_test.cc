// Basic authentication against bcrypt hashes made at test time by the
// system's crypt library (cost 4, the least bcrypt allows, to stay fast).

#include "exporter/http/basic_auth.h"

#include <string>

#include "absl/strings/escaping.h"
#include "exporter/http/web_config.h"
#include "gtest/gtest.h"

namespace oom {
namespace {

std::string Header(const std::string& user_and_password) {
  std::string encoded;
  absl::Base64Escape(user_and_password, &encoded);
  return "Basic " + encoded;
}

class BasicAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> hash = HashPassword("s3cret: with colon", 4);
    ASSERT_TRUE(hash.ok()) << hash.status();
    hash_ = *hash;
  }
  std::string hash_;
};

TEST_F(BasicAuthTest, HashPasswordMakesBcryptHashes) {
  EXPECT_TRUE(IsBcryptHash(hash_)) << hash_;
  EXPECT_EQ(hash_.substr(0, 7), "$2b$04$");
  absl::StatusOr<std::string> again = HashPassword("s3cret: with colon", 4);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, hash_);  // a new salt each time
  EXPECT_FALSE(HashPassword("x", 3).ok());
}

TEST_F(BasicAuthTest, ChecksUserAndPassword) {
  BasicAuth auth({{"prom", hash_}});
  EXPECT_TRUE(auth.Check("prom", "s3cret: with colon"));
  EXPECT_FALSE(auth.Check("prom", "s3cret: with colo"));
  EXPECT_FALSE(auth.Check("prom", ""));
  EXPECT_FALSE(auth.Check("other", "s3cret: with colon"));
  EXPECT_FALSE(auth.Check("", ""));
}

TEST_F(BasicAuthTest, ParsesTheAuthorizationHeader) {
  BasicAuth auth({{"prom", hash_}});
  EXPECT_TRUE(auth.Allows(Header("prom:s3cret: with colon")));
  EXPECT_TRUE(
      auth.Allows("basic " + Header("prom:s3cret: with colon").substr(6)));
  EXPECT_FALSE(auth.Allows(Header("prom:wrong")));
  EXPECT_FALSE(auth.Allows(Header("prom")));
  EXPECT_FALSE(auth.Allows("Bearer abc"));
  EXPECT_FALSE(auth.Allows("Basic !!!not base64"));
  EXPECT_FALSE(auth.Allows("Basic "));
  EXPECT_FALSE(auth.Allows(""));
}

TEST_F(BasicAuthTest, SuccessfulChecksAreCachedFailuresAreNot) {
  BasicAuth auth({{"prom", hash_}});
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(auth.Check("prom", "s3cret: with colon"));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(auth.Check("prom", "wrong"));
  EXPECT_EQ(auth.bcrypt_runs(), 4u);
  // Unknown users cost a bcrypt run too (no timing difference).
  EXPECT_FALSE(auth.Check("nobody", "s3cret: with colon"));
  EXPECT_EQ(auth.bcrypt_runs(), 5u);
}

TEST_F(BasicAuthTest, ACachedLoginIsTiedToItsHash) {
  BasicAuth first({{"prom", hash_}});
  EXPECT_TRUE(first.Check("prom", "s3cret: with colon"));
  absl::StatusOr<std::string> other = HashPassword("another", 4);
  ASSERT_TRUE(other.ok());
  BasicAuth second({{"prom", *other}});
  EXPECT_FALSE(second.Check("prom", "s3cret: with colon"));
  EXPECT_TRUE(second.Check("prom", "another"));
}

}  // namespace
}  // namespace oom
