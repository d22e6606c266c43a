#include "collectors/memory/memory_collector.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "collectors/base/fs.h"
#include "collectors/base/log.h"
#include "collectors/scrape/metric_sink.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/check_names.h"
#include "prometheus/metric_family.h"
#include "prometheus/metric_type.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::SourcePath;
using ::oom::testing::TempTree;
using ::testing::Contains;
using ::testing::DoubleEq;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::Optional;
using ::testing::UnorderedElementsAreArray;

using Families = std::vector<prometheus::MetricFamily>;

constexpr double kKiB = 1024;

// Everything one Collect() call produced.
struct Scrape {
  absl::Status status;
  Families families;
};

Scrape CollectOnce(MemoryCollector& collector) {
  MetricSink sink;
  absl::Status status = collector.Collect(sink);
  return {status, sink.TakeFamilies()};
}

Scrape CollectOnce(const FsRoots& roots) {
  MemoryCollector collector(roots);
  return CollectOnce(collector);
}

std::vector<std::pair<std::string, std::string>> SortedLabels(
    const prometheus::ClientMetric& metric) {
  std::vector<std::pair<std::string, std::string>> labels;
  for (const prometheus::ClientMetric::Label& label : metric.label) {
    labels.emplace_back(label.name, label.value);
  }
  std::sort(labels.begin(), labels.end());
  return labels;
}

// The value of the sample of family `name` whose labels are exactly `labels`
// (in any order), or nullopt when there is none.
std::optional<double> FindSample(const Families& families,
                                 std::string_view name, Labels labels = {}) {
  std::sort(labels.begin(), labels.end());
  for (const prometheus::MetricFamily& family : families) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      if (SortedLabels(metric) != labels) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          return metric.counter.value;
        case prometheus::MetricType::Gauge:
          return metric.gauge.value;
        default:
          return metric.untyped.value;
      }
    }
  }
  return std::nullopt;
}

std::vector<std::string> FamilyNames(const Families& families) {
  std::vector<std::string> names;
  for (const prometheus::MetricFamily& family : families) {
    names.push_back(family.name);
  }
  return names;
}

Labels Malformed(std::string source) {
  return {{"collector", "memory"}, {"source", std::move(source)}};
}

// The sources with a malformed-lines counter.
const char* const kSources[] = {"vmstat", "pressure/memory", "meminfo"};

const char* const kKillFamily = "oom_kernel_kills_total";
const char* const kPressureFamilies[] = {
    "oom_memory_pressure_waiting_seconds_total",
    "oom_memory_pressure_stalled_seconds_total"};
const char* const kMeminfoFamilies[] = {
    "oom_memory_total_bytes",     "oom_memory_available_bytes",
    "oom_swap_total_bytes",       "oom_swap_free_bytes",
    "oom_memory_committed_bytes", "oom_memory_commit_limit_bytes"};
const char* const kSysctlFamilies[] = {
    "oom_vm_overcommit_memory", "oom_vm_overcommit_ratio",
    "oom_vm_panic_on_oom", "oom_vm_oom_kill_allocating_task"};
const char* const kMalformedFamily = "oom_exporter_malformed_lines_total";

// Checks what every scrape must satisfy, whatever the input: valid and unique
// family names, valid label names, one sample per label set.
void ExpectWellFormed(const Families& families) {
  std::set<std::string> names;
  for (const prometheus::MetricFamily& family : families) {
    EXPECT_TRUE(prometheus::CheckMetricName(family.name)) << family.name;
    EXPECT_TRUE(names.insert(family.name).second)
        << "family " << family.name << " produced twice";
    EXPECT_FALSE(family.help.empty()) << family.name;
    EXPECT_FALSE(family.metric.empty()) << family.name;
    std::set<std::vector<std::pair<std::string, std::string>>> label_sets;
    for (const prometheus::ClientMetric& metric : family.metric) {
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        EXPECT_TRUE(prometheus::CheckLabelName(label.name))
            << family.name << " label " << label.name;
      }
      EXPECT_TRUE(label_sets.insert(SortedLabels(metric)).second)
          << family.name << " has two samples with the same labels";
    }
  }
}

FsRoots FixtureRoots(std::string_view proc) {
  return FsRoots{SourcePath(std::string("tests/fixtures/") + std::string(proc)),
                 SourcePath("tests/fixtures/sys")};
}

