#include "collectors/kernel/procfs/sysctl.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::ReadSourceFile;
using ::testing::HasSubstr;
using ::testing::Not;

int64_t ParseOk(std::string_view text) {
  absl::StatusOr<int64_t> value = ParseSysctlInt(text);
  EXPECT_TRUE(value.ok()) << "\"" << text << "\": " << value.status();
  return value.ok() ? *value : -12345;
}

// tests/fixtures/proc/sys/vm/*: Linux 6.18.44 defaults, as proc_dointvec
// prints them ("%d\n").
TEST(ParseSysctlIntTest, RealLinux618Fixtures) {
  EXPECT_EQ(
      ParseOk(ReadSourceFile("tests/fixtures/proc/sys/vm/overcommit_memory")),
      0);
  EXPECT_EQ(
      ParseOk(ReadSourceFile("tests/fixtures/proc/sys/vm/overcommit_ratio")),
      50);
  EXPECT_EQ(ParseOk(ReadSourceFile("tests/fixtures/proc/sys/vm/panic_on_oom")),
            0);
  EXPECT_EQ(ParseOk(ReadSourceFile(
                "tests/fixtures/proc/sys/vm/oom_kill_allocating_task")),
            0);
}

TEST(ParseSysctlIntTest, KernelFormattedValues) {
  EXPECT_EQ(ParseOk("50\n"), 50);
  EXPECT_EQ(ParseOk("2\n"), 2);
  // Negative values are valid: kernel.perf_event_paranoid can be -1 and
  // /proc/<pid>/oom_score_adj goes down to -1000.
  EXPECT_EQ(ParseOk("-1\n"), -1);
  EXPECT_EQ(ParseOk("-1000\n"), -1000);
  // Values wider than 32 bits (proc_doulongvec_minmax files such as
  // vm.overcommit_kbytes).
  EXPECT_EQ(ParseOk("9223372036854775807\n"),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParseOk("-9223372036854775808\n"),
            std::numeric_limits<int64_t>::min());
}

TEST(ParseSysctlIntTest, IgnoresSurroundingWhiteSpace) {
  EXPECT_EQ(ParseOk("50"), 50);
  EXPECT_EQ(ParseOk(" 50 \n"), 50);
  EXPECT_EQ(ParseOk("\t50\t\n"), 50);
  EXPECT_EQ(ParseOk("50\r\n"), 50);
  EXPECT_EQ(ParseOk("\n\n-1\n\n"), -1);
}

TEST(ParseSysctlIntTest, RejectsAnythingElse) {
  const std::string_view inputs[] = {
      "",
      "\n",
      "   ",
      "abc",
      "abc\n",
      "50 60",
      "50\n60\n",
      "4096\t131072\t6291456\n",  // A vector sysctl, e.g. net.ipv4.tcp_rmem.
      "+1",
      "--1",
      "- 1",
      "0x1",
      "1.5",
      "1e3",
      "50abc",
      "9223372036854775808",
      "-9223372036854775809",
      "18446744073709551616",
  };
  for (std::string_view text : inputs) {
    absl::StatusOr<int64_t> value = ParseSysctlInt(text);
    EXPECT_TRUE(absl::IsInvalidArgument(value.status()))
        << "\"" << text << "\": " << value.status();
  }
}

TEST(ParseSysctlIntTest, ErrorQuotesTheTrimmedText) {
  absl::StatusOr<int64_t> value = ParseSysctlInt("  abc\n");
  ASSERT_FALSE(value.ok());
  EXPECT_THAT(std::string(value.status().message()), HasSubstr("\"abc\""));
}

TEST(ParseSysctlIntTest, ErrorQuotesAtMost32Bytes) {
  const std::string text = std::string(32, 'x') + "TAIL";
  absl::StatusOr<int64_t> value = ParseSysctlInt(text);
  ASSERT_FALSE(value.ok());
  const std::string message(value.status().message());
  EXPECT_THAT(message, HasSubstr(std::string(32, 'x')));
  EXPECT_THAT(message, Not(HasSubstr("TAIL")));
}

}  // namespace
}  // namespace oom
