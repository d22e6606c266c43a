#include "collectors/base/text.h"

#include <chrono>
#include <clocale>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oom {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();

TEST(ParseU64Test, AcceptsDecimalDigits) {
  EXPECT_EQ(ParseU64("0"), 0u);
  EXPECT_EQ(ParseU64("42"), 42u);
  EXPECT_EQ(ParseU64("24682416"), 24682416u);
  // VmallocTotal on x86-64, in kB.
  EXPECT_EQ(ParseU64("34359738367"), 34359738367u);
  EXPECT_EQ(ParseU64("18446744073709551615"), kU64Max);
  EXPECT_EQ(ParseU64("007"), 7u);
}

TEST(ParseU64Test, RejectsOverflow) {
  EXPECT_EQ(ParseU64("18446744073709551616"), std::nullopt);
  EXPECT_EQ(ParseU64("99999999999999999999999"), std::nullopt);
}

TEST(ParseU64Test, RejectsSignsAndOtherBases) {
  EXPECT_EQ(ParseU64("+1"), std::nullopt);
  EXPECT_EQ(ParseU64("-1"), std::nullopt);
  EXPECT_EQ(ParseU64("-0"), std::nullopt);
  EXPECT_EQ(ParseU64("0x1"), std::nullopt);
  EXPECT_EQ(ParseU64("0x2a"), std::nullopt);
  EXPECT_EQ(ParseU64("1e3"), std::nullopt);
  EXPECT_EQ(ParseU64("1.0"), std::nullopt);
}

TEST(ParseU64Test, RejectsEmptyAndSpaces) {
  EXPECT_EQ(ParseU64(""), std::nullopt);
  EXPECT_EQ(ParseU64(" "), std::nullopt);
  EXPECT_EQ(ParseU64(" 1"), std::nullopt);
  EXPECT_EQ(ParseU64("1 "), std::nullopt);
  EXPECT_EQ(ParseU64("4 2"), std::nullopt);
  EXPECT_EQ(ParseU64("1\t"), std::nullopt);
}

TEST(ParseU64Test, TrailingNewlineIsTheCallersJob) {
  EXPECT_EQ(ParseU64("1\n"), std::nullopt);
  EXPECT_EQ(ParseU64("1\r"), std::nullopt);
  EXPECT_EQ(ParseU64(TrimSpace("1\n")), 1u);
}

TEST(ParseU64Test, UsesOnlyTheViewNotTheBytesAfterIt) {
  std::string_view text = "12345";
  EXPECT_EQ(ParseU64(text.substr(0, 2)), 12u);
  EXPECT_EQ(ParseU64(text.substr(0, 0)), std::nullopt);
}

TEST(ParseI64Test, AcceptsOptionalMinus) {
  EXPECT_EQ(ParseI64("0"), 0);
  EXPECT_EQ(ParseI64("-0"), 0);
  EXPECT_EQ(ParseI64("50"), 50);
  EXPECT_EQ(ParseI64("-1"), -1);
  EXPECT_EQ(ParseI64("-1000"), -1000);  // oom_score_adj minimum.
  EXPECT_EQ(ParseI64("9223372036854775807"), kI64Max);
  EXPECT_EQ(ParseI64("-9223372036854775808"), kI64Min);
}

TEST(ParseI64Test, RejectsOverflowBothWays) {
  EXPECT_EQ(ParseI64("9223372036854775808"), std::nullopt);
  EXPECT_EQ(ParseI64("-9223372036854775809"), std::nullopt);
  EXPECT_EQ(ParseI64("18446744073709551616"), std::nullopt);
}

TEST(ParseI64Test, RejectsMalformedSigns) {
  EXPECT_EQ(ParseI64("+1"), std::nullopt);
  EXPECT_EQ(ParseI64("-"), std::nullopt);
  EXPECT_EQ(ParseI64("--1"), std::nullopt);
  EXPECT_EQ(ParseI64("-+1"), std::nullopt);
  EXPECT_EQ(ParseI64("- 1"), std::nullopt);
  EXPECT_EQ(ParseI64("1-"), std::nullopt);
}

