// ParseMemoryStat on real memory.stat text, and the two measures derived
// from it: what a page-cache cgroup, an anonymous one and a mixed one give.

#include "collectors/kernel/cgroupfs/memory_stat.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/base/fs.h"
#include "collectors/base/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::testing::HasSubstr;

// This machine (Linux 6.18, cgroup v1), a 64 MiB cgroup holding a 15 MiB
// anonymous buffer (python3 bytearray) and a 16 MiB file on ext4 read twice
// with cat; memory.usage_in_bytes was 33206272. Copied with cat.
constexpr char kV1Mixed[] =
    "cache 17285120\n"
    "rss 15421440\n"
    "rss_huge 0\n"
    "shmem 0\n"
    "mapped_file 253952\n"
    "dirty 0\n"
    "writeback 0\n"
    "workingset_refault_anon 0\n"
    "workingset_refault_file 124\n"
    "swap 0\n"
    "swapcached 0\n"
    "pgpgin 7370\n"
    "pgpgout 3127\n"
    "pgfault 11616\n"
    "pgmajfault 4\n"
    "inactive_anon 15417344\n"
    "active_anon 4096\n"
    "inactive_file 0\n"
    "active_file 17285120\n"
    "unevictable 0\n"
    "hierarchical_memory_limit 67108864\n"
    "hierarchical_memsw_limit 9223372036854771712\n"
    "total_cache 17285120\n"
    "total_rss 15421440\n"
    "total_rss_huge 0\n"
    "total_shmem 0\n"
    "total_mapped_file 253952\n"
    "total_dirty 0\n"
    "total_writeback 0\n"
    "total_workingset_refault_anon 0\n"
    "total_workingset_refault_file 124\n"
    "total_swap 0\n"
    "total_swapcached 0\n"
    "total_pgpgin 7370\n"
    "total_pgpgout 3127\n"
    "total_pgfault 11616\n"
    "total_pgmajfault 4\n"
    "total_inactive_anon 15417344\n"
    "total_active_anon 4096\n"
    "total_inactive_file 0\n"
    "total_active_file 17285120\n"
    "total_unevictable 0\n";
constexpr uint64_t kV1MixedUsage = 33206272;

TEST(ParseMemoryStatTest, V1ReadsTheHierarchicalFileLists) {
  absl::StatusOr<MemoryStat> stat = ParseMemoryStat(kV1Mixed, /*v2=*/false);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->active_file, 17285120u);
  EXPECT_EQ(stat->inactive_file, 0u);
  EXPECT_EQ(stat->slab_reclaimable, 0u);  // v1 prints no slab
}

TEST(ParseMemoryStatTest, V1MixedCgroup) {
  absl::StatusOr<MemoryStat> stat = ParseMemoryStat(kV1Mixed, /*v2=*/false);
  ASSERT_TRUE(stat.ok()) << stat.status();
  // The file read twice is all active: the kubelet's working set counts it.
  EXPECT_EQ(WorkingSetBytes(kV1MixedUsage, *stat), kV1MixedUsage);
  // Unreclaimable: the 15421440 bytes of rss and 499712 of kernel memory.
  EXPECT_EQ(UnreclaimableBytes(kV1MixedUsage, *stat), 15921152u);
}

TEST(ParseMemoryStatTest, V1OwnKeysAreNotTheTotals) {
  // A parent whose own lists are empty and whose children hold the cache.
  absl::StatusOr<MemoryStat> stat = ParseMemoryStat(
      "inactive_file 0\nactive_file 0\n"
      "total_inactive_file 8192\ntotal_active_file 4096\n",
      /*v2=*/false);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->inactive_file, 8192u);
  EXPECT_EQ(stat->active_file, 4096u);
}

TEST(ParseMemoryStatTest, V2WithoutSlabReclaimableIsZero) {
  absl::StatusOr<MemoryStat> stat =
      ParseMemoryStat("anon 4096\nactive_file 12288\ninactive_file 8192\n",
                      /*v2=*/true);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->slab_reclaimable, 0u);
  EXPECT_EQ(UnreclaimableBytes(65536, *stat), 65536u - 12288 - 8192);
  EXPECT_EQ(WorkingSetBytes(65536, *stat), 65536u - 8192);
}

TEST(ParseMemoryStatTest, MeasuresNeverGoBelowZero) {
  // memory.stat is flushed lazily and may be ahead of usage read just
  // before it.
  MemoryStat stat;
  stat.active_file = 4096;
  stat.inactive_file = 8192;
  stat.slab_reclaimable = 4096;
  EXPECT_EQ(WorkingSetBytes(4096, stat), 0u);
  EXPECT_EQ(UnreclaimableBytes(12288, stat), 0u);
  EXPECT_EQ(UnreclaimableBytes(0, stat), 0u);
}

TEST(ParseMemoryStatTest, MissingFileListIsAnError) {
  // A v2 file read as v1: no total_ keys.
  absl::StatusOr<MemoryStat> stat =
      ParseMemoryStat("active_file 0\ninactive_file 0\n", /*v2=*/false);
  EXPECT_EQ(stat.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stat.status().message(), HasSubstr("total_active_file"));
  // Truncated before the file lists.
  EXPECT_FALSE(ParseMemoryStat("anon 4096\nfile 8192\n", true).ok());
  EXPECT_FALSE(ParseMemoryStat("", true).ok());
}

