#include "collectors/kernel/procfs/pressure.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::ReadSourceFile;

// Linux 4.20, the first release with PSI (kernel/sched/psi.c psi_show():
// "%s avg10=%lu.%02lu avg60=%lu.%02lu avg300=%lu.%02lu total=%llu"), on a
// machine thrashing hard: avg10 at its 100.00 ceiling.
constexpr std::string_view kLinux420PressureMemory =
    "some avg10=100.00 avg60=97.53 avg300=61.40 total=1853927451\n"
    "full avg10=98.76 avg60=90.08 avg300=52.19 total=1601880066\n";

// /proc/pressure/cpu before Linux 5.13: psi_show() skips the "full" line for
// CPU, so the file has a "some" line only. Values are illustrative.
constexpr std::string_view kSomeOnlyPressureCpu =
    "some avg10=2.04 avg60=0.75 avg300=0.40 total=157656722\n";

// A machine where nothing ever stalled (4.20 and later print both lines).
constexpr std::string_view kIdlePressureMemory =
    "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";

Pressure ParseOk(std::string_view text) {
  absl::StatusOr<Pressure> pressure = ParsePressure(text);
  EXPECT_TRUE(pressure.ok()) << pressure.status();
  return pressure.ok() ? *std::move(pressure) : Pressure{};
}

// tests/fixtures/proc/pressure/memory: Linux 6.18.44 right after one memcg
// OOM kill.
TEST(ParsePressureTest, RealLinux618Fixture) {
  Pressure pressure =
      ParseOk(ReadSourceFile("tests/fixtures/proc/pressure/memory"));
  EXPECT_EQ(pressure.malformed_lines, 0);
  ASSERT_TRUE(pressure.some.has_value());
  EXPECT_DOUBLE_EQ(pressure.some->avg10, 0.72);
  EXPECT_DOUBLE_EQ(pressure.some->avg60, 0.13);
  EXPECT_DOUBLE_EQ(pressure.some->avg300, 0.02);
  EXPECT_EQ(pressure.some->total_us, 90651u);
  ASSERT_TRUE(pressure.full.has_value());
  EXPECT_DOUBLE_EQ(pressure.full->avg10, 0.72);
  EXPECT_DOUBLE_EQ(pressure.full->avg60, 0.13);
  EXPECT_DOUBLE_EQ(pressure.full->avg300, 0.02);
  EXPECT_EQ(pressure.full->total_us, 90537u);
}

TEST(ParsePressureTest, Linux420SampleAtFullPressure) {
  Pressure pressure = ParseOk(kLinux420PressureMemory);
  EXPECT_EQ(pressure.malformed_lines, 0);
  ASSERT_TRUE(pressure.some.has_value());
  EXPECT_DOUBLE_EQ(pressure.some->avg10, 100.0);
  EXPECT_DOUBLE_EQ(pressure.some->avg60, 97.53);
  EXPECT_DOUBLE_EQ(pressure.some->avg300, 61.40);
  EXPECT_EQ(pressure.some->total_us, 1853927451u);
  ASSERT_TRUE(pressure.full.has_value());
  EXPECT_DOUBLE_EQ(pressure.full->avg10, 98.76);
  EXPECT_EQ(pressure.full->total_us, 1601880066u);
}

TEST(ParsePressureTest, SomeLineOnly) {
  Pressure pressure = ParseOk(kSomeOnlyPressureCpu);
  EXPECT_EQ(pressure.malformed_lines, 0);
  ASSERT_TRUE(pressure.some.has_value());
  EXPECT_EQ(pressure.some->total_us, 157656722u);
  EXPECT_DOUBLE_EQ(pressure.some->avg10, 2.04);
  EXPECT_FALSE(pressure.full.has_value());
}

TEST(ParsePressureTest, FullLineOnly) {
  Pressure pressure =
      ParseOk("full avg10=0.00 avg60=0.00 avg300=0.00 total=12\n");
  EXPECT_FALSE(pressure.some.has_value());
  ASSERT_TRUE(pressure.full.has_value());
  EXPECT_EQ(pressure.full->total_us, 12u);
}