TEST(ParseI64Test, RejectsOtherText) {
  EXPECT_EQ(ParseI64(""), std::nullopt);
  EXPECT_EQ(ParseI64("0x1"), std::nullopt);
  EXPECT_EQ(ParseI64("-0x1"), std::nullopt);
  EXPECT_EQ(ParseI64(" 1"), std::nullopt);
  EXPECT_EQ(ParseI64("1 "), std::nullopt);
  EXPECT_EQ(ParseI64("4 2"), std::nullopt);
  EXPECT_EQ(ParseI64("-1\n"), std::nullopt);
  EXPECT_EQ(ParseI64("abc"), std::nullopt);
  EXPECT_EQ(ParseI64("1.5"), std::nullopt);
}

TEST(ParseDoubleTest, AcceptsPsiAverages) {
  EXPECT_EQ(ParseDouble("0.72"), 0.72);
  EXPECT_EQ(ParseDouble("0.00"), 0.0);
  EXPECT_EQ(ParseDouble("100.00"), 100.0);
  EXPECT_EQ(ParseDouble("12"), 12.0);
  EXPECT_EQ(ParseDouble("0"), 0.0);
  EXPECT_EQ(ParseDouble("3.14159"), 3.14159);
}

TEST(ParseDoubleTest, RejectsSignsExponentsAndSpecialValues) {
  EXPECT_EQ(ParseDouble("+1"), std::nullopt);
  EXPECT_EQ(ParseDouble("-0.5"), std::nullopt);
  EXPECT_EQ(ParseDouble("1e3"), std::nullopt);
  EXPECT_EQ(ParseDouble("1E3"), std::nullopt);
  EXPECT_EQ(ParseDouble("0x1"), std::nullopt);
  EXPECT_EQ(ParseDouble("0x1p3"), std::nullopt);
  EXPECT_EQ(ParseDouble("inf"), std::nullopt);
  EXPECT_EQ(ParseDouble("nan"), std::nullopt);
  EXPECT_EQ(ParseDouble("NaN"), std::nullopt);
}

TEST(ParseDoubleTest, RejectsMalformedNumbers) {
  EXPECT_EQ(ParseDouble(""), std::nullopt);
  EXPECT_EQ(ParseDouble("."), std::nullopt);
  EXPECT_EQ(ParseDouble(".5"), std::nullopt);
  EXPECT_EQ(ParseDouble("1.2.3"), std::nullopt);
  EXPECT_EQ(ParseDouble("0,72"), std::nullopt);
  EXPECT_EQ(ParseDouble(" 0.72"), std::nullopt);
  EXPECT_EQ(ParseDouble("0.72 "), std::nullopt);
  EXPECT_EQ(ParseDouble("0. 72"), std::nullopt);
  EXPECT_EQ(ParseDouble("0.72\n"), std::nullopt);
  EXPECT_EQ(ParseDouble("abc"), std::nullopt);
}

// ParseDouble must not follow LC_NUMERIC: in de_DE the decimal separator is
// ',', and a strtod-based parser would read "0.72" as 0.
TEST(ParseDoubleTest, IgnoresTheLocale) {
  std::string saved = std::setlocale(LC_ALL, nullptr);
  const char* locale = nullptr;
  for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "de_DE"}) {
    locale = std::setlocale(LC_ALL, name);
    if (locale != nullptr) break;
  }
  if (locale == nullptr) {
    GTEST_SKIP() << "no de_DE locale installed (setlocale returned null); "
                    "install locales with de_DE.UTF-8 to run this check";
  }
  std::optional<double> value = ParseDouble("0.72");
  std::optional<double> comma = ParseDouble("0,72");
  std::setlocale(LC_ALL, saved.c_str());
  EXPECT_EQ(value, 0.72) << "locale " << locale;
  EXPECT_EQ(comma, std::nullopt) << "locale " << locale;
}

TEST(TrimSpaceTest, StripsSpacesTabsAndNewlines) {
  EXPECT_EQ(TrimSpace("  50\n"), "50");
  EXPECT_EQ(TrimSpace("\t-1\r\n"), "-1");
  EXPECT_EQ(TrimSpace("50"), "50");
  EXPECT_EQ(TrimSpace(" \t\r\n"), "");
  EXPECT_EQ(TrimSpace(""), "");
}