// A writable copy of tests/fixtures/proc, for tests that break one file.
class BrokenTreeTest : public ::testing::Test {
 protected:
  void SetUp() override { tree_.CopyFixture("proc", "proc"); }

  FsRoots Roots() const {
    return FsRoots{tree_.root() + "/proc", tree_.root() + "/sys"};
  }
  void Remove(std::string_view relative) {
    std::filesystem::remove_all(std::filesystem::path(tree_.root()) / "proc" /
                                relative);
  }

  TempTree tree_;
};

// (a) tests/fixtures/proc: Linux 6.18.44 right after one memcg OOM kill.
TEST(MemoryCollectorTest, RealLinux618FixtureExportsEveryMetric) {
  Scrape scrape = CollectOnce(FixtureRoots("proc"));
  EXPECT_TRUE(scrape.status.ok()) << scrape.status;
  const Families& f = scrape.families;

  EXPECT_THAT(FindSample(f, "oom_kernel_kills_total"), Optional(DoubleEq(1)));
  EXPECT_THAT(FindSample(f, "oom_memory_pressure_waiting_seconds_total"),
              Optional(DoubleEq(0.090651)));
  EXPECT_THAT(FindSample(f, "oom_memory_pressure_stalled_seconds_total"),
              Optional(DoubleEq(0.090537)));
  EXPECT_THAT(FindSample(f, "oom_memory_total_bytes"),
              Optional(DoubleEq(24682416 * kKiB)));
  EXPECT_THAT(FindSample(f, "oom_memory_available_bytes"),
              Optional(DoubleEq(24316760 * kKiB)));
  EXPECT_THAT(FindSample(f, "oom_swap_total_bytes"), Optional(DoubleEq(0)));
  EXPECT_THAT(FindSample(f, "oom_swap_free_bytes"), Optional(DoubleEq(0)));
  EXPECT_THAT(FindSample(f, "oom_memory_committed_bytes"),
              Optional(DoubleEq(49244 * kKiB)));
  EXPECT_THAT(FindSample(f, "oom_memory_commit_limit_bytes"),
              Optional(DoubleEq(12341208 * kKiB)));
  EXPECT_THAT(FindSample(f, "oom_vm_overcommit_memory"), Optional(DoubleEq(0)));
  EXPECT_THAT(FindSample(f, "oom_vm_overcommit_ratio"), Optional(DoubleEq(50)));
  EXPECT_THAT(FindSample(f, "oom_vm_panic_on_oom"), Optional(DoubleEq(0)));
  EXPECT_THAT(FindSample(f, "oom_vm_oom_kill_allocating_task"),
              Optional(DoubleEq(0)));
  for (const char* source : kSources) {
    EXPECT_THAT(FindSample(f, kMalformedFamily, Malformed(source)),
                Optional(DoubleEq(0)))
        << source;
  }

  std::vector<std::string> expected = {kKillFamily, kMalformedFamily};
  expected.insert(expected.end(), std::begin(kPressureFamilies),
                  std::end(kPressureFamilies));
  expected.insert(expected.end(), std::begin(kMeminfoFamilies),
                  std::end(kMeminfoFamilies));
  expected.insert(expected.end(), std::begin(kSysctlFamilies),
                  std::end(kSysctlFamilies));
  EXPECT_THAT(FamilyNames(f), UnorderedElementsAreArray(expected));
  for (const prometheus::MetricFamily& family : f) {
    EXPECT_EQ(family.metric.size(), family.name == kMalformedFamily ? 3u : 1u)
        << family.name;
  }
}

TEST(MemoryCollectorTest, CountersAndGaugesHaveTheirTypes) {
  Scrape scrape = CollectOnce(FixtureRoots("proc"));
  ASSERT_FALSE(scrape.families.empty());
  for (const prometheus::MetricFamily& family : scrape.families) {
    const bool is_total =
        family.name.size() > 6 &&
        family.name.compare(family.name.size() - 6, 6, "_total") == 0;
    EXPECT_EQ(family.type, is_total ? prometheus::MetricType::Counter
                                    : prometheus::MetricType::Gauge)
        << family.name;
  }
}

