#include "collectors/scrape/scrape_context.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::TempTree;

constexpr uint64_t kKiB = 1024;

FsRoots RootsIn(const TempTree& tree, const std::string& name) {
  FsRoots roots;
  roots.procfs = tree.root() + "/" + name + "/proc";
  roots.sysfs = tree.root() + "/" + name + "/sys";
  return roots;
}

TEST(ScrapeContextTest, ReadsMeminfoOncePerScrape) {
  TempTree tree;
  tree.WriteFile("a/proc/meminfo", "MemTotal: 1 kB\n");
  FsRoots roots = RootsIn(tree, "a");
  ScrapeContext scrape;
  const absl::StatusOr<Meminfo>& first = scrape.MeminfoOf(roots);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->Get("MemTotal"), kKiB);
  // A second collector of the same scrape gets the same reading.
  tree.WriteFile("a/proc/meminfo", "MemTotal: 2 kB\n");
  const absl::StatusOr<Meminfo>& second = scrape.MeminfoOf(roots);
  EXPECT_EQ(&first, &second);
  EXPECT_EQ(second->Get("MemTotal"), kKiB);
  // The next scrape reads again.
  ScrapeContext next;
  EXPECT_EQ(next.MeminfoOf(roots)->Get("MemTotal"), 2 * kKiB);
}

TEST(ScrapeContextTest, KeepsErrorsLikeValues) {
  TempTree tree;
  FsRoots roots = RootsIn(tree, "a");
  ScrapeContext scrape;
  absl::Status missing = scrape.MeminfoOf(roots).status();
  EXPECT_TRUE(absl::IsNotFound(missing)) << missing;
  tree.WriteFile("a/proc/meminfo", "MemTotal: 1 kB\n");
  EXPECT_EQ(scrape.MeminfoOf(roots).status(), missing);
  EXPECT_TRUE(absl::IsNotFound(scrape.HierarchyOf(roots).status()));
}

TEST(ScrapeContextTest, KeepsFactsApartPerRoots) {
  TempTree tree;
  tree.WriteFile("a/proc/meminfo", "MemTotal: 1 kB\n");
  tree.WriteFile("b/proc/meminfo", "MemTotal: 2 kB\n");
  ScrapeContext scrape;
  EXPECT_EQ(scrape.MeminfoOf(RootsIn(tree, "a"))->Get("MemTotal"), kKiB);
  EXPECT_EQ(scrape.MeminfoOf(RootsIn(tree, "b"))->Get("MemTotal"), 2 * kKiB);
}

TEST(ScrapeContextTest, FindsTheMemoryHierarchyOncePerScrape) {
  TempTree tree;
  FsRoots roots = RootsIn(tree, "a");
  tree.WriteFile("a/proc/1/mountinfo",
                 "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  tree.WriteFile("a/sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
  ScrapeContext scrape;
  const absl::StatusOr<MemoryHierarchy>& first = scrape.HierarchyOf(roots);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->v2);
  EXPECT_EQ(first->dir, roots.Sys("fs/cgroup"));
  // Found already: a change of the mount table waits for the next scrape.
  tree.WriteFile("a/proc/1/mountinfo", "");
  EXPECT_EQ(&scrape.HierarchyOf(roots), &first);
  ScrapeContext next;
  EXPECT_FALSE(next.HierarchyOf(roots).ok());
}

}  // namespace
}  // namespace oom
