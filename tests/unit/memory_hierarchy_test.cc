#include "collectors/kernel/cgroupfs/memory_hierarchy.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::TempTree;

FsRoots RootsOf(const TempTree& tree) {
  FsRoots roots;
  roots.procfs = tree.root() + "/proc";
  roots.sysfs = tree.root() + "/sys";
  return roots;
}

// In a container that shares the host's pid namespace and mounts its /proc
// and /sys, pid 1's mount table is the host's; the container's own names the
// runtime's cgroup mount, with the container's cgroup as its root.
TEST(MemoryHierarchyTest, PrefersTheHostsMountTable) {
  TempTree tree;
  tree.WriteFile("proc/1/mountinfo",
                 "23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
                 "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup "
                 "cgroup rw,memory\n");
  tree.WriteFile(
      "proc/self/mountinfo",
      "612 600 0:32 /kubepods/burstable/pod1/abc /sys/fs/cgroup/memory "
      "ro,relatime - cgroup cgroup rw,memory\n");
  absl::StatusOr<MemoryHierarchy> found =
      DiscoverMemoryHierarchy(RootsOf(tree));
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->root, "/");
  EXPECT_EQ(found->dir, tree.root() + "/sys/fs/cgroup/memory");
  EXPECT_FALSE(found->v2);
}

TEST(MemoryHierarchyTest, FallsBackToItsOwnMountTable) {
  TempTree tree;
  tree.WriteFile("proc/self/mountinfo",
                 "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup "
                 "cgroup rw,memory\n");
  absl::StatusOr<MemoryHierarchy> found =
      DiscoverMemoryHierarchy(RootsOf(tree));
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->mount_point, "/sys/fs/cgroup/memory");
}

TEST(MemoryHierarchyTest, NoMountTableIsNotFound) {
  TempTree tree;
  tree.MakeDir("proc");
  EXPECT_TRUE(
      absl::IsNotFound(DiscoverMemoryHierarchy(RootsOf(tree)).status()));
}

}  // namespace
}  // namespace oom