// The fixture's sysctls are 0/50/0/0; distinct values show each file goes to
// its own metric.
TEST_F(BrokenTreeTest, EachSysctlFileFeedsItsOwnMetric) {
  tree_.WriteFile("proc/sys/vm/overcommit_memory", "2\n");
  tree_.WriteFile("proc/sys/vm/overcommit_ratio", "80\n");
  tree_.WriteFile("proc/sys/vm/panic_on_oom", "1\n");
  tree_.WriteFile("proc/sys/vm/oom_kill_allocating_task", "-1\n");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_TRUE(scrape.status.ok()) << scrape.status;
  const Families& f = scrape.families;
  EXPECT_THAT(FindSample(f, "oom_vm_overcommit_memory"), Optional(DoubleEq(2)));
  EXPECT_THAT(FindSample(f, "oom_vm_overcommit_ratio"), Optional(DoubleEq(80)));
  EXPECT_THAT(FindSample(f, "oom_vm_panic_on_oom"), Optional(DoubleEq(1)));
  EXPECT_THAT(FindSample(f, "oom_vm_oom_kill_allocating_task"),
              Optional(DoubleEq(-1)));
}

// (b) tests/fixtures/proc-linux-3.10, modelled on CentOS 7: no oom_kill in
// vmstat, no pressure/ directory. Absent features are not failures.
TEST(MemoryCollectorTest, Linux310TreeHasNoKillCounterAndNoPressure) {
  Scrape scrape = CollectOnce(FixtureRoots("proc-linux-3.10"));
  EXPECT_TRUE(scrape.status.ok()) << scrape.status;
  const Families& f = scrape.families;
  std::vector<std::string> names = FamilyNames(f);
  EXPECT_THAT(names, Not(Contains(kKillFamily)));
  for (const char* family : kPressureFamilies) {
    EXPECT_THAT(names, Not(Contains(family)));
  }
  EXPECT_THAT(names,
              IsSupersetOf(std::vector<std::string>(
                  std::begin(kMeminfoFamilies), std::end(kMeminfoFamilies))));
  EXPECT_THAT(FindSample(f, "oom_memory_total_bytes"),
              Optional(DoubleEq(3880192 * kKiB)));
  EXPECT_THAT(FindSample(f, "oom_memory_available_bytes"),
              Optional(DoubleEq(245828 * kKiB)));
  EXPECT_THAT(FindSample(f, "oom_swap_total_bytes"),
              Optional(DoubleEq(2097148 * kKiB)));
  EXPECT_THAT(FindSample(f, "oom_swap_free_bytes"),
              Optional(DoubleEq(12544 * kKiB)));
  EXPECT_THAT(FindSample(f, "oom_memory_committed_bytes"),
              Optional(DoubleEq(5118712 * kKiB)));
  EXPECT_THAT(FindSample(f, "oom_memory_commit_limit_bytes"),
              Optional(DoubleEq(5201300 * kKiB)));
  EXPECT_THAT(FindSample(f, "oom_vm_overcommit_memory"), Optional(DoubleEq(2)));
  EXPECT_THAT(FindSample(f, "oom_vm_overcommit_ratio"), Optional(DoubleEq(80)));
  EXPECT_THAT(FindSample(f, "oom_vm_panic_on_oom"), Optional(DoubleEq(0)));
  EXPECT_THAT(FindSample(f, "oom_vm_oom_kill_allocating_task"),
              Optional(DoubleEq(0)));
  for (const char* source : kSources) {
    EXPECT_THAT(FindSample(f, kMalformedFamily, Malformed(source)),
                Optional(DoubleEq(0)))
        << source;
  }
  ExpectWellFormed(f);
}

// Mainline kernels before 3.14 print no MemAvailable.
TEST_F(BrokenTreeTest, MeminfoWithoutMemAvailableIsNotAFailure) {
  tree_.WriteFile("proc/meminfo",
                  "MemTotal:        1028236 kB\n"
                  "MemFree:          563260 kB\n"
                  "SwapTotal:       1046524 kB\n"
                  "SwapFree:        1046524 kB\n"
                  "CommitLimit:     1551860 kB\n"
                  "Committed_AS:     639476 kB\n");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_TRUE(scrape.status.ok()) << scrape.status;
  EXPECT_EQ(FindSample(scrape.families, "oom_memory_available_bytes"),
            std::nullopt);
  EXPECT_THAT(FindSample(scrape.families, "oom_memory_total_bytes"),
              Optional(DoubleEq(1028236 * kKiB)));
  EXPECT_THAT(FindSample(scrape.families, "oom_memory_committed_bytes"),
              Optional(DoubleEq(639476 * kKiB)));
}

