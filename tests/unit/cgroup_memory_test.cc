// CgroupMemoryReader on cgroup directories written by the test: the same
// questions on v1 and v2, and what it keeps when files are missing, garbled,
// unreadable or the cgroup is gone.

#include "collectors/kernel/cgroupfs/cgroup_memory.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::TempTree;
using ::testing::HasSubstr;
using ::testing::Optional;

CgroupDir Open(const TempTree& tree, const std::string& name) {
  absl::StatusOr<CgroupDir> dir = CgroupDir::Open(tree.root() + "/" + name);
  EXPECT_TRUE(dir.ok()) << dir.status();
  return *std::move(dir);
}

TEST(CgroupMemoryReaderTest, V2) {
  TempTree tree;
  tree.WriteFile("cg/memory.current", "94371840\n");
  tree.WriteFile("cg/memory.max", "104857600\n");
  tree.WriteFile("cg/memory.high", "max\n");
  tree.WriteFile("cg/memory.swap.current", "4096\n");
  tree.WriteFile("cg/memory.swap.max", "41943040\n");
  tree.WriteFile("cg/memory.oom.group", "1\n");
  tree.WriteFile("cg/memory.pressure",
                 "some avg10=0.72 avg60=0.13 avg300=0.02 total=90651\n"
                 "full avg10=0.72 avg60=0.13 avg300=0.02 total=90537\n");
  CgroupDir dir = Open(tree, "cg");
  CgroupMemoryReader memory(dir, /*v2=*/true);
  EXPECT_THAT(memory.Usage(), Optional(94371840u));
  EXPECT_THAT(memory.Limit(), Optional(104857600u));
  EXPECT_EQ(memory.High(), std::nullopt);  // "max": none set
  EXPECT_THAT(memory.SwapUsage(std::nullopt), Optional(4096u));
  EXPECT_THAT(memory.SwapLimit(104857600), Optional(41943040u));
  EXPECT_EQ(memory.Swappiness(), std::nullopt);  // the node's applies
  EXPECT_THAT(memory.OomGroup(), Optional(1u));
  std::optional<Pressure> pressure = memory.MemoryPressure();
  ASSERT_TRUE(pressure.has_value());
  ASSERT_TRUE(pressure->some.has_value());
  EXPECT_EQ(pressure->some->total_us, 90651u);
  EXPECT_EQ(pressure->full->total_us, 90537u);
  EXPECT_FALSE(memory.vanished());
  EXPECT_TRUE(memory.errors().empty());
}

TEST(CgroupMemoryReaderTest, V1) {
  TempTree tree;
  tree.WriteFile("cg/memory.usage_in_bytes", "59244544\n");
  tree.WriteFile("cg/memory.limit_in_bytes", "67108864\n");
  tree.WriteFile("cg/memory.memsw.usage_in_bytes", "59248640\n");
  tree.WriteFile("cg/memory.memsw.limit_in_bytes", "100663296\n");
  tree.WriteFile("cg/memory.swappiness", "60\n");
  tree.WriteFile("unlimited/memory.limit_in_bytes", "9223372036854771712\n");
  tree.WriteFile("unlimited/memory.memsw.limit_in_bytes",
                 "9223372036854771712\n");
  tree.WriteFile("unlimited/memory.memsw.usage_in_bytes", "100\n");
  tree.WriteFile("unlimited/memory.usage_in_bytes", "200\n");
  CgroupDir dir = Open(tree, "cg");
  CgroupMemoryReader memory(dir, /*v2=*/false);
  std::optional<uint64_t> usage = memory.Usage();
  EXPECT_THAT(usage, Optional(59244544u));
  EXPECT_THAT(memory.Limit(), Optional(67108864u));
  EXPECT_EQ(memory.High(), std::nullopt);
  // memsw counts memory and swap.
  EXPECT_THAT(memory.SwapUsage(usage), Optional(4096u));
  EXPECT_EQ(memory.SwapUsage(std::nullopt), std::nullopt);
  EXPECT_THAT(memory.SwapLimit(67108864), Optional(33554432u));
  EXPECT_THAT(memory.SwapLimit(100663296), Optional(0u));
  EXPECT_THAT(memory.SwapLimit(200000000), Optional(0u));
  EXPECT_THAT(memory.Swappiness(), Optional(60u));
  EXPECT_EQ(memory.OomGroup(), std::nullopt);
  EXPECT_EQ(memory.MemoryPressure(), std::nullopt);
  EXPECT_TRUE(memory.errors().empty());

  CgroupDir unlimited_dir = Open(tree, "unlimited");
  CgroupMemoryReader unlimited(unlimited_dir, /*v2=*/false);
  EXPECT_EQ(unlimited.Limit(), std::nullopt);
  EXPECT_EQ(unlimited.SwapLimit(0), std::nullopt);
  // memsw below usage (two reads apart): 0, not a wrap-around.
  EXPECT_THAT(unlimited.SwapUsage(unlimited.Usage()), Optional(0u));
}