TEST(TrimSpaceTest, KeepsInnerSpaces) {
  EXPECT_EQ(TrimSpace(" 24682416 kB "), "24682416 kB");
  EXPECT_EQ(TrimSpace("a \t b"), "a \t b");
}

TEST(TrimSpaceTest, ReturnsAViewIntoTheInput) {
  std::string_view text = "  abc  ";
  std::string_view trimmed = TrimSpace(text);
  EXPECT_EQ(trimmed.data(), text.data() + 2);
  EXPECT_EQ(trimmed.size(), 3u);
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  ForEachLine(text, [&](std::string_view line) { lines.emplace_back(line); });
  return lines;
}

TEST(ForEachLineTest, SplitsOnNewline) {
  EXPECT_THAT(Lines("a 1\nb 2\n"), ElementsAre("a 1", "b 2"));
}

TEST(ForEachLineTest, PassesALastLineWithoutNewline) {
  EXPECT_THAT(Lines("a 1\nb 2"), ElementsAre("a 1", "b 2"));
  EXPECT_THAT(Lines("single"), ElementsAre("single"));
}

TEST(ForEachLineTest, SkipsEmptyLines) {
  EXPECT_THAT(Lines("\na\n\n\nb\n\n"), ElementsAre("a", "b"));
  EXPECT_THAT(Lines(""), IsEmpty());
  EXPECT_THAT(Lines("\n"), IsEmpty());
  EXPECT_THAT(Lines("\n\n\n"), IsEmpty());
}

TEST(ForEachLineTest, KeepsCarriageReturnsForTheCallerToTrim) {
  EXPECT_THAT(Lines("a\r\nb\r\n"), ElementsAre("a\r", "b\r"));
}

TEST(ForEachLineTest, KeepsSpacesAndNulBytes) {
  std::string text("  x \n\0y\n", 8);
  EXPECT_THAT(Lines(text), ElementsAre("  x ", std::string("\0y", 2)));
}

TEST(ForEachLineTest, LinesAreViewsIntoTheText) {
  std::string_view text = "ab\ncd\n";
  std::vector<const char*> starts;
  ForEachLine(text,
              [&](std::string_view line) { starts.push_back(line.data()); });
  EXPECT_THAT(starts, ElementsAre(text.data(), text.data() + 3));
}

// Moved from flags_test.cc with the function.
TEST(ParseDurationTest, DurationsAsPrometheusSpellsThem) {
  using std::chrono::milliseconds;
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
  EXPECT_EQ(ParseDuration("0s"), milliseconds(0));
  EXPECT_EQ(ParseDuration("90s"), milliseconds(90000));
  EXPECT_EQ(ParseDuration("1h30m"), milliseconds(5400000));
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("1m"), milliseconds(60000));
  EXPECT_EQ(ParseDuration("2d"), milliseconds(172800000));
  EXPECT_EQ(ParseDuration("1w"), milliseconds(604800000));
  for (const char* bad : {"", "h", "1", "1x", "-1h", "1.5h", "30m1h", "1h1h",
                          "1s1ms1s", " 1h", "99999999999999999999h"}) {
    EXPECT_EQ(ParseDuration(bad), std::nullopt) << bad;
  }
}

TEST(FormatDurationTest, LongestUnitsFirstAndReadBack) {
  using std::chrono::milliseconds;
  EXPECT_EQ(FormatDuration(std::chrono::hours(1)), "1h");
  EXPECT_EQ(FormatDuration(std::chrono::minutes(90)), "1h30m");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(milliseconds(90500)), "1m30s500ms");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(std::chrono::hours(24 * 9)), "1w2d");
  for (int64_t ms : {int64_t{1}, int64_t{999}, int64_t{1000}, int64_t{61001},
                     int64_t{3600000}, int64_t{694861001}}) {
    EXPECT_EQ(ParseDuration(FormatDuration(milliseconds(ms))), milliseconds(ms))
        << ms;
  }
}

}  // namespace
}  // namespace oom