// (c) PSI disabled or absent. With psi=0 the kernel has the file and read()
// fails with EOPNOTSUPP (ReadFile: Unimplemented); a fixture tree cannot make
// a regular file do that, so this covers the other "absent" path, a missing
// file (kernels before 4.20 or without CONFIG_PSI). Both go through
// IsAbsent(), whose mapping of Unimplemented is checked in fs_test.cc.
TEST_F(BrokenTreeTest, MissingPressureFileIsNotAFailure) {
  Remove("pressure/memory");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_TRUE(scrape.status.ok()) << scrape.status;
  std::vector<std::string> names = FamilyNames(scrape.families);
  for (const char* family : kPressureFamilies) {
    EXPECT_THAT(names, Not(Contains(family)));
  }
  EXPECT_THAT(FindSample(scrape.families, kKillFamily), Optional(DoubleEq(1)));
  EXPECT_THAT(FindSample(scrape.families, kMalformedFamily,
                         Malformed("pressure/memory")),
              Optional(DoubleEq(0)));
}

TEST_F(BrokenTreeTest, MissingPressureDirectoryIsNotAFailure) {
  Remove("pressure");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_TRUE(scrape.status.ok()) << scrape.status;
  EXPECT_EQ(FindSample(scrape.families, kPressureFamilies[0]), std::nullopt);
  EXPECT_EQ(FindSample(scrape.families, kPressureFamilies[1]), std::nullopt);
}

// /proc/pressure/cpu before 5.13 has no "full" line; a memory file never
// lacks it, but the collector must not invent a value if it did.
TEST_F(BrokenTreeTest, PressureWithSomeLineOnly) {
  tree_.WriteFile("proc/pressure/memory",
                  "some avg10=0.00 avg60=0.00 avg300=0.00 total=2500000\n");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_TRUE(scrape.status.ok()) << scrape.status;
  EXPECT_THAT(FindSample(scrape.families, kPressureFamilies[0]),
              Optional(DoubleEq(2.5)));
  EXPECT_EQ(FindSample(scrape.families, kPressureFamilies[1]), std::nullopt);
}

TEST_F(BrokenTreeTest, GarbagePressureIsAFailure) {
  tree_.WriteFile("proc/pressure/memory",
                  "\x7f"
                  "ELF\n");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_FALSE(scrape.status.ok());
  EXPECT_THAT(std::string(scrape.status.message()),
              HasSubstr("pressure/memory"));
  EXPECT_EQ(FindSample(scrape.families, kPressureFamilies[0]), std::nullopt);
  EXPECT_THAT(FindSample(scrape.families, kKillFamily), Optional(DoubleEq(1)));
  EXPECT_THAT(FindSample(scrape.families, "oom_memory_total_bytes"),
              Optional(DoubleEq(24682416 * kKiB)));
  ExpectWellFormed(scrape.families);
}

// (d) Broken input: the collector reports the failure and still exports
// everything it could read.
TEST_F(BrokenTreeTest, GarbageMeminfoFailsButOtherSourcesAreExported) {
  constexpr char kBinary[] =
      "\x7f"
      "ELF\x02\x01\x01\0\0\0\n\xff\xfe\n";
  tree_.WriteFile("proc/meminfo", std::string(kBinary, sizeof(kBinary) - 1));
  Scrape scrape = CollectOnce(Roots());
  EXPECT_FALSE(scrape.status.ok());
  EXPECT_THAT(std::string(scrape.status.message()), HasSubstr("meminfo"));
  const Families& f = scrape.families;
  for (const char* family : kMeminfoFamilies) {
    EXPECT_EQ(FindSample(f, family), std::nullopt) << family;
  }
  EXPECT_THAT(FindSample(f, kKillFamily), Optional(DoubleEq(1)));
  EXPECT_THAT(FindSample(f, kPressureFamilies[0]),
              Optional(DoubleEq(0.090651)));
  EXPECT_THAT(FindSample(f, "oom_vm_overcommit_ratio"), Optional(DoubleEq(50)));
  EXPECT_THAT(FindSample(f, "oom_vm_overcommit_memory"), Optional(DoubleEq(0)));
  ExpectWellFormed(f);
}

