#include "exporter/http/listen_address.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oom {
namespace {

using ::testing::HasSubstr;

std::string Civet(std::string_view address) {
  absl::StatusOr<std::string> out = ToCivetListeningPort(address);
  EXPECT_TRUE(out.ok()) << address << ": " << out.status();
  return out.ok() ? *out : "";
}

TEST(ListenAddressTest, PrometheusFormsBecomeCivetwebForms) {
  EXPECT_EQ(Civet(":9968"), "9968");
  EXPECT_EQ(Civet("0.0.0.0:9968"), "0.0.0.0:9968");
  EXPECT_EQ(Civet("127.0.0.1:0"), "127.0.0.1:0");
  EXPECT_EQ(Civet("localhost:9968"), "127.0.0.1:9968");
  EXPECT_EQ(Civet(":65535"), "65535");
}

TEST(ListenAddressTest, RejectsWhatCivetwebCannotBind) {
  for (const char* bad :
       {"", "9968", ":", ":-1", ":65536", ":99x", "host.example:9968",
        "1.2.3:9968", "[::]:9968", "[::1]:9968", "0.0.0.0:9968 "}) {
    EXPECT_FALSE(ToCivetListeningPort(bad).ok()) << "\"" << bad << "\"";
  }
  EXPECT_THAT(std::string(ToCivetListeningPort("[::]:1").status().message()),
              HasSubstr("without IPv6"));
}

}  // namespace
}  // namespace oom
