#include "collectors/base/log.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oom {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<std::string>* g_lines = nullptr;
void Capture(std::string_view line) { g_lines->emplace_back(line); }

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_lines = &lines_;
    SetLogSinkForTesting(&Capture);
  }
  void TearDown() override {
    SetLogSinkForTesting(nullptr);
    SetLogLevel(LogLevel::kInfo);
    g_lines = nullptr;
  }
  std::vector<std::string> lines_;
};

TEST_F(LogTest, FormatsLogfmtAndQuotesWhatNeedsIt) {
  EXPECT_EQ(FormatLogLine(LogLevel::kWarn, "collector failed",
                          {{"collector", "memory"},
                           {"err", "/proc/x: \"bad\"\n"},
                           {"empty", ""}}),
            "level=warn msg=\"collector failed\" collector=memory "
            "err=\"/proc/x: \\\"bad\\\"\\n\" empty=\"\"");
  EXPECT_EQ(FormatLogLine(LogLevel::kInfo, "a=b", {{"k", "tab\there\x01"}}),
            "level=info msg=\"a=b\" k=\"tab\\there\\x01\"");
}

TEST_F(LogTest, OneLinePerEventWithTimestamp) {
  Log(LogLevel::kInfo, "listening", {{"address", ":9968"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_THAT(lines_[0], StartsWith("ts=20"));
  EXPECT_THAT(lines_[0], HasSubstr("Z level=info msg=listening address=:9968"));
  EXPECT_THAT(lines_[0], EndsWith("\n"));
  EXPECT_EQ(lines_[0].find('\n'), lines_[0].size() - 1);
}

TEST_F(LogTest, LevelFiltersLowerLines) {
  SetLogLevel(LogLevel::kWarn);
  Log(LogLevel::kDebug, "d");
  Log(LogLevel::kInfo, "i");
  Log(LogLevel::kWarn, "w");
  Log(LogLevel::kError, "e");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_THAT(lines_[0], HasSubstr("level=warn msg=w"));
  EXPECT_THAT(lines_[1], HasSubstr("level=error msg=e"));
}

TEST_F(LogTest, ParsesLevelNames) {
  LogLevel level = LogLevel::kInfo;
  std::vector<LogLevel> parsed;
  for (const char* name : {"debug", "info", "warn", "error"}) {
    ASSERT_TRUE(ParseLogLevel(name, &level)) << name;
    parsed.push_back(level);
  }
  EXPECT_THAT(parsed, ElementsAre(LogLevel::kDebug, LogLevel::kInfo,
                                  LogLevel::kWarn, LogLevel::kError));
  EXPECT_FALSE(ParseLogLevel("warning", &level));
  EXPECT_FALSE(ParseLogLevel("INFO", &level));
  EXPECT_FALSE(ParseLogLevel("", &level));
}

}  // namespace
}  // namespace oom
