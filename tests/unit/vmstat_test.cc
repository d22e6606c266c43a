#include "collectors/kernel/procfs/vmstat.h"

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

// Linux 4.12, the last release without the oom_kill counter (it arrived in
// 4.13, right after drop_slab). Excerpt around that spot, in the order of
// 4.12's mm/vmstat.c vmstat_text[]; values are illustrative.
constexpr std::string_view kLinux412VmstatExcerpt =
    "nr_free_pages 1833390\n"
    "nr_zone_inactive_anon 6119\n"
    "nr_zone_active_anon 96473\n"
    "nr_zone_inactive_file 110839\n"
    "nr_zone_active_file 85624\n"
    "nr_zone_unevictable 0\n"
    "nr_zone_write_pending 15\n"
    "nr_mlock 0\n"
    "nr_page_table_pages 2781\n"
    "nr_kernel_stack 5440\n"
    "nr_bounce 0\n"
    "nr_zspages 0\n"
    "nr_free_cma 0\n"
    "pgpgin 718553\n"
    "pgpgout 406720\n"
    "pswpin 0\n"
    "pswpout 0\n"
    "pgfault 3105977\n"
    "pgmajfault 3306\n"
    "slabs_scanned 0\n"
    "kswapd_inodesteal 0\n"
    "kswapd_low_wmark_hit_quickly 0\n"
    "kswapd_high_wmark_hit_quickly 0\n"
    "pageoutrun 0\n"
    "pgrotated 24\n"
    "drop_pagecache 0\n"
    "drop_slab 0\n"
    "numa_pte_updates 0\n"
    "numa_huge_pte_updates 0\n"
    "numa_hint_faults 0\n"
    "numa_hint_faults_local 0\n"
    "numa_pages_migrated 0\n"
    "pgmigrate_success 1021\n"
    "pgmigrate_fail 0\n"
    "compact_migrate_scanned 3177\n"
    "compact_stall 0\n"
    "unevictable_pgs_culled 4280\n"
    "thp_fault_alloc 263\n"
    "thp_fault_fallback 0\n"
    "thp_split_pmd 1\n"
    "thp_zero_page_alloc 1\n";

// The same spot on Linux 4.14 (mm/vmstat.c vmstat_text[] has "oom_kill"
// right after "drop_slab" since 4.13), on a machine that saw 3 OOM kills.
constexpr std::string_view kLinux414VmstatExcerpt =
    "nr_free_pages 30611\n"
    "pgrotated 1771\n"
    "drop_pagecache 0\n"
    "drop_slab 0\n"
    "oom_kill 3\n"
    "numa_pte_updates 0\n"
    "numa_huge_pte_updates 0\n";

Vmstat ParseOk(std::string_view text) {
  absl::StatusOr<Vmstat> vmstat = ParseVmstat(text);
  EXPECT_TRUE(vmstat.ok()) << vmstat.status();
  return vmstat.ok() ? *std::move(vmstat) : Vmstat{};
}

// tests/fixtures/proc/vmstat: Linux 6.18.44 right after one memcg OOM kill.
TEST(ParseVmstatTest, RealLinux618Fixture) {
  Vmstat vmstat = ParseOk(ReadSourceFile("tests/fixtures/proc/vmstat"));
  EXPECT_EQ(vmstat.malformed_lines, 0);
  EXPECT_EQ(vmstat.values.size(), 192u);
  EXPECT_EQ(vmstat.Get("oom_kill"), 1u);
  EXPECT_EQ(vmstat.Get("nr_free_pages"), 815311u);
  EXPECT_EQ(vmstat.Get("nr_free_pages_blocks"), 798208u);
  EXPECT_EQ(vmstat.Get("drop_slab"), 2u);
  EXPECT_EQ(vmstat.Get("numa_pte_updates"), 0u);
}

TEST(ParseVmstatTest, Linux412HasNoOomKill) {
  Vmstat vmstat = ParseOk(kLinux412VmstatExcerpt);
  EXPECT_EQ(vmstat.malformed_lines, 0);
  EXPECT_EQ(vmstat.values.size(), 41u);
  EXPECT_EQ(vmstat.Get("oom_kill"), std::nullopt);
  EXPECT_EQ(vmstat.Get("nr_free_pages"), 1833390u);
  EXPECT_EQ(vmstat.Get("pgfault"), 3105977u);
}

TEST(ParseVmstatTest, Linux414HasOomKill) {
  Vmstat vmstat = ParseOk(kLinux414VmstatExcerpt);
  EXPECT_EQ(vmstat.malformed_lines, 0);
  EXPECT_EQ(vmstat.Get("oom_kill"), 3u);
  EXPECT_EQ(vmstat.Get("drop_slab"), 0u);
}

TEST(ParseVmstatTest, AbsentNamesAreNullopt) {
  Vmstat vmstat = ParseOk("oom_kill 1\n");
  EXPECT_EQ(vmstat.Get("oom_kill"), 1u);
  EXPECT_EQ(vmstat.Get("oom_kil"), std::nullopt);
  EXPECT_EQ(vmstat.Get("oom_kill_total"), std::nullopt);
  EXPECT_EQ(vmstat.Get("OOM_KILL"), std::nullopt);
  EXPECT_EQ(vmstat.Get(""), std::nullopt);
}

TEST(ParseVmstatTest, EmptyInputIsAnError) {
  for (std::string_view text : {"", "\n", "\n\n"}) {
    absl::StatusOr<Vmstat> vmstat = ParseVmstat(text);
    EXPECT_TRUE(absl::IsInvalidArgument(vmstat.status()))
        << "\"" << text << "\": " << vmstat.status();
  }
}

