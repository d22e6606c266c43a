#include "collectors/kernel/procfs/mountinfo.h"

#include <string>

#include "gtest/gtest.h"

namespace oom {
namespace {

// This project's CI machine (Linux 6.18): hybrid, memory on cgroup v1.
constexpr char kHybrid[] =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// A systemd host with only cgroup v2, as systemd mounts it: optional
// "shared:N" fields before the separator.
constexpr char kUnified[] =
    "25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs "
    "rw\n"
    "35 25 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - "
    "cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

TEST(ParseMountinfoTest, FindsTheMemoryControllerOnAHybridHost) {
  absl::StatusOr<Mountinfo> info = ParseMountinfo(kHybrid);
  ASSERT_TRUE(info.ok()) << info.status();
  ASSERT_EQ(info->mounts.size(), 5u);
  EXPECT_EQ(info->malformed_lines, 0);
  const Mount& memory = info->mounts[2];
  EXPECT_EQ(memory.root, "/");
  EXPECT_EQ(memory.mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(memory.fstype, "cgroup");
  EXPECT_EQ(memory.source, "cgroup");
  EXPECT_TRUE(HasMountOption(memory.super_options, "memory"));
  EXPECT_FALSE(HasMountOption(info->mounts[3].super_options, "memory"));
  EXPECT_EQ(info->mounts[4].fstype, "cgroup2");
}

TEST(ParseMountinfoTest, OptionalFieldsBeforeTheSeparator) {
  absl::StatusOr<Mountinfo> info = ParseMountinfo(kUnified);
  ASSERT_TRUE(info.ok()) << info.status();
  ASSERT_EQ(info->mounts.size(), 2u);
  EXPECT_EQ(info->mounts[1].mount_point, "/sys/fs/cgroup");
  EXPECT_EQ(info->mounts[1].fstype, "cgroup2");
  EXPECT_EQ(info->mounts[1].super_options,
            "rw,nsdelegate,memory_recursiveprot");
}

TEST(ParseMountinfoTest, OctalEscapesInPaths) {
  absl::StatusOr<Mountinfo> info = ParseMountinfo(
      "50 27 0:40 /in\\040a\\011b /mnt/my\\040dir\\134x rw - tmpfs tmpfs rw\n");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->mounts[0].root, "/in a\tb");
  EXPECT_EQ(info->mounts[0].mount_point, "/mnt/my dir\\x");
  // An escape cut at the end of a field stays as it is.
  info = ParseMountinfo("50 27 0:40 / /mnt/x\\04 rw - tmpfs tmpfs rw\n");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->mounts[0].mount_point, "/mnt/x\\04");
}

TEST(ParseMountinfoTest, MalformedLinesAreCountedAndSkipped) {
  std::string text =
      std::string(kHybrid) +
      "garbage\n"
      "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup\n"
      "36 31 0:33 / /x rw no separator here at all\n";
  absl::StatusOr<Mountinfo> info = ParseMountinfo(text);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->mounts.size(), 5u);
  EXPECT_EQ(info->malformed_lines, 3);
  // Cut in the middle of the last line.
  info = ParseMountinfo(std::string(kHybrid).substr(0, sizeof(kHybrid) - 20));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->mounts.size(), 4u);
  EXPECT_EQ(info->malformed_lines, 1);
}

TEST(ParseMountinfoTest, NothingUsableIsAnError) {
  for (const char* text : {"", "\n\n", "garbage\n", "1 2 3\n"}) {
    EXPECT_FALSE(ParseMountinfo(text).ok()) << "\"" << text << "\"";
  }
}

TEST(HasMountOptionTest, MatchesWholeOptionsOnly) {
  EXPECT_TRUE(HasMountOption("rw,memory", "memory"));
  EXPECT_TRUE(HasMountOption("memory", "memory"));
  EXPECT_TRUE(HasMountOption("memory,rw", "memory"));
  EXPECT_FALSE(HasMountOption("rw,memory_recursiveprot", "memory"));
  EXPECT_FALSE(HasMountOption("rw,name=memory", "memory"));
  EXPECT_FALSE(HasMountOption("", "memory"));
}

}  // namespace
}  // namespace oom
