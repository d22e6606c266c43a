#include "collectors/kernel/procfs/meminfo.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::ReadSourceFile;
using ::oom::testing::TempTree;

constexpr uint64_t kKiB = 1024;

// CentOS 7.9, kernel 3.10.0-1160.el7.x86_64, a 4 GiB VM with 2 GiB of swap.
// The layout is that of RHEL 7's fs/proc/meminfo.c: the 3.10 field list plus
// the backported MemAvailable (mainline 3.14) and CmaTotal/CmaFree; no
// KReclaimable, Percpu, ShmemHugePages or Hugetlb yet. Values are
// illustrative, not copied from a machine.
constexpr std::string_view kCentos7Meminfo =
    "MemTotal:        3880192 kB\n"
    "MemFree:          161436 kB\n"
    "MemAvailable:     245828 kB\n"
    "Buffers:            1052 kB\n"
    "Cached:           213592 kB\n"
    "SwapCached:        61912 kB\n"
    "Active:          2811504 kB\n"
    "Inactive:         712528 kB\n"
    "Active(anon):    2688796 kB\n"
    "Inactive(anon):   643940 kB\n"
    "Active(file):     122708 kB\n"
    "Inactive(file):    68588 kB\n"
    "Unevictable:           0 kB\n"
    "Mlocked:               0 kB\n"
    "SwapTotal:       2097148 kB\n"
    "SwapFree:          12544 kB\n"
    "Dirty:                84 kB\n"
    "Writeback:             0 kB\n"
    "AnonPages:       3258008 kB\n"
    "Mapped:            39240 kB\n"
    "Shmem:             23348 kB\n"
    "Slab:             110568 kB\n"
    "SReclaimable:      46608 kB\n"
    "SUnreclaim:        63960 kB\n"
    "KernelStack:        6384 kB\n"
    "PageTables:        17820 kB\n"
    "NFS_Unstable:          0 kB\n"
    "Bounce:                0 kB\n"
    "WritebackTmp:          0 kB\n"
    "CommitLimit:     5201300 kB\n"
    "Committed_AS:    5118712 kB\n"
    "VmallocTotal:   34359738367 kB\n"
    "VmallocUsed:      184848 kB\n"
    "VmallocChunk:   34359310332 kB\n"
    "HardwareCorrupted:     0 kB\n"
    "AnonHugePages:   1435648 kB\n"
    "CmaTotal:              0 kB\n"
    "CmaFree:               0 kB\n"
    "HugePages_Total:       0\n"
    "HugePages_Free:        0\n"
    "HugePages_Rsvd:        0\n"
    "HugePages_Surp:        0\n"
    "Hugepagesize:       2048 kB\n"
    "DirectMap4k:      100224 kB\n"
    "DirectMap2M:     4093952 kB\n";