TEST_F(BrokenTreeTest, MalformedMeminfoLinesAreCountedAndSkipped) {
  tree_.WriteFile("proc/meminfo",
                  "MemTotal:       24682416 kB\n"
                  "MemFree:        garbage\n"
                  "MemAvailable:   24316760 kB\n"
                  "SwapTotal\n"
                  "SwapFree:             0 kB\n"
                  "CommitLimit:    12341208 kB\n"
                  "Committed_AS:      49244 kB\n"
                  "VmallocTotal:   99999999999999999999 kB\n");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_TRUE(scrape.status.ok()) << scrape.status;
  const Families& f = scrape.families;
  EXPECT_THAT(FindSample(f, kMalformedFamily, Malformed("meminfo")),
              Optional(DoubleEq(3)));
  EXPECT_THAT(FindSample(f, kMalformedFamily, Malformed("vmstat")),
              Optional(DoubleEq(0)));
  EXPECT_THAT(FindSample(f, "oom_memory_total_bytes"),
              Optional(DoubleEq(24682416 * kKiB)));
  EXPECT_THAT(FindSample(f, "oom_memory_available_bytes"),
              Optional(DoubleEq(24316760 * kKiB)));
  EXPECT_EQ(FindSample(f, "oom_swap_total_bytes"), std::nullopt);
  EXPECT_THAT(FindSample(f, "oom_swap_free_bytes"), Optional(DoubleEq(0)));
  EXPECT_THAT(FindSample(f, "oom_memory_commit_limit_bytes"),
              Optional(DoubleEq(12341208 * kKiB)));
}

TEST_F(BrokenTreeTest, MalformedVmstatAndPressureLinesAreCounted) {
  tree_.WriteFile("proc/vmstat", "nr_free_pages 1\nbad\noom_kill 7\nx y\n");
  tree_.WriteFile("proc/pressure/memory",
                  "some avg10=0.72 avg60=0.13 avg300=0.02 total=90651\n"
                  "full avg10=0.72 avg60=0.13 avg300=0.02\n");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_TRUE(scrape.status.ok()) << scrape.status;
  const Families& f = scrape.families;
  EXPECT_THAT(FindSample(f, kKillFamily), Optional(DoubleEq(7)));
  EXPECT_THAT(FindSample(f, kMalformedFamily, Malformed("vmstat")),
              Optional(DoubleEq(2)));
  EXPECT_THAT(FindSample(f, kMalformedFamily, Malformed("pressure/memory")),
              Optional(DoubleEq(1)));
  EXPECT_THAT(FindSample(f, kMalformedFamily, Malformed("meminfo")),
              Optional(DoubleEq(0)));
  EXPECT_THAT(FindSample(f, kPressureFamilies[0]),
              Optional(DoubleEq(0.090651)));
  EXPECT_EQ(FindSample(f, kPressureFamilies[1]), std::nullopt);
}

TEST_F(BrokenTreeTest, SysctlThatIsNotAnIntegerFailsOthersAreExported) {
  tree_.WriteFile("proc/sys/vm/overcommit_ratio", "abc\n");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_FALSE(scrape.status.ok());
  EXPECT_THAT(std::string(scrape.status.message()),
              HasSubstr("overcommit_ratio"));
  const Families& f = scrape.families;
  EXPECT_EQ(FindSample(f, "oom_vm_overcommit_ratio"), std::nullopt);
  EXPECT_THAT(FindSample(f, "oom_vm_overcommit_memory"), Optional(DoubleEq(0)));
  EXPECT_THAT(FindSample(f, "oom_vm_panic_on_oom"), Optional(DoubleEq(0)));
  EXPECT_THAT(FindSample(f, "oom_vm_oom_kill_allocating_task"),
              Optional(DoubleEq(0)));
  EXPECT_THAT(FindSample(f, kKillFamily), Optional(DoubleEq(1)));
  EXPECT_THAT(FindSample(f, "oom_memory_total_bytes"),
              Optional(DoubleEq(24682416 * kKiB)));
  ExpectWellFormed(f);
}