TEST(ParsePressureTest, IdleMachine) {
  Pressure pressure = ParseOk(kIdlePressureMemory);
  EXPECT_EQ(pressure.malformed_lines, 0);
  ASSERT_TRUE(pressure.some.has_value());
  ASSERT_TRUE(pressure.full.has_value());
  EXPECT_EQ(pressure.some->avg10, 0.0);
  EXPECT_EQ(pressure.some->total_us, 0u);
  EXPECT_EQ(pressure.full->total_us, 0u);
}

TEST(ParsePressureTest, LargeTotal) {
  Pressure pressure = ParseOk(
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551615\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\n");
  EXPECT_EQ(pressure.malformed_lines, 1);
  ASSERT_TRUE(pressure.some.has_value());
  EXPECT_EQ(pressure.some->total_us, uint64_t{18446744073709551615u});
  EXPECT_FALSE(pressure.full.has_value());
}

TEST(ParsePressureTest, EmptyInputIsAnError) {
  for (std::string_view text : {"", "\n", "\n\n"}) {
    absl::StatusOr<Pressure> pressure = ParsePressure(text);
    EXPECT_TRUE(absl::IsInvalidArgument(pressure.status()))
        << "\"" << text << "\": " << pressure.status();
  }
}

TEST(ParsePressureTest, GarbageIsAnError) {
  constexpr char kBinary[] =
      "some \x7f"
      "ELF\0\0\n\xff\xfe\n";
  const std::string binary(kBinary, sizeof(kBinary) - 1);
  const std::string_view inputs[] = {
      binary,         "MemTotal:       24682416 kB\n",       "oom_kill 1\n",
      "some\nfull\n", "some avg10=0.72\nfull total=90537\n",
  };
  for (std::string_view text : inputs) {
    absl::StatusOr<Pressure> pressure = ParsePressure(text);
    EXPECT_TRUE(absl::IsInvalidArgument(pressure.status()))
        << "\"" << text << "\": " << pressure.status();
  }
}

// Every field must be there, once, as key=value; a line that is not is
// counted and skipped, and the other line is still used.
TEST(ParsePressureTest, SkipsAndCountsMalformedLines) {
  constexpr std::string_view kFull =
      "full avg10=0.72 avg60=0.13 avg300=0.02 total=90537\n";
  const std::string_view bad_some_lines[] = {
      // The same field twice, a field that is not key=value.
      "some avg10=0.72 avg60=0.13 avg300=0.02 total=90651 total=1\n",
      "some avg10=0.72 avg60=0.13 avg300=0.02 total=90651 junk\n",
      // Missing fields.
      "some avg10=0.72 avg60=0.13 avg300=0.02\n",
      "some avg10=0.72 avg60=0.13 total=90651\n",
      "some total=90651\n",
      "some \n",
      // Wrong key spelling.
      "some avg10:0.72 avg60=0.13 avg300=0.02 total=90651\n",
      "some avg10=0.72 avg60=0.13 avg300=0.02 Total=90651\n",
      // Bad numbers.
      "some avg10=-0.72 avg60=0.13 avg300=0.02 total=90651\n",
      "some avg10=0,72 avg60=0.13 avg300=0.02 total=90651\n",
      "some avg10=nan avg60=0.13 avg300=0.02 total=90651\n",
      "some avg10= avg60=0.13 avg300=0.02 total=90651\n",
      "some avg10=0.72 avg60=0.13 avg300=0.02 total=90651.5\n",
      "some avg10=0.72 avg60=0.13 avg300=0.02 total=-1\n",
      "some avg10=0.72 avg60=0.13 avg300=0.02 total=\n",
      // Unknown or misspelt line type.
      "Some avg10=0.72 avg60=0.13 avg300=0.02 total=90651\n",
      "somewhat avg10=0.72 avg60=0.13 avg300=0.02 total=90651\n",
      "some\tavg10=0.72 avg60=0.13 avg300=0.02 total=90651\n",
      " some avg10=0.72 avg60=0.13 avg300=0.02 total=90651\n",
  };
  for (std::string_view bad : bad_some_lines) {
    SCOPED_TRACE(bad);
    Pressure pressure = ParseOk(std::string(bad) + std::string(kFull));
    EXPECT_EQ(pressure.malformed_lines, 1);
    EXPECT_FALSE(pressure.some.has_value());
    ASSERT_TRUE(pressure.full.has_value());
    EXPECT_EQ(pressure.full->total_us, 90537u);
  }
}

TEST(ParsePressureTest, UnknownLinesAreCountedNotFatal) {
  Pressure pressure = ParseOk(
      "some avg10=0.72 avg60=0.13 avg300=0.02 total=90651\n"
      "none avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
      "full avg10=0.72 avg60=0.13 avg300=0.02 total=90537\n"
      "# trailing comment\n");
  EXPECT_EQ(pressure.malformed_lines, 2);
  ASSERT_TRUE(pressure.some.has_value());
  ASSERT_TRUE(pressure.full.has_value());
  EXPECT_EQ(pressure.some->total_us, 90651u);
  EXPECT_EQ(pressure.full->total_us, 90537u);
}

TEST(ParsePressureTest, TruncatedInputKeepsTheCompleteLine) {
  const std::string full =
      ReadSourceFile("tests/fixtures/proc/pressure/memory");
  const std::size_t line = full.find("full ");
  ASSERT_NE(line, std::string::npos);
  const struct {
    const char* name;
    std::size_t cut;
  } kCuts[] = {
      {"mid-type", line + 2},                           // "fu"
      {"after type", line + 5},                         // "full "
      {"mid-key", full.find("avg6", line) + 4},         // "... avg6"
      {"mid-value", full.find("avg60=0.1", line) + 9},  // "avg60=0.1"
      {"before total", full.find(" total=", line)},     // "... avg300=0.02"
      {"after total=", full.find("total=", line) + 6},  // "total="
  };
  for (const auto& c : kCuts) {
    SCOPED_TRACE(c.name);
    Pressure pressure = ParseOk(std::string_view(full).substr(0, c.cut));
    EXPECT_EQ(pressure.malformed_lines, 1);
    ASSERT_TRUE(pressure.some.has_value());
    EXPECT_EQ(pressure.some->total_us, 90651u);
    EXPECT_FALSE(pressure.full.has_value());
  }
}

TEST(ParsePressureTest, ExtraSpacesBetweenFieldsAreTolerated) {
  Pressure pressure =
      ParseOk("some  avg10=0.72  avg60=0.13 avg300=0.02 total=90651 \n");
  EXPECT_EQ(pressure.malformed_lines, 0);
  ASSERT_TRUE(pressure.some.has_value());
  EXPECT_EQ(pressure.some->total_us, 90651u);
}

// As in vmstat, a CR left by CRLF line ends sticks to the last field
// ("total=90651\r") and makes the line malformed; never a wrong value.
TEST(ParsePressureTest, CrlfLinesAreMalformed) {
  absl::StatusOr<Pressure> pressure = ParsePressure(
      "some avg10=0.72 avg60=0.13 avg300=0.02 total=90651\r\n"
      "full avg10=0.72 avg60=0.13 avg300=0.02 total=90537\r\n");
  EXPECT_TRUE(absl::IsInvalidArgument(pressure.status()));
}

TEST(ParsePressureTest, ALaterDuplicateLineWins) {
  Pressure pressure = ParseOk(
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\n"
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=2\n");
  ASSERT_TRUE(pressure.some.has_value());
  EXPECT_EQ(pressure.some->total_us, 2u);
}

// A kernel that adds a field or reorders them must not break the exporter.
TEST(ParsePressureTest, UnknownFieldsAndAnyOrderAreTolerated) {
  for (std::string_view text :
       {"some avg10=0.72 avg60=0.13 avg300=0.02 total=90651 avg900=0.01\n",
        "some total=90651 avg300=0.02 avg60=0.13 avg10=0.72\n"}) {
    absl::StatusOr<Pressure> pressure = ParsePressure(text);
    ASSERT_TRUE(pressure.ok()) << text << ": " << pressure.status();
    ASSERT_TRUE(pressure->some.has_value()) << text;
    EXPECT_EQ(pressure->some->total_us, 90651u) << text;
    EXPECT_DOUBLE_EQ(pressure->some->avg10, 0.72) << text;
    EXPECT_DOUBLE_EQ(pressure->some->avg300, 0.02) << text;
    EXPECT_EQ(pressure->malformed_lines, 0) << text;
  }
}

}  // namespace
}  // namespace oom