// Mainline Linux 3.10 (fs/proc/meminfo.c before MemAvailable was added in
// 3.14), on a 32-bit machine with HIGHMEM, which adds HighTotal..LowFree, and
// with 4 reserved huge pages of 4 MiB (non-PAE i386). Values are illustrative.
constexpr std::string_view kLinux310HighmemMeminfo =
    "MemTotal:        1028236 kB\n"
    "MemFree:          563260 kB\n"
    "Buffers:           32868 kB\n"
    "Cached:           259432 kB\n"
    "SwapCached:            0 kB\n"
    "Active:           226356 kB\n"
    "Inactive:         182796 kB\n"
    "Active(anon):     117456 kB\n"
    "Inactive(anon):      356 kB\n"
    "Active(file):     108900 kB\n"
    "Inactive(file):   182440 kB\n"
    "Unevictable:           0 kB\n"
    "Mlocked:               0 kB\n"
    "HighTotal:        141256 kB\n"
    "HighFree:          12044 kB\n"
    "LowTotal:         886980 kB\n"
    "LowFree:          551216 kB\n"
    "SwapTotal:       1046524 kB\n"
    "SwapFree:        1046524 kB\n"
    "Dirty:                 8 kB\n"
    "Writeback:             0 kB\n"
    "AnonPages:        116876 kB\n"
    "Mapped:            41064 kB\n"
    "Shmem:               960 kB\n"
    "Slab:              25548 kB\n"
    "SReclaimable:      16292 kB\n"
    "SUnreclaim:         9256 kB\n"
    "KernelStack:        1224 kB\n"
    "PageTables:         1348 kB\n"
    "NFS_Unstable:          0 kB\n"
    "Bounce:                0 kB\n"
    "WritebackTmp:          0 kB\n"
    "CommitLimit:     1551860 kB\n"
    "Committed_AS:     639476 kB\n"
    "VmallocTotal:     122880 kB\n"
    "VmallocUsed:        8176 kB\n"
    "VmallocChunk:     108316 kB\n"
    "HugePages_Total:       4\n"
    "HugePages_Free:        4\n"
    "HugePages_Rsvd:        0\n"
    "HugePages_Surp:        0\n"
    "Hugepagesize:       4096 kB\n"
    "DirectMap4k:       12280 kB\n"
    "DirectMap4M:      901120 kB\n";

Meminfo ParseOk(std::string_view text) {
  absl::StatusOr<Meminfo> info = ParseMeminfo(text);
  EXPECT_TRUE(info.ok()) << info.status();
  return info.ok() ? *std::move(info) : Meminfo{};
}

// tests/fixtures/proc/meminfo: Linux 6.18.44 right after a memcg OOM kill.
TEST(ParseMeminfoTest, RealLinux618Fixture) {
  Meminfo info = ParseOk(ReadSourceFile("tests/fixtures/proc/meminfo"));
  EXPECT_EQ(info.malformed_lines, 0);
  EXPECT_EQ(info.values.size(), 54u);
  // Every field the memory collector exports, in bytes.
  EXPECT_EQ(info.Get("MemTotal"), 24682416 * kKiB);
  EXPECT_EQ(info.Get("MemAvailable"), 24316760 * kKiB);
  EXPECT_EQ(info.Get("SwapTotal"), 0u);
  EXPECT_EQ(info.Get("SwapFree"), 0u);
  EXPECT_EQ(info.Get("Committed_AS"), 49244 * kKiB);
  EXPECT_EQ(info.Get("CommitLimit"), 12341208 * kKiB);
  // Keys with parentheses and digits.
  EXPECT_EQ(info.Get("Active(anon)"), 1504 * kKiB);
  EXPECT_EQ(info.Get("DirectMap1G"), 25165824 * kKiB);
  // Unitless counts stay as printed; a kB line next to them is scaled.
  EXPECT_EQ(info.Get("HugePages_Total"), 0u);
  EXPECT_EQ(info.Get("Hugepagesize"), 2048 * kKiB);
  // The largest value a real kernel prints, 32 TiB - 1 KiB.
  EXPECT_EQ(info.Get("VmallocTotal"), 34359738367 * kKiB);
}

TEST(ParseMeminfoTest, Centos7Sample) {
  Meminfo info = ParseOk(kCentos7Meminfo);
  EXPECT_EQ(info.malformed_lines, 0);
  EXPECT_EQ(info.values.size(), 45u);
  EXPECT_EQ(info.Get("MemTotal"), 3880192 * kKiB);
  EXPECT_EQ(info.Get("MemAvailable"), 245828 * kKiB);
  EXPECT_EQ(info.Get("SwapTotal"), 2097148 * kKiB);
  EXPECT_EQ(info.Get("SwapFree"), 12544 * kKiB);
  EXPECT_EQ(info.Get("Committed_AS"), 5118712 * kKiB);
  EXPECT_EQ(info.Get("CommitLimit"), 5201300 * kKiB);
  EXPECT_EQ(info.Get("HardwareCorrupted"), 0u);
  EXPECT_EQ(info.Get("VmallocChunk"), 34359310332 * kKiB);
  // Fields of later kernels are simply absent.
  EXPECT_EQ(info.Get("KReclaimable"), std::nullopt);
  EXPECT_EQ(info.Get("Percpu"), std::nullopt);
}