TEST(ParseMemoryStatTest, GarbledValueIsAnError) {
  absl::StatusOr<MemoryStat> stat =
      ParseMemoryStat("active_file 12x\ninactive_file 0\n", /*v2=*/true);
  EXPECT_EQ(stat.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stat.status().message(), HasSubstr("active_file 12x"));
  EXPECT_FALSE(ParseMemoryStat("active_file -1\ninactive_file 0\n", true).ok());
  EXPECT_FALSE(
      ParseMemoryStat("active_file 99999999999999999999999\ninactive_file 0\n",
                      true)
          .ok());
}

TEST(ParseMemoryStatTest, OtherLinesAreIgnored) {
  // Keys of other kernels, a line without a value, a garbled unused one.
  absl::StatusOr<MemoryStat> stat = ParseMemoryStat(
      "zswapped 0\nnovalue\nanon garbage\ninactive_file 1\nactive_file 2\n"
      "slab_reclaimable 3\n",
      /*v2=*/true);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->inactive_file, 1u);
  EXPECT_EQ(stat->active_file, 2u);
  EXPECT_EQ(stat->slab_reclaimable, 3u);
}

// tests/fixtures/memory-stat/: real memory.stat text of cgroups that each
// held 32 MiB of one kind of memory, with the usage read at the same moment
// (tests/fixtures/README.md, "memory.stat samples").
struct StatSample {
  uint64_t usage;
  MemoryStat stat;
};

StatSample ReadSample(const std::string& name) {
  std::string base =
      ::oom::testing::SourcePath("tests/fixtures/memory-stat/" + name);
  absl::StatusOr<std::string> usage = ReadFile(base + ".usage");
  absl::StatusOr<std::string> text = ReadFile(base + ".stat");
  EXPECT_TRUE(usage.ok() && text.ok()) << name;
  StatSample sample{};
  if (!usage.ok() || !text.ok()) return sample;
  std::optional<uint64_t> bytes = ParseU64(TrimSpace(*usage));
  EXPECT_TRUE(bytes.has_value()) << name;
  sample.usage = bytes.value_or(0);
  absl::StatusOr<MemoryStat> stat =
      ParseMemoryStat(*text, name.find("-v2-") != std::string::npos);
  EXPECT_TRUE(stat.ok()) << name << ": " << stat.status();
  if (stat.ok()) sample.stat = *stat;
  return sample;
}

constexpr uint64_t k32MiB = 32 << 20;
const char* const kKernels[] = {"linux-5.10-v2", "linux-6.1-v2",
                                "linux-6.12-v2", "linux-6.18-v1"};

TEST(MemoryStatSamplesTest, AnonymousMemoryIsUnreclaimable) {
  for (const char* kernel : kKernels) {
    StatSample s = ReadSample(absl::StrCat(kernel, "-anon"));
    EXPECT_GE(UnreclaimableBytes(s.usage, s.stat), k32MiB) << kernel;
    EXPECT_EQ(WorkingSetBytes(s.usage, s.stat), s.usage) << kernel;
  }
}

TEST(MemoryStatSamplesTest, TmpfsIsUnreclaimable) {
  for (const char* kernel : kKernels) {
    StatSample s = ReadSample(absl::StrCat(kernel, "-shmem"));
    // shmem sits on the anon lists: not in the file lists subtracted.
    EXPECT_EQ(s.stat.active_file + s.stat.inactive_file, 0u) << kernel;
    EXPECT_GE(UnreclaimableBytes(s.usage, s.stat), k32MiB) << kernel;
  }
}

TEST(MemoryStatSamplesTest, PageCacheReadTwiceIsReclaimable) {
  for (const char* kernel : kKernels) {
    StatSample s = ReadSample(absl::StrCat(kernel, "-file"));
    EXPECT_GE(s.usage, k32MiB) << kernel;
    // What stays is the cgroup's own kernel memory: well under 1 MiB.
    EXPECT_LT(UnreclaimableBytes(s.usage, s.stat), 1u << 20) << kernel;
  }
}

TEST(MemoryStatSamplesTest, WorkingSetCountsActivePageCache) {
  // Read twice, the cache is active on 5.10, 6.1 and 6.18: the kubelet's
  // working set counts all of it. Debian's 6.12 runs the multi-gen LRU,
  // which shows it all as inactive_file: there the working set drops it.
  for (const char* kernel :
       {"linux-5.10-v2", "linux-6.1-v2", "linux-6.18-v1"}) {
    StatSample s = ReadSample(absl::StrCat(kernel, "-file"));
    EXPECT_GE(WorkingSetBytes(s.usage, s.stat), k32MiB) << kernel;
  }
  StatSample mglru = ReadSample("linux-6.12-v2-file");
  EXPECT_LT(WorkingSetBytes(mglru.usage, mglru.stat), 1u << 20);
}

}  // namespace
}  // namespace oom