TEST(CgroupMemoryReaderTest, AbsentFilesAreNoError) {
  TempTree tree;
  tree.MakeDir("root");  // the v2 root: no memory.current, no memory.max
  CgroupDir dir = Open(tree, "root");
  CgroupMemoryReader memory(dir, /*v2=*/true);
  EXPECT_EQ(memory.Usage(), std::nullopt);
  EXPECT_EQ(memory.Limit(), std::nullopt);
  EXPECT_EQ(memory.SwapUsage(std::nullopt), std::nullopt);
  EXPECT_EQ(memory.MemoryPressure(), std::nullopt);
  EXPECT_FALSE(memory.vanished());
  EXPECT_TRUE(memory.errors().empty());
}

TEST(CgroupMemoryReaderTest, KeepsWhatWentWrong) {
  TempTree tree;
  tree.WriteFile("cg/memory.current", "lots\n");
  tree.WriteFile("cg/memory.max", "-1\n");
  tree.WriteFile("cg/memory.pressure", "nonsense\n");
  tree.WriteFile("cg/memory.swappiness", "x\n");
  CgroupDir dir = Open(tree, "cg");
  CgroupMemoryReader v2(dir, /*v2=*/true);
  EXPECT_EQ(v2.Usage(), std::nullopt);
  EXPECT_EQ(v2.Limit(), std::nullopt);
  EXPECT_EQ(v2.MemoryPressure(), std::nullopt);
  ASSERT_EQ(v2.errors().size(), 3u);
  for (const absl::Status& error : v2.errors()) {
    EXPECT_TRUE(absl::IsInvalidArgument(error)) << error;
  }
  EXPECT_THAT(std::string(v2.errors()[0].message()),
              HasSubstr(tree.root() + "/cg/memory.current: "));
  CgroupMemoryReader v1(dir, /*v2=*/false);
  EXPECT_EQ(v1.Swappiness(), std::nullopt);
  ASSERT_EQ(v1.errors().size(), 1u);
  EXPECT_THAT(std::string(v1.errors()[0].message()),
              HasSubstr("memory.swappiness"));

  if (::geteuid() != 0) {
    // Root reads a file whatever its mode.
    tree.WriteFile("cg/memory.high", "1\n");
    ::chmod((tree.root() + "/cg/memory.high").c_str(), 0);
    EXPECT_EQ(v2.High(), std::nullopt);
    EXPECT_TRUE(absl::IsPermissionDenied(v2.errors().back()));
  }
}

TEST(CgroupMemoryReaderTest, SaysWhenTheCgroupIsGone) {
  TempTree tree;
  tree.WriteFile("cg/memory.current", "1\n");
  CgroupDir dir = Open(tree, "cg");
  std::filesystem::remove_all(tree.root() + "/cg");
  CgroupMemoryReader memory(dir, /*v2=*/true);
  EXPECT_EQ(memory.Usage(), std::nullopt);
  EXPECT_TRUE(memory.vanished());
  EXPECT_TRUE(memory.errors().empty());
}

TEST(CgroupMemoryReaderTest, StatReadsTheVersionsKeys) {
  TempTree tree;
  tree.WriteFile("v2/memory.stat",
                 "anon 4096\nfile 16384\ninactive_file 8192\n"
                 "active_file 4096\nslab_reclaimable 1024\n");
  tree.WriteFile("v1/memory.stat",
                 "inactive_file 0\nactive_file 0\ntotal_inactive_file 8192\n"
                 "total_active_file 4096\n");
  tree.WriteFile("garbled/memory.stat", "inactive_file 8192\n");
  tree.WriteFile("none/memory.current", "4096\n");
  CgroupDir v2 = Open(tree, "v2");
  CgroupMemoryReader v2_memory(v2, /*v2=*/true);
  std::optional<MemoryStat> stat = v2_memory.Stat();
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->inactive_file, 8192u);
  EXPECT_EQ(stat->active_file, 4096u);
  EXPECT_EQ(stat->slab_reclaimable, 1024u);
  CgroupDir v1 = Open(tree, "v1");
  CgroupMemoryReader v1_memory(v1, /*v2=*/false);
  stat = v1_memory.Stat();
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->inactive_file, 8192u);
  EXPECT_EQ(stat->active_file, 4096u);
  // No active_file line: an error kept, naming the file.
  CgroupDir garbled = Open(tree, "garbled");
  CgroupMemoryReader garbled_memory(garbled, /*v2=*/true);
  EXPECT_EQ(garbled_memory.Stat(), std::nullopt);
  ASSERT_EQ(garbled_memory.errors().size(), 1u);
  EXPECT_THAT(garbled_memory.errors()[0].message(), HasSubstr("memory.stat"));
  // No file: no measure, no error.
  CgroupDir none = Open(tree, "none");
  CgroupMemoryReader none_memory(none, /*v2=*/true);
  EXPECT_EQ(none_memory.Stat(), std::nullopt);
  EXPECT_TRUE(none_memory.errors().empty());
  EXPECT_FALSE(none_memory.vanished());
}

}  // namespace
}  // namespace oom