TEST(ParseMeminfoTest, Linux310WithoutMemAvailable) {
  Meminfo info = ParseOk(kLinux310HighmemMeminfo);
  EXPECT_EQ(info.malformed_lines, 0);
  EXPECT_EQ(info.Get("MemAvailable"), std::nullopt);
  EXPECT_EQ(info.Get("MemTotal"), 1028236 * kKiB);
  EXPECT_EQ(info.Get("HighTotal"), 141256 * kKiB);
  EXPECT_EQ(info.Get("HugePages_Total"), 4u);
  EXPECT_EQ(info.Get("HugePages_Free"), 4u);
  EXPECT_EQ(info.Get("Hugepagesize"), 4096 * kKiB);
  EXPECT_EQ(info.Get("CommitLimit"), 1551860 * kKiB);
}

TEST(ParseMeminfoTest, AbsentKeysAreNullopt) {
  Meminfo info = ParseOk("MemTotal:       1 kB\n");
  EXPECT_EQ(info.Get("MemTotal"), 1024u);
  EXPECT_EQ(info.Get("MemAvailable"), std::nullopt);
  EXPECT_EQ(info.Get(""), std::nullopt);
  // Keys are matched exactly: no prefix, case or colon variants.
  EXPECT_EQ(info.Get("MemTota"), std::nullopt);
  EXPECT_EQ(info.Get("memtotal"), std::nullopt);
  EXPECT_EQ(info.Get("MemTotal:"), std::nullopt);
}

TEST(ParseMeminfoTest, EmptyInputIsAnError) {
  for (std::string_view text : {"", "\n", "\n\n\n"}) {
    absl::StatusOr<Meminfo> info = ParseMeminfo(text);
    EXPECT_TRUE(absl::IsInvalidArgument(info.status()))
        << "\"" << text << "\": " << info.status();
  }
}

TEST(ParseMeminfoTest, GarbageIsAnError) {
  // The first bytes of an ELF file, then text without a single "Key: n".
  constexpr char kBinary[] =
      "\x7f"
      "ELF\x02\x01\x01\0\0\0\n\xff\xfe\x80\n";
  const std::string binary(kBinary, sizeof(kBinary) - 1);
  const std::string_view inputs[] = {
      binary,
      "<html><body>502 Bad Gateway</body></html>\n",
      "MemTotal 24682416 kB\nMemFree 23134316 kB\n",
      ":\n::\n: 5 kB\n",
  };
  for (std::string_view text : inputs) {
    absl::StatusOr<Meminfo> info = ParseMeminfo(text);
    EXPECT_TRUE(absl::IsInvalidArgument(info.status()))
        << "\"" << text << "\": " << info.status();
  }
}

TEST(ParseMeminfoTest, SkipsAndCountsMalformedLines) {
  Meminfo info = ParseOk(
      "MemTotal:       24682416 kB\n"
      "no colon here\n"
      ": 5 kB\n"                      // empty key
      "MemFree:\n"                    // no value
      "Buffers:          63448 KB\n"  // unit spelled differently
      "Cached:         1309536kB\n"   // unit not separated
      "SwapCached:            -1 kB\n"
      "Active:          0x3fc00 kB\n"
      "Inactive:       1102408 kB 7\n"
      "Shmem:            12 776 kB\n"
      "MemAvailable:   24316760 kB\n");
  EXPECT_EQ(info.malformed_lines, 9);
  EXPECT_EQ(info.values.size(), 2u);
  EXPECT_EQ(info.Get("MemTotal"), 24682416 * kKiB);
  EXPECT_EQ(info.Get("MemAvailable"), 24316760 * kKiB);
  EXPECT_EQ(info.Get("MemFree"), std::nullopt);
  EXPECT_EQ(info.Get("Buffers"), std::nullopt);
  EXPECT_EQ(info.Get("Cached"), std::nullopt);
  EXPECT_EQ(info.Get("SwapCached"), std::nullopt);
  EXPECT_EQ(info.Get("Active"), std::nullopt);
  EXPECT_EQ(info.Get("Inactive"), std::nullopt);
  EXPECT_EQ(info.Get("Shmem"), std::nullopt);
}

