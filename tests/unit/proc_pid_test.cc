// The /proc/<pid> parsers and the kernel's OOM arithmetic, on the real files
// of tests/fixtures/proc (Linux 6.18, copied from this project's CI machine)
// and the 3.10-era tree of tests/fixtures/proc-linux-3.10, plus broken input.

#include "collectors/kernel/procfs/proc_pid.h"

#include <cstdint>
#include <string>

#include "collectors/oom/badness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::ReadSourceFile;
using ::testing::ElementsAre;
using ::testing::Optional;

constexpr uint64_t kPage = 4096;

std::string Fixture(const std::string& tree, int pid, const std::string& file) {
  return ReadSourceFile("tests/fixtures/" + tree + "/" + std::to_string(pid) +
                        "/" + file);
}

std::string Real(int pid, const std::string& file) {
  return Fixture("proc", pid, file);
}

// Pids of tests/fixtures/proc (see tests/fixtures/README.md).
constexpr int kInit = 1;
constexpr int kKthreadd = 2;
constexpr int kWebWorker = 20104;  // comm "web (worker) 1", 52 MiB
constexpr int kSidecar = 20105;    // oom_score_adj 500
constexpr int kZombieParent = 20297;
constexpr int kBatchJob = 20298;  // oom_score_adj 100
constexpr int kZombie = 20300;

TEST(ParseProcStat, RealProcessWithSpacesAndParenthesesInComm) {
  absl::StatusOr<ProcStat> stat = ParseProcStat(Real(kWebWorker, "stat"));
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->pid, kWebWorker);
  EXPECT_EQ(stat->comm, "web (worker) 1");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->flags, 4194304u);
  EXPECT_EQ(stat->starttime, 852229u);
  EXPECT_EQ(stat->rss_pages, 13625u);
  EXPECT_FALSE(stat->kernel_thread());
  EXPECT_FALSE(stat->exited());
}

TEST(ParseProcStat, CommEndingInParenthesisAndHoldingNewline) {
  absl::StatusOr<ProcStat> stat = ParseProcStat(
      "42 (a) b\n) c)) R 1 42 42 0 -1 4194304 0 0 0 0 0 0 0 0 "
      "20 0 1 0 777 1000 12 18446744073709551615 0\n");
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->comm, "a) b\n) c)");
  EXPECT_EQ(stat->state, 'R');
  EXPECT_EQ(stat->starttime, 777u);
  EXPECT_EQ(stat->rss_pages, 12u);
}

TEST(ParseProcStat, KernelThreadAndZombie) {
  absl::StatusOr<ProcStat> kthread = ParseProcStat(Real(kKthreadd, "stat"));
  ASSERT_TRUE(kthread.ok());
  EXPECT_TRUE(kthread->kernel_thread());
  EXPECT_EQ(kthread->comm, "kthreadd");
  absl::StatusOr<ProcStat> zombie = ParseProcStat(Real(kZombie, "stat"));
  ASSERT_TRUE(zombie.ok());
  EXPECT_TRUE(zombie->exited());
  EXPECT_EQ(zombie->comm, "defunct child");
  EXPECT_EQ(zombie->rss_pages, 0u);
  absl::StatusOr<ProcStat> old =
      ParseProcStat(Fixture("proc-linux-3.10", 2, "stat"));
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->kernel_thread());
}