TEST(ParseVmstatTest, GarbageIsAnError) {
  constexpr char kBinary[] =
      "\x7f"
      "ELF\x02\x01\x01\0\0\0\n\xff \xfe\n";
  const std::string binary(kBinary, sizeof(kBinary) - 1);
  const std::string_view inputs[] = {
      binary,
      "MemTotal:       24682416 kB\nMemFree:        23134316 kB\n",
      "some avg10=0.72 avg60=0.13 avg300=0.02 total=90651\n",
      "oom_kill\nnr_free_pages\n",
  };
  for (std::string_view text : inputs) {
    absl::StatusOr<Vmstat> vmstat = ParseVmstat(text);
    EXPECT_TRUE(absl::IsInvalidArgument(vmstat.status()))
        << "\"" << text << "\": " << vmstat.status();
  }
}

TEST(ParseVmstatTest, SkipsAndCountsMalformedLines) {
  Vmstat vmstat = ParseOk(
      "nr_free_pages 815311\n"
      "oom_kill\n"      // no value
      "oom_kill \n"     // empty value
      " oom_kill 1\n"   // empty name
      " 815311\n"       // no name at all
      "oom_kill  1\n"   // two spaces
      "oom_kill\t1\n"   // tab
      "oom_kill one\n"  // not a number
      "oom_kill -1\n"   // negative
      "oom_kill +1\n"   // sign
      "oom_kill 1 2\n"  // two values
      "oom_kill 0x1\n"  // hexadecimal
      "pgfault 3105977\n");
  EXPECT_EQ(vmstat.malformed_lines, 11);
  EXPECT_EQ(vmstat.values.size(), 2u);
  EXPECT_EQ(vmstat.Get("oom_kill"), std::nullopt);
  EXPECT_EQ(vmstat.Get(""), std::nullopt);
  EXPECT_EQ(vmstat.Get("nr_free_pages"), 815311u);
  EXPECT_EQ(vmstat.Get("pgfault"), 3105977u);
}

TEST(ParseVmstatTest, TruncatedInputKeepsCompleteLines) {
  const std::string full = ReadSourceFile("tests/fixtures/proc/vmstat");
  const std::size_t oom_kill = full.find("\noom_kill 1\n");
  ASSERT_NE(oom_kill, std::string::npos);
  const std::size_t line = oom_kill + 1;
  // Lines before "oom_kill": the fixture has it on line 125.
  const std::size_t lines_before = 124;
  const struct {
    const char* name;
    std::size_t cut;
  } kCuts[] = {
      {"mid-name", line + 4},     // "oom_"
      {"name only", line + 8},    // "oom_kill"
      {"after space", line + 9},  // "oom_kill "
  };
  for (const auto& c : kCuts) {
    SCOPED_TRACE(c.name);
    Vmstat vmstat = ParseOk(std::string_view(full).substr(0, c.cut));
    EXPECT_EQ(vmstat.malformed_lines, 1);
    EXPECT_EQ(vmstat.values.size(), lines_before);
    EXPECT_EQ(vmstat.Get("drop_slab"), 2u);
    EXPECT_EQ(vmstat.Get("oom_kill"), std::nullopt);
  }
  // Cut right after the digit: the line is complete but for its '\n'.
  Vmstat whole_line = ParseOk(std::string_view(full).substr(0, line + 10));
  EXPECT_EQ(whole_line.malformed_lines, 0);
  EXPECT_EQ(whole_line.Get("oom_kill"), 1u);
}

TEST(ParseVmstatTest, LargeCounters) {
  Vmstat vmstat = ParseOk(
      "pgpgin 18446744073709551615\n"
      "pgpgout 18446744073709551616\n"
      "pgfault 4294967296\n");
  EXPECT_EQ(vmstat.malformed_lines, 1);
  EXPECT_EQ(vmstat.Get("pgpgin"), uint64_t{18446744073709551615u});
  EXPECT_EQ(vmstat.Get("pgpgout"), std::nullopt);
  EXPECT_EQ(vmstat.Get("pgfault"), uint64_t{4294967296u});
}

// Unlike meminfo (which trims the value), vmstat takes everything after the
// first space as the number, so a CR left by CRLF line ends makes each line
// malformed and the file as a whole an error. The kernel never writes CR;
// what matters is that no line is read with a wrong value.
TEST(ParseVmstatTest, CrlfLinesAreMalformed) {
  const std::string lf = ReadSourceFile("tests/fixtures/proc/vmstat");
  const std::string crlf = absl::StrReplaceAll(lf, {{"\n", "\r\n"}});
  EXPECT_TRUE(absl::IsInvalidArgument(ParseVmstat(crlf).status()));

  Vmstat mixed = ParseOk("oom_kill 1\r\nnr_free_pages 815311\n");
  EXPECT_EQ(mixed.malformed_lines, 1);
  EXPECT_EQ(mixed.Get("oom_kill"), std::nullopt);
  EXPECT_EQ(mixed.Get("nr_free_pages"), 815311u);
}

TEST(ParseVmstatTest, ALaterDuplicateNameWins) {
  Vmstat vmstat = ParseOk("oom_kill 1\noom_kill 2\n");
  EXPECT_EQ(vmstat.malformed_lines, 0);
  EXPECT_EQ(vmstat.Get("oom_kill"), 2u);
}

}  // namespace
}  // namespace oom