// A read cut short ends in a partial last line. Cut inside the key, right
// after the colon or inside the unit, that line is malformed and every line
// before it is kept.
TEST(ParseMeminfoTest, TruncatedInputKeepsCompleteLines) {
  const std::string full = ReadSourceFile("tests/fixtures/proc/meminfo");
  const std::size_t swap_total = full.find("SwapTotal:");
  ASSERT_NE(swap_total, std::string::npos);
  const std::size_t unit = full.find(" kB", swap_total);
  ASSERT_NE(unit, std::string::npos);
  const struct {
    const char* name;
    std::size_t cut;
  } kCuts[] = {
      {"mid-key", swap_total + 5},          // "SwapT"
      {"after colon", swap_total + 10},     // "SwapTotal:"
      {"in the padding", swap_total + 14},  // "SwapTotal:    "
      {"mid-unit", unit + 2},               // "... 0 k"
  };
  for (const auto& c : kCuts) {
    SCOPED_TRACE(c.name);
    Meminfo info = ParseOk(std::string_view(full).substr(0, c.cut));
    EXPECT_EQ(info.malformed_lines, 1);
    EXPECT_EQ(info.values.size(), 14u);  // The lines above SwapTotal.
    EXPECT_EQ(info.Get("MemTotal"), 24682416 * kKiB);
    EXPECT_EQ(info.Get("Mlocked"), 11588 * kKiB);
    EXPECT_EQ(info.Get("SwapTotal"), std::nullopt);
    EXPECT_EQ(info.Get("SwapFree"), std::nullopt);
  }
}

// The kernel ends every line with '\n', but ForEachLine passes an unterminated
// last line too, so a cut inside a number or just before " kB" cannot be
// told from a complete line: the last value comes out too small. ReadFile
// reads to EOF, so the exporter itself never produces such a cut.
TEST(ParseMeminfoTest, TruncatedInsideANumberIsNotDetected) {
  Meminfo mid_number = ParseOk("MemFree:  1 kB\nMemTotal:       2468");
  EXPECT_EQ(mid_number.malformed_lines, 0);
  EXPECT_EQ(mid_number.Get("MemTotal"), 2468u);

  Meminfo before_unit = ParseOk("MemFree:  1 kB\nMemTotal:       24682416");
  EXPECT_EQ(before_unit.malformed_lines, 0);
  EXPECT_EQ(before_unit.Get("MemTotal"), 24682416u);
}

TEST(ParseMeminfoTest, HugePagesCountsAreUnitless) {
  Meminfo info = ParseOk(
      "HugePages_Total:     512\n"
      "HugePages_Free:      500\n"
      "HugePages_Rsvd:        3\n"
      "HugePages_Surp:        0\n"
      "Hugepagesize:       2048 kB\n"
      "Hugetlb:         1048576 kB\n");
  EXPECT_EQ(info.malformed_lines, 0);
  EXPECT_EQ(info.Get("HugePages_Total"), 512u);
  EXPECT_EQ(info.Get("HugePages_Free"), 500u);
  EXPECT_EQ(info.Get("HugePages_Rsvd"), 3u);
  EXPECT_EQ(info.Get("HugePages_Surp"), 0u);
  EXPECT_EQ(info.Get("Hugepagesize"), 2048 * kKiB);
  EXPECT_EQ(info.Get("Hugetlb"), 1048576 * kKiB);
}