TEST_F(BrokenTreeTest, EverySysctlFailureIsReported) {
  tree_.WriteFile("proc/sys/vm/overcommit_ratio", "abc\n");
  tree_.WriteFile("proc/sys/vm/panic_on_oom", "");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_FALSE(scrape.status.ok());
  const std::string message(scrape.status.message());
  EXPECT_THAT(message, HasSubstr("overcommit_ratio"));
  EXPECT_THAT(message, HasSubstr("panic_on_oom"));
  EXPECT_THAT(FindSample(scrape.families, "oom_vm_overcommit_memory"),
              Optional(DoubleEq(0)));
}

// /proc/sys can be hidden (some container runtimes mask it).
TEST_F(BrokenTreeTest, MissingSysctlFilesAreNotAFailure) {
  Remove("sys/vm/panic_on_oom");
  Remove("sys/vm/oom_kill_allocating_task");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_TRUE(scrape.status.ok()) << scrape.status;
  EXPECT_EQ(FindSample(scrape.families, "oom_vm_panic_on_oom"), std::nullopt);
  EXPECT_EQ(FindSample(scrape.families, "oom_vm_oom_kill_allocating_task"),
            std::nullopt);
  EXPECT_THAT(FindSample(scrape.families, "oom_vm_overcommit_ratio"),
              Optional(DoubleEq(50)));
}

TEST_F(BrokenTreeTest, MeminfoWithoutMemTotalFails) {
  tree_.WriteFile("proc/meminfo",
                  "MemFree:        23134316 kB\n"
                  "MemAvailable:   24316760 kB\n"
                  "SwapTotal:            0 kB\n");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_FALSE(scrape.status.ok());
  EXPECT_THAT(std::string(scrape.status.message()), HasSubstr("MemTotal"));
  EXPECT_EQ(FindSample(scrape.families, "oom_memory_total_bytes"),
            std::nullopt);
  EXPECT_THAT(FindSample(scrape.families, "oom_memory_available_bytes"),
              Optional(DoubleEq(24316760 * kKiB)));
  EXPECT_THAT(FindSample(scrape.families, kKillFamily), Optional(DoubleEq(1)));
}

// Every kernel has /proc/vmstat; its absence means a wrong --path.procfs.
TEST_F(BrokenTreeTest, MissingVmstatFails) {
  Remove("vmstat");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_FALSE(scrape.status.ok());
  EXPECT_THAT(std::string(scrape.status.message()), HasSubstr("vmstat"));
  EXPECT_EQ(FindSample(scrape.families, kKillFamily), std::nullopt);
  EXPECT_THAT(FindSample(scrape.families, "oom_memory_total_bytes"),
              Optional(DoubleEq(24682416 * kKiB)));
  EXPECT_THAT(FindSample(scrape.families, kPressureFamilies[0]),
              Optional(DoubleEq(0.090651)));
  ExpectWellFormed(scrape.families);
}

TEST_F(BrokenTreeTest, MissingMeminfoFails) {
  Remove("meminfo");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_FALSE(scrape.status.ok());
  EXPECT_THAT(std::string(scrape.status.message()), HasSubstr("meminfo"));
  EXPECT_THAT(FindSample(scrape.families, kKillFamily), Optional(DoubleEq(1)));
}

TEST_F(BrokenTreeTest, DirectoryInsteadOfPressureFileFails) {
  Remove("pressure/memory");
  tree_.MakeDir("proc/pressure/memory");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_FALSE(scrape.status.ok());
  EXPECT_THAT(std::string(scrape.status.message()),
              HasSubstr("pressure/memory"));
}

TEST(MemoryCollectorTest, NonexistentProcRootFailsAndStillExportsCounters) {
  TempTree tree;
  Scrape scrape = CollectOnce(FsRoots{tree.root() + "/nowhere", "/sys"});
  EXPECT_FALSE(scrape.status.ok());
  EXPECT_THAT(std::string(scrape.status.message()), HasSubstr("vmstat"));
  EXPECT_THAT(std::string(scrape.status.message()), HasSubstr("meminfo"));
  EXPECT_THAT(FamilyNames(scrape.families),
              UnorderedElementsAreArray({kMalformedFamily}));
  ExpectWellFormed(scrape.families);
}

