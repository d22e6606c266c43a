#include "collectors/kernel/cgroupfs/cgroup_files.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::TempTree;

TEST(CgroupFilesTest, Bytes) {
  EXPECT_EQ(ParseCgroupBytes("67108864\n").value(), 67108864u);
  EXPECT_FALSE(ParseCgroupBytes("max\n").ok());
  EXPECT_FALSE(ParseCgroupBytes("").ok());
  EXPECT_FALSE(ParseCgroupBytes("12 kB").ok());
}

TEST(CgroupFilesTest, Limits) {
  EXPECT_EQ(ParseCgroupLimit("max\n").value(), std::nullopt);
  // v1's PAGE_COUNTER_MAX with 4 KiB pages: unlimited.
  EXPECT_EQ(ParseCgroupLimit("9223372036854771712\n").value(), std::nullopt);
  EXPECT_EQ(ParseCgroupLimit("67108864\n").value(), 67108864u);
  EXPECT_FALSE(ParseCgroupLimit("lots\n").ok());
}

TEST(CgroupFilesTest, EventCounts) {
  absl::StatusOr<CgroupEventCounts> counts = ParseCgroupEventCounts(
      "low 0\nhigh 12\nmax 57\noom 3\noom_kill 2\noom_group_kill 0\n");
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(*counts, (CgroupEventCounts{0, 12, 57, 3, 2, 0}));
  // Linux 5.x before oom_group_kill (5.17): that one is absent, not 0.
  counts = ParseCgroupEventCounts("low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[5], -1);
  // Found by the cgroup fuzzer: a count beyond a long is not a count.
  counts = ParseCgroupEventCounts("max 18446744073709551615\n");
  EXPECT_FALSE(counts.ok());
}

TEST(CgroupFilesTest, ReadsV1AndV2Events) {
  TempTree tree;
  tree.WriteFile("v1/memory.oom_control",
                 "oom_kill_disable 0\nunder_oom 1\noom_kill 4\n");
  tree.WriteFile("v1/memory.failcnt", "137\n");
  tree.WriteFile("v2/memory.events",
                 "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\noom_group_kill 0\n");
  tree.MakeDir("v2/child");
  absl::StatusOr<CgroupDir> v1 = CgroupDir::Open(tree.root() + "/v1");
  ASSERT_TRUE(v1.ok());
  absl::StatusOr<CgroupEvents> events = ReadCgroupEvents(*v1, false);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->local[kCgroupEventOomKill], 4);
  EXPECT_EQ(events->local[kCgroupEventMax], 137);
  EXPECT_EQ(events->total[kCgroupEventOomKill], -1);
  EXPECT_EQ(events->under_oom, 1u);
  EXPECT_TRUE(v1->Children().value().empty());

  absl::StatusOr<CgroupDir> v2 = CgroupDir::Open(tree.root() + "/v2");
  ASSERT_TRUE(v2.ok());
  events = ReadCgroupEvents(*v2, true);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->total[kCgroupEventOomKill], 2);
  // No memory.events.local (before Linux 5.2): absent, not an error.
  EXPECT_EQ(events->local[kCgroupEventOomKill], -1);
  EXPECT_EQ(v2->Children().value(), std::vector<std::string>{"child"});

  EXPECT_TRUE(
      absl::IsNotFound(CgroupDir::Open(tree.root() + "/gone").status()));
}

TEST(CgroupFilesTest, Procs) {
  std::vector<int32_t> pids = {7};
  ParseCgroupProcs("20097\n20104\n", &pids);
  EXPECT_EQ(pids, (std::vector<int32_t>{7, 20097, 20104}));
  pids.clear();
  // 0: a process outside the reader's pid namespace; garbage and pids beyond
  // int32 are skipped; the last line may lack its newline.
  ParseCgroupProcs("0\n x \n2147483648\n 12 \n2147483647", &pids);
  EXPECT_EQ(pids, (std::vector<int32_t>{0, 12, 2147483647}));
  pids.clear();
  ParseCgroupProcs("", &pids);
  EXPECT_TRUE(pids.empty());
}

}  // namespace
}  // namespace oom