TEST(ParseMeminfoTest, KibibyteOverflowIsMalformed) {
  // 2^54 - 1 kB is the largest value whose byte count fits in 64 bits.
  Meminfo info = ParseOk(
      "Largest:        18014398509481983 kB\n"
      "TooLarge:       18014398509481984 kB\n"
      "Unitless:       18446744073709551615\n"
      "UnitlessTooLarge: 18446744073709551616\n"
      "DigitsTooLarge: 18446744073709551616 kB\n");
  EXPECT_EQ(info.malformed_lines, 3);
  EXPECT_EQ(info.Get("Largest"), uint64_t{18446744073709550592u});
  EXPECT_EQ(info.Get("TooLarge"), std::nullopt);
  EXPECT_EQ(info.Get("Unitless"), uint64_t{18446744073709551615u});
  EXPECT_EQ(info.Get("UnitlessTooLarge"), std::nullopt);
  EXPECT_EQ(info.Get("DigitsTooLarge"), std::nullopt);
}

TEST(ParseMeminfoTest, AcceptsCrlfLineEnds) {
  const std::string lf = ReadSourceFile("tests/fixtures/proc/meminfo");
  const std::string crlf = absl::StrReplaceAll(lf, {{"\n", "\r\n"}});
  ASSERT_NE(crlf, lf);
  Meminfo info = ParseOk(crlf);
  EXPECT_EQ(info.malformed_lines, 0);
  EXPECT_EQ(info.values.size(), 54u);
  EXPECT_EQ(info.Get("MemTotal"), 24682416 * kKiB);
  EXPECT_EQ(info.Get("HugePages_Total"), 0u);
  EXPECT_EQ(info.Get("CommitLimit"), 12341208 * kKiB);
}

TEST(ParseMeminfoTest, AcceptsTabsAndMissingPadding) {
  Meminfo info = ParseOk("MemTotal:\t24682416 kB\t\nMemFree:1 kB\n");
  EXPECT_EQ(info.malformed_lines, 0);
  EXPECT_EQ(info.Get("MemTotal"), 24682416 * kKiB);
  EXPECT_EQ(info.Get("MemFree"), kKiB);
}

TEST(ParseMeminfoTest, ALaterDuplicateKeyWins) {
  Meminfo info = ParseOk("MemTotal: 1 kB\nMemTotal: 2 kB\n");
  EXPECT_EQ(info.malformed_lines, 0);
  EXPECT_EQ(info.Get("MemTotal"), 2 * kKiB);
}

TEST(ReadMeminfoTest, ReadsAndParsesTheFileUnderProcfs) {
  TempTree tree;
  tree.WriteFile("proc/meminfo", "MemTotal: 2 kB\nbad\n");
  FsRoots roots;
  roots.procfs = tree.root() + "/proc";
  absl::StatusOr<Meminfo> info = ReadMeminfo(roots);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->Get("MemTotal"), 2 * kKiB);
  EXPECT_EQ(info->malformed_lines, 1);
}

TEST(ReadMeminfoTest, ErrorsNameTheFile) {
  TempTree tree;
  FsRoots roots;
  roots.procfs = tree.root() + "/proc";
  const std::string path = roots.Proc("meminfo");
  absl::StatusOr<Meminfo> missing = ReadMeminfo(roots);
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_THAT(std::string(missing.status().message()),
              ::testing::HasSubstr(path));

  tree.WriteFile("proc/meminfo", "garbage\n");
  absl::StatusOr<Meminfo> garbled = ReadMeminfo(roots);
  EXPECT_TRUE(absl::IsInvalidArgument(garbled.status())) << garbled.status();
  EXPECT_EQ(garbled.status().message(),
            path + ": no \"Key: value\" line in meminfo");
}

}  // namespace
}  // namespace oom
