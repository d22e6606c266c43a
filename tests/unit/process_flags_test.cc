// The process collector's flags (kept apart from flags_test.cc so that the
// cgroup work on that file and this one do not collide).

#include <string>
#include <vector>

#include "collectors/all_collectors.h"
#include "collectors/process/process_options.h"
#include "collectors/scrape/collector_registry.h"
#include "exporter/cli/flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oom {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ProcessFlags, DefaultsAndValues) {
  absl::StatusOr<Flags> defaults = ParseFlags({}, AllCollectors());
  ASSERT_TRUE(defaults.ok());
  const ProcessOptions& process =
      OptionsOf<ProcessOptions>(defaults->collector_options, "process");
  EXPECT_EQ(process.top_k, 10u);
  EXPECT_TRUE(process.include.empty());
  EXPECT_THAT(defaults->collectors, ::testing::Contains("process"));

  absl::StatusOr<Flags> flags =
      ParseFlags({"--collector.process.top-k=25",
                  "--collector.process.include=postgres,java*,,web (worker)*"},
                 AllCollectors());
  ASSERT_TRUE(flags.ok()) << flags.status();
  const ProcessOptions& given =
      OptionsOf<ProcessOptions>(flags->collector_options, "process");
  EXPECT_EQ(given.top_k, 25u);
  EXPECT_THAT(given.include, ElementsAre("postgres", "java*", "web (worker)*"));

  absl::StatusOr<Flags> off =
      ParseFlags({"--no-collector.process"}, AllCollectors());
  ASSERT_TRUE(off.ok());
  EXPECT_THAT(off->collectors, ::testing::Not(::testing::Contains("process")));
}

TEST(ProcessFlags, BadTopK) {
  for (const char* value : {"0", "1001", "ten", "-1"}) {
    absl::StatusOr<Flags> flags = ParseFlags(
        {std::string("--collector.process.top-k=") + value}, AllCollectors());
    ASSERT_FALSE(flags.ok()) << value;
    EXPECT_THAT(std::string(flags.status().message()),
                HasSubstr("--collector.process.top-k"));
  }
}

TEST(ProcessFlags, Help) {
  std::string help = UsageText(AllCollectors());
  EXPECT_THAT(help, HasSubstr("--collector.process.top-k=N"));
  EXPECT_THAT(help, HasSubstr("--collector.process.include=VALUE"));
  EXPECT_THAT(help, HasSubstr("--[no-]collector.process"));
}

}  // namespace
}  // namespace oom