// (e) The malformed-lines counters are totals since start.
TEST_F(BrokenTreeTest, MalformedLineCountsAccumulateAcrossScrapes) {
  tree_.WriteFile("proc/meminfo", "MemTotal:       24682416 kB\nbad\nworse\n");
  MemoryCollector collector(Roots());

  Scrape first = CollectOnce(collector);
  EXPECT_TRUE(first.status.ok()) << first.status;
  EXPECT_THAT(
      FindSample(first.families, kMalformedFamily, Malformed("meminfo")),
      Optional(DoubleEq(2)));

  Scrape second = CollectOnce(collector);
  EXPECT_THAT(
      FindSample(second.families, kMalformedFamily, Malformed("meminfo")),
      Optional(DoubleEq(4)));

  // A clean file adds nothing but does not reset the counter.
  tree_.WriteFile("proc/meminfo", "MemTotal:       24682416 kB\n");
  Scrape third = CollectOnce(collector);
  EXPECT_THAT(
      FindSample(third.families, kMalformedFamily, Malformed("meminfo")),
      Optional(DoubleEq(4)));
  EXPECT_THAT(FindSample(third.families, kMalformedFamily, Malformed("vmstat")),
              Optional(DoubleEq(0)));

  // A new collector starts from zero.
  Scrape fresh = CollectOnce(Roots());
  EXPECT_THAT(
      FindSample(fresh.families, kMalformedFamily, Malformed("meminfo")),
      Optional(DoubleEq(0)));
}

TEST(MemoryCollectorTest, RepeatedScrapesOfAFixedTreeAreIdentical) {
  MemoryCollector collector(FixtureRoots("proc"));
  Scrape first = CollectOnce(collector);
  Scrape second = CollectOnce(collector);
  ASSERT_TRUE(first.status.ok()) << first.status;
  ASSERT_TRUE(second.status.ok()) << second.status;
  EXPECT_EQ(FamilyNames(first.families), FamilyNames(second.families));
  for (const prometheus::MetricFamily& family : first.families) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      Labels labels;
      for (const auto& label : metric.label) {
        labels.emplace_back(label.name, label.value);
      }
      EXPECT_EQ(FindSample(first.families, family.name, labels),
                FindSample(second.families, family.name, labels))
          << family.name;
    }
  }
}

std::vector<std::string>* g_log_lines = nullptr;
void CaptureLog(std::string_view line) { g_log_lines->emplace_back(line); }

// The warning about malformed lines is logged once per source, not on every
// scrape.
TEST_F(BrokenTreeTest, WarnsOnceAboutMalformedLines) {
  std::vector<std::string> lines;
  g_log_lines = &lines;
  SetLogSinkForTesting(&CaptureLog);
  tree_.WriteFile("proc/meminfo", "MemTotal:       24682416 kB\nbad\n");
  MemoryCollector collector(Roots());
  CollectOnce(collector);
  CollectOnce(collector);
  CollectOnce(collector);
  SetLogSinkForTesting(nullptr);
  g_log_lines = nullptr;

  int warnings = 0;
  for (const std::string& line : lines) {
    if (line.find("malformed") != std::string::npos) {
      ++warnings;
      EXPECT_THAT(line, HasSubstr("level=warn"));
      EXPECT_THAT(line, HasSubstr("source=meminfo"));
    }
  }
  EXPECT_EQ(warnings, 1);
}

// (f) Names: valid, unique, on a clean tree, an old kernel's tree and a tree
// where every source is broken.
TEST(MemoryCollectorTest, NamesAreValidAndUniqueOnTheFixtures) {
  for (const char* proc : {"proc", "proc-linux-3.10"}) {
    SCOPED_TRACE(proc);
    Scrape scrape = CollectOnce(FixtureRoots(proc));
    EXPECT_TRUE(scrape.status.ok()) << scrape.status;
    ExpectWellFormed(scrape.families);
  }
}

TEST_F(BrokenTreeTest, NamesAreValidAndUniqueWhenEverythingIsBroken) {
  tree_.WriteFile("proc/vmstat", "nr_free_pages 1\nbad\n");
  tree_.WriteFile("proc/pressure/memory", "junk\n");
  tree_.WriteFile("proc/meminfo", "MemFree: 1 kB\nbad\n");
  tree_.WriteFile("proc/sys/vm/overcommit_memory", "x\n");
  Scrape scrape = CollectOnce(Roots());
  EXPECT_FALSE(scrape.status.ok());
  ExpectWellFormed(scrape.families);
  for (const char* source : kSources) {
    EXPECT_NE(FindSample(scrape.families, kMalformedFamily, Malformed(source)),
              std::nullopt)
        << source;
  }
}

}  // namespace
}  // namespace oom