TEST(ParseProcStat, RejectsTruncatedAndGarbage) {
  std::string real = Real(kWebWorker, "stat");
  // Cut anywhere up to the end of field 24 (rss), even inside a number.
  std::size_t rss_end = real.find(" 13625 ") + 6;
  for (std::size_t cut = 0; cut <= rss_end; ++cut) {
    EXPECT_FALSE(ParseProcStat(real.substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(ParseProcStat("garbage").ok());
  EXPECT_FALSE(ParseProcStat(")( x").ok());
  EXPECT_FALSE(ParseProcStat("-3 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 "
                             "16 17 18 19 20 21 22")
                   .ok());
  EXPECT_FALSE(ParseProcStat("3 (x) S 1 2 3 4 5 x 7 8 9 10 11 12 13 14 15 16 "
                             "17 18 19 20 21 22")
                   .ok());
}

TEST(ParseProcStatm, RealAndKernelThread) {
  absl::StatusOr<ProcStatm> statm = ParseProcStatm("765 433 405 5 0 123 0\n");
  ASSERT_TRUE(statm.ok());
  EXPECT_EQ(statm->size_pages, 765u);
  EXPECT_EQ(statm->resident_pages, 433u);
  EXPECT_EQ(statm->shared_pages, 405u);
  absl::StatusOr<ProcStatm> kthread = ParseProcStatm(Real(kKthreadd, "statm"));
  ASSERT_TRUE(kthread.ok());
  EXPECT_EQ(kthread->resident_pages, 0u);
  EXPECT_FALSE(ParseProcStatm("1 2").ok());
  EXPECT_FALSE(ParseProcStatm("1 x 3").ok());
  EXPECT_FALSE(ParseProcStatm("").ok());
}

TEST(ParseProcStatus, RealProcess) {
  absl::StatusOr<ProcStatus> status =
      ParseProcStatus(Real(kWebWorker, "status"));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->name, "web (worker) 1");
  EXPECT_EQ(status->state, 'S');
  EXPECT_THAT(status->vm_rss_bytes, Optional(54596u * 1024));
  EXPECT_TRUE(status->rss_anon_bytes.has_value());
  EXPECT_THAT(status->vm_swap_bytes, Optional(0u));
  EXPECT_TRUE(status->vm_pte_bytes.has_value());
  EXPECT_THAT(status->nspid, ElementsAre(kWebWorker));
  EXPECT_FALSE(status->kernel_thread);
}

TEST(ParseProcStatus, KernelThreadZombieAndOldKernel) {
  absl::StatusOr<ProcStatus> kthread =
      ParseProcStatus(Real(kKthreadd, "status"));
  ASSERT_TRUE(kthread.ok());
  EXPECT_TRUE(kthread->kernel_thread);
  EXPECT_FALSE(kthread->vm_rss_bytes.has_value());
  absl::StatusOr<ProcStatus> zombie = ParseProcStatus(Real(kZombie, "status"));
  ASSERT_TRUE(zombie.ok());
  EXPECT_EQ(zombie->state, 'Z');
  EXPECT_FALSE(zombie->vm_rss_bytes.has_value());
  // 3.10: no RssAnon (4.5), no NSpid (4.1), no Kthread line.
  absl::StatusOr<ProcStatus> old =
      ParseProcStatus(Fixture("proc-linux-3.10", 812, "status"));
  ASSERT_TRUE(old.ok());
  EXPECT_THAT(old->vm_rss_bytes, Optional(2800000u * 1024));
  EXPECT_THAT(old->vm_swap_bytes, Optional(600000u * 1024));
  EXPECT_FALSE(old->rss_anon_bytes.has_value());
  EXPECT_TRUE(old->nspid.empty());
}

TEST(ParseProcStatus, NestedPidNamespaces) {
  absl::StatusOr<ProcStatus> status =
      ParseProcStatus("Name:\tnginx\nNSpid:\t48213\t7\t1\nVmRSS:\t  10 kB\n");
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(status->nspid, ElementsAre(48213, 7, 1));
}

TEST(ParseProcStatus, RejectsGarbage) {
  EXPECT_FALSE(ParseProcStatus("").ok());
  EXPECT_FALSE(ParseProcStatus("VmRSS:\t10 kB\n").ok());  // no Name
  EXPECT_FALSE(ParseProcStatus("Name:\tx\nVmRSS:\tten kB\n").ok());
  EXPECT_FALSE(ParseProcStatus("Name:\tx\nVmSwap:\t10 MB\n").ok());
  EXPECT_FALSE(ParseProcStatus("Name:\tx\nNSpid:\t1\tz\n").ok());
  // Truncated in the middle of a known line: "VmRSS:\t  54" has no unit.
  std::string real = Real(kWebWorker, "status");
  std::size_t at = real.find("VmRSS:");
  EXPECT_FALSE(ParseProcStatus(real.substr(0, at + 10)).ok());
}

TEST(ParseOomScore, RealValuesAndGarbage) {
  EXPECT_THAT(ParseOomScore(Real(kSidecar, "oom_score")).value(), 1000);
  EXPECT_THAT(ParseOomScore(Real(kInit, "oom_score")).value(), 0);
  EXPECT_FALSE(ParseOomScore("").ok());
  EXPECT_FALSE(ParseOomScore("-1\n").ok());
  EXPECT_FALSE(ParseOomScore("66 6\n").ok());
  EXPECT_EQ(ParseOomScore("66").value(), 66);  // no newline: a fixture
}

TEST(ParseOomScoreAdj, Range) {
  EXPECT_EQ(ParseOomScoreAdj(Real(kSidecar, "oom_score_adj")).value(), 500);
  EXPECT_EQ(ParseOomScoreAdj("-1000\n").value(), -1000);
  EXPECT_EQ(ParseOomScoreAdj("1000").value(), 1000);
  EXPECT_FALSE(ParseOomScoreAdj("-1001\n").ok());
  EXPECT_FALSE(ParseOomScoreAdj("1001\n").ok());
  EXPECT_FALSE(ParseOomScoreAdj("x\n").ok());
}

TEST(ParseProcCgroup, V1HybridAndV2) {
  EXPECT_EQ(ParseProcCgroup(Real(kWebWorker, "cgroup")).value(),
            "/oom_fixture");
  EXPECT_EQ(ParseProcCgroup("0::/system.slice/nginx.service\n").value(),
            "/system.slice/nginx.service");
  EXPECT_EQ(ParseProcCgroup("5:cpu,memory:/a\n0::/b\n").value(), "/a");
  EXPECT_EQ(ParseProcCgroup("12:memory:/a:b\n").value(), "/a:b");
  EXPECT_FALSE(ParseProcCgroup("3:cpuset:/\n").ok());
  EXPECT_FALSE(ParseProcCgroup("").ok());
}

// The score the kernel printed is what the badness of the same files gives,
// by the formula of the kernel that printed it.
struct Era {
  const char* tree;
  int pid;
  uint64_t totalpages;
  bool since_5_9;
};

TEST(OomBadness, ReproducesTheKernelsScoreOnBothSidesOf59) {
  constexpr uint64_t kTotal618 = 24682416 / 4;               // no swap
  constexpr uint64_t kTotal310 = 3880192 / 4 + 2097148 / 4;  // RAM + swap
  const Era eras[] = {
      {"proc", kWebWorker, kTotal618, true},
      {"proc", kSidecar, kTotal618, true},
      {"proc", kBatchJob, kTotal618, true},
      {"proc", kZombieParent, kTotal618, true},
      {"proc-linux-3.10", 812, kTotal310, false},
      {"proc-linux-3.10", 1200, kTotal310, false},
      {"proc-linux-3.10", 1305, kTotal310, false},
  };
  for (const Era& era : eras) {
    SCOPED_TRACE(std::string(era.tree) + "/" + std::to_string(era.pid));
    ProcStatus status =
        ParseProcStatus(Fixture(era.tree, era.pid, "status")).value();
    int64_t adj =
        ParseOomScoreAdj(Fixture(era.tree, era.pid, "oom_score_adj")).value();
    int64_t printed =
        ParseOomScore(Fixture(era.tree, era.pid, "oom_score")).value();
    int64_t badness =
        OomBadness(*status.vm_rss_bytes / kPage, *status.vm_swap_bytes / kPage,
                   *status.vm_pte_bytes, adj, era.totalpages, kPage);
    int64_t computed = era.since_5_9
                           ? OomScoreSince59(badness, era.totalpages)
                           : OomScoreBefore59(badness, era.totalpages);
    // The kernel's rss counters are per-CPU approximations that may lag
    // VmRSS by a few pages: one point of score at most.
    EXPECT_NEAR(computed, printed, 1);
  }
}

TEST(OomBadness, Formulas) {
  // 1,000,000 pages: adj is scaled by totalpages / 1000 = 1000 pages.
  EXPECT_EQ(OomBadness(100, 20, 3 * kPage, 0, 1000000, kPage), 123);
  EXPECT_EQ(OomBadness(100, 0, 0, 500, 1000000, kPage), 500100);
  EXPECT_EQ(OomBadness(100, 0, 0, -999, 1000000, kPage), -998900);
  // An idle process reads 666 on 5.9+, 0 before.
  EXPECT_EQ(OomScoreSince59(100, 1000000), 666);
  EXPECT_EQ(OomScoreBefore59(100, 1000000), 0);
  // The largest: all memory with adj 1000 reads 2000/1333 and 2000.
  EXPECT_EQ(OomScoreSince59(2000000, 1000000), 2000);
  EXPECT_EQ(OomScoreBefore59(2000000, 1000000), 2000);
  // (1000 - 998) * 2 / 3: only -1000 is certain to read 0.
  EXPECT_EQ(OomScoreSince59(-998900, 1000000), 1);
  EXPECT_EQ(OomScoreBefore59(-998900, 1000000), 0);
  EXPECT_EQ(OomScoreSince59(1, 0), 0);
}

TEST(CommLabel, KeepsUtf8EscapesTheRest) {
  EXPECT_EQ(CommLabel("web (worker) 1"), "web (worker) 1");
  EXPECT_EQ(CommLabel("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(CommLabel("a\xff"
                      "b"),
            "a\\xffb");
  EXPECT_EQ(CommLabel("\xe2\x82"), "\\xe2\\x82");  // cut sequence
  EXPECT_EQ(CommLabel(std::string("a\0b", 3)), "a\\x00b");
}

}  // namespace
}  // namespace oom
