// The process collector on fixture trees: tests/fixtures/proc holds real
// /proc/<pid> files of Linux 6.18 and a v1 memory cgroup near its limit
// (tests/fixtures/sys); tests/fixtures/proc-linux-3.10 models a kernel
// before 5.9, where oom_score means something else. Edge cases (vanished
// pids, pid reuse, zombies, kernel threads, garbage, hysteresis, cgroup v2
// with swap) are built in temporary trees.

#include "collectors/process/process_collector.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collectors/oom/badness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/samples.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::CountSamples;
using ::oom::testing::FindValue;
using ::oom::testing::Sample;
using ::oom::testing::SourcePath;
using ::oom::testing::TempTree;
using ::testing::Optional;
using ::testing::UnorderedElementsAreArray;

std::vector<Sample> CollectOnce(ProcessCollector& collector,
                                absl::Status* status = nullptr) {
  return ::oom::testing::CollectSamples(collector, status);
}

// The pid labels of oom_process_score samples.
std::vector<std::string> ExportedPids(const std::vector<Sample>& samples) {
  std::vector<std::string> pids;
  for (const Sample& sample : samples) {
    if (sample.name != "oom_process_score") continue;
    for (const auto& [name, value] : sample.labels) {
      if (name == "pid") pids.push_back(value);
    }
  }
  return pids;
}

std::optional<double> Of(const std::vector<Sample>& samples,
                         const std::string& name, const std::string& pid) {
  return FindValue(samples, name, {{"pid", pid}});
}

TEST(ProcessCollector, RealLinux618Tree) {
  FsRoots roots;
  roots.procfs = SourcePath("tests/fixtures/proc");
  roots.sysfs = SourcePath("tests/fixtures/sys");
  ProcessCollector collector(roots, ProcessOptions{});
  std::vector<Sample> samples = CollectOnce(collector);

  // init (oom_score 0), kthreadd and the zombie cannot be chosen.
  EXPECT_THAT(ExportedPids(samples),
              UnorderedElementsAreArray({"20105", "20298", "20104", "20297"}));
  EXPECT_THAT(FindValue(samples, "oom_processes"), Optional(7));
  EXPECT_THAT(FindValue(samples, "oom_processes_protected"), Optional(0));
  EXPECT_THAT(FindValue(samples, "oom_process_score_max"), Optional(1000));
  EXPECT_THAT(FindValue(samples, "oom_process_hidepid"), Optional(0));
  EXPECT_THAT(FindValue(samples, "oom_process_score",
                        {{"pid", "20104"},
                         {"comm", "web (worker) 1"},
                         {"cgroup", "/oom_fixture"}}),
              Optional(668));
  EXPECT_THAT(Of(samples, "oom_process_score_adj", "20105"), Optional(500));
  EXPECT_THAT(Of(samples, "oom_process_resident_memory_bytes", "20104"),
              Optional(54596.0 * 1024));
  EXPECT_THAT(Of(samples, "oom_process_swap_bytes", "20104"), Optional(0));

  // The portable ratio gives back the kernel's 5.9+ score.
  const double total = 24682416.0 / 4;
  for (const std::string pid : {"20105", "20298", "20104", "20297"}) {
    double ratio = *Of(samples, "oom_process_badness_ratio", pid);
    double score = *Of(samples, "oom_process_score", pid);
    EXPECT_NEAR(OomScoreSince59(static_cast<int64_t>(ratio * total),
                                static_cast<uint64_t>(total)),
                score, 1)
        << pid;
  }
  // adj 500 is half of all memory.
  EXPECT_NEAR(*Of(samples, "oom_process_badness_ratio", "20105"), 0.5, 0.001);

  // /oom_fixture: 64 MiB, 56.5 MiB used. The 53 MiB worker beats the sidecar
  // although the sidecar leads node-wide: its adj 500 weighs 500 * 16 pages
  // against the cgroup's 16384, not half of the machine.
  // (13649 rss + 38 page-table pages) * 1000 / 16384 = 835.4 -> 835.
  ASSERT_EQ(CountSamples(samples, "oom_cgroup_next_victim_score"), 1);
  std::optional<double> victim =
      FindValue(samples, "oom_cgroup_next_victim_score",
                {{"cgroup", "/oom_fixture"},
                 {"pid", "20104"},
                 {"comm", "web (worker) 1"}});
  ASSERT_TRUE(victim.has_value());
  EXPECT_EQ(*victim, 835);
  for (const char* reason :
       {"vanished", "permission", "malformed", "unreadable"}) {
    EXPECT_THAT(
        FindValue(samples, "oom_process_skipped_total", {{"reason", reason}}),
        Optional(0))
        << reason;
  }
}

TEST(ProcessCollector, Linux310TreeMeansTheSame) {
  FsRoots roots;
  roots.procfs = SourcePath("tests/fixtures/proc-linux-3.10");
  roots.sysfs = SourcePath("tests/fixtures/sys-absent");
  ProcessCollector collector(roots, ProcessOptions{});
  std::vector<Sample> samples = CollectOnce(collector);
  // "my app" reads 0 (below 0.1 % before 5.9) but can be chosen; init,
  // kthreadd and sshd (-1000) cannot.
  EXPECT_THAT(ExportedPids(samples),
              UnorderedElementsAreArray({"812", "1200", "1305"}));
  EXPECT_THAT(FindValue(samples, "oom_processes"), Optional(6));
  EXPECT_THAT(FindValue(samples, "oom_processes_protected"), Optional(1));
  EXPECT_THAT(FindValue(samples, "oom_process_score_max"), Optional(569));
  // Before 5.9 oom_score is the badness ratio in thousandths.
  for (const std::string pid : {"812", "1200", "1305"}) {
    EXPECT_NEAR(*Of(samples, "oom_process_badness_ratio", pid) * 1000,
                *Of(samples, "oom_process_score", pid), 1)
        << pid;
  }
  EXPECT_THAT(FindValue(samples, "oom_process_score",
                        {{"pid", "812"},
                         {"comm", "java"},
                         {"cgroup", "/system.slice/tomcat.service"}}),
              Optional(569));
  EXPECT_EQ(CountSamples(samples, "oom_cgroup_next_victim_score"), 0);
}

TEST(ProcessCollector, IncludeExportsMatchingProcessesWhateverTheirRank) {
  FsRoots roots;
  roots.procfs = SourcePath("tests/fixtures/proc-linux-3.10");
  ProcessOptions options;
  options.top_k = 1;
  options.include = {"post*", "sshd"};
  ProcessCollector collector(roots, options);
  std::vector<Sample> samples = CollectOnce(collector);
  // sshd (-1000) is exported because it was asked for, with its adj.
  EXPECT_THAT(ExportedPids(samples),
              UnorderedElementsAreArray({"812", "1200", "950"}));
  EXPECT_THAT(Of(samples, "oom_process_score_adj", "950"), Optional(-1000));
}

// A /proc tree written by the test: meminfo and one directory per process.
class FakeProc {
 public:
  explicit FakeProc(uint64_t mem_kb = 4000000, uint64_t swap_kb = 0) {
    tree_.WriteFile("proc/meminfo",
                    absl::StrCat("MemTotal: ", mem_kb,
                                 " kB\nSwapTotal: ", swap_kb, " kB\n"));
    tree_.MakeDir("sys");
  }

  struct Process {
    int pid;
    int score;
    int adj = 0;
    uint64_t rss_kb = 4000;
    uint64_t swap_kb = 0;
    std::string comm = "app";
    char state = 'S';
    uint64_t flags = 4194304;
    uint64_t starttime = 1000;
    std::string cgroup = "/";
  };

  void Add(const Process& p) {
    std::string dir = absl::StrCat("proc/", p.pid, "/");
    tree_.WriteFile(
        dir + "stat",
        absl::StrCat(p.pid, " (", p.comm, ") ", std::string(1, p.state),
                     " 1 1 1 0 -1 ", p.flags, " 0 0 0 0 0 0 0 0 20 0 1 0 ",
                     p.starttime, " 100000 ", p.rss_kb / 4, " 0 0 0 0\n"));
    std::string status = absl::StrCat("Name:\t", p.comm, "\nState:\t",
                                      std::string(1, p.state), " (x)\n");
    if (p.state != 'Z' && (p.flags & kPfKthread) == 0) {
      absl::StrAppend(&status, "VmRSS:\t", p.rss_kb,
                      " kB\nVmPTE:\t8 kB\nVmSwap:\t", p.swap_kb, " kB\n");
    }
    tree_.WriteFile(dir + "status", status);
    tree_.WriteFile(dir + "oom_score", absl::StrCat(p.score, "\n"));
    tree_.WriteFile(dir + "oom_score_adj", absl::StrCat(p.adj, "\n"));
    tree_.WriteFile(dir + "comm", p.comm + "\n");
    tree_.WriteFile(dir + "cgroup", absl::StrCat("0::", p.cgroup, "\n"));
  }

  void Remove(int pid) {
    std::filesystem::remove_all(absl::StrCat(tree_.root(), "/proc/", pid));
  }

  void Write(const std::string& relative, const std::string& content) {
    tree_.WriteFile(relative, content);
  }

  FsRoots roots() const {
    FsRoots roots;
    roots.procfs = tree_.root() + "/proc";
    roots.sysfs = tree_.root() + "/sys";
    return roots;
  }
  const std::string& root() const { return tree_.root(); }

 private:
  TempTree tree_;
};

ProcessOptions TopK(std::size_t k) {
  ProcessOptions options;
  options.top_k = k;
  return options;
}

TEST(ProcessCollector, TopKWithHysteresisUpToRank2K) {
  FakeProc proc;
  for (int i = 0; i < 8; ++i) proc.Add({100 + i, 900 - 10 * i});
  ProcessCollector collector(proc.roots(), TopK(2));
  EXPECT_THAT(ExportedPids(CollectOnce(collector)),
              UnorderedElementsAreArray({"100", "101"}));

  // Two processes overtake them: 100 and 101 fall to ranks 3 and 4 (<= 2K)
  // and stay, with the new leaders.
  proc.Add({106, 990});
  proc.Add({107, 980});
  EXPECT_THAT(ExportedPids(CollectOnce(collector)),
              UnorderedElementsAreArray({"106", "107", "100", "101"}));

  // One more: 101 is now at rank 5 > 2K and goes; 100 (rank 4) stays. The
  // newcomer at rank 3 is neither in the top K nor tracked.
  proc.Add({105, 970});
  EXPECT_THAT(ExportedPids(CollectOnce(collector)),
              UnorderedElementsAreArray({"106", "107", "100"}));
}

TEST(ProcessCollector, TiesKeepTheTrackedProcesses) {
  FakeProc proc;
  for (int i = 0; i < 6; ++i) proc.Add({200 + i, 666});
  ProcessCollector collector(proc.roots(), TopK(2));
  EXPECT_THAT(ExportedPids(CollectOnce(collector)),
              UnorderedElementsAreArray({"200", "201"}));
  // New processes with lower pids (the pid counter wrapped) and the same
  // score do not push the tracked ones out.
  proc.Add({50, 666});
  proc.Add({51, 666});
  for (int scrape = 0; scrape < 3; ++scrape) {
    EXPECT_THAT(ExportedPids(CollectOnce(collector)),
                UnorderedElementsAreArray({"200", "201"}));
  }
}

TEST(ProcessCollector, ReusedPidIsANewProcess) {
  FakeProc proc;
  proc.Add({300, 900});
  proc.Add({301, 800});
  proc.Add({302, 700});
  proc.Add({303, 600});
  proc.Add({304, 500});
  ProcessCollector collector(proc.roots(), TopK(2));
  EXPECT_THAT(ExportedPids(CollectOnce(collector)),
              UnorderedElementsAreArray({"300", "301"}));
  // 301 exits and its pid is reused by another process (another start
  // time) that ranks 3rd: hysteresis keeps processes, not pids.
  proc.Add({310, 950});
  FakeProc::Process reused{301, 800};
  reused.starttime = 5000;
  reused.comm = "other";
  proc.Add(reused);
  proc.Add({300, 980});
  EXPECT_THAT(ExportedPids(CollectOnce(collector)),
              UnorderedElementsAreArray({"300", "310"}));
}

TEST(ProcessCollector, UnkillableProcessesAreCountedNotRanked) {
  FakeProc proc;
  FakeProc::Process zombie{400, 0};
  zombie.state = 'Z';
  proc.Add(zombie);
  FakeProc::Process kthread{401, 0};
  kthread.flags = 2129984;  // kthreadd's
  proc.Add(kthread);
  FakeProc::Process protected_one{402, 0, -1000};
  proc.Add(protected_one);
  FakeProc::Process dead{403, 5};
  dead.state = 'X';
  proc.Add(dead);
  proc.Add({404, 666});
  ProcessCollector collector(proc.roots(), TopK(10));
  std::vector<Sample> samples = CollectOnce(collector);
  EXPECT_THAT(ExportedPids(samples), UnorderedElementsAreArray({"404"}));
  EXPECT_THAT(FindValue(samples, "oom_processes"), Optional(5));
  EXPECT_THAT(FindValue(samples, "oom_processes_protected"), Optional(1));
}

TEST(ProcessCollector, VanishedAndGarbledProcessesAreSkippedAndCounted) {
  FakeProc proc;
  proc.Add({500, 900});
  proc.Add({501, 800});
  proc.Add({502, 700});
  proc.Add({503, 600});
  proc.Write("proc/510/.keep", "");          // listed, gone before the read
  proc.Write("proc/511/oom_score", "12ab");  // garbage
  // Listed and scored, gone before its details are read.
  proc.Write("proc/512/oom_score", "999\n");
  // A truncated stat.
  proc.Add({513, 998});
  proc.Write("proc/513/stat", "513 (trunc) S 1 1");
  ProcessCollector collector(proc.roots(), TopK(2));
  std::vector<Sample> samples = CollectOnce(collector);
  // The next candidates step in.
  EXPECT_THAT(ExportedPids(samples), UnorderedElementsAreArray({"500", "501"}));
  EXPECT_THAT(FindValue(samples, "oom_processes"), Optional(6));
  EXPECT_THAT(
      FindValue(samples, "oom_process_skipped_total", {{"reason", "vanished"}}),
      Optional(2));
  EXPECT_THAT(FindValue(samples, "oom_process_skipped_total",
                        {{"reason", "malformed"}}),
              Optional(2));
  // A tracked process that exits is simply gone from the next scrape.
  proc.Remove(500);
  samples = CollectOnce(collector);
  EXPECT_THAT(ExportedPids(samples), UnorderedElementsAreArray({"501", "502"}));
}

TEST(ProcessCollector, MissingProcfsFails) {
  FsRoots roots;
  roots.procfs = "/nonexistent/proc";
  ProcessCollector collector(roots, ProcessOptions{});
  absl::Status status;
  CollectOnce(collector, &status);
  EXPECT_FALSE(status.ok());
}

TEST(ProcessCollector, HidepidFromMountinfo) {
  FakeProc proc;
  proc.Add({600, 666});
  for (const auto& [option, value] :
       std::vector<std::pair<std::string, int>>{{"hidepid=invisible", 2},
                                                {"hidepid=2", 2},
                                                {"hidepid=noaccess", 1},
                                                {"hidepid=ptraceable", 4},
                                                {"subset=pid", 0}}) {
    proc.Write("proc/self/mountinfo",
               absl::StrCat("22 27 0:21 / ", proc.roots().procfs,
                            " rw,relatime - proc proc rw,", option, "\n"));
    ProcessCollector collector(proc.roots(), ProcessOptions{});
    EXPECT_THAT(FindValue(CollectOnce(collector), "oom_process_hidepid"),
                Optional(value))
        << option;
  }
}

TEST(ProcessCollector, NextVictimOnCgroupV2WithSwap) {
  // 4 GB RAM, 1 GB swap; cgroup /app: 100 MiB limit, 40 MiB swap allowed,
  // 90 MiB used; /app/worker below it; /idle at 50 %; /free unlimited.
  FakeProc proc(4000000, 1000000);
  proc.Write("proc/self/mountinfo",
             "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  proc.Write("proc/sys/vm/swappiness", "60\n");
  const std::string cg = "sys/fs/cgroup/";
  proc.Write(cg + "cgroup.controllers", "cpu io memory pids\n");
  proc.Write(cg + "app/memory.max", absl::StrCat(100 << 20, "\n"));
  proc.Write(cg + "app/memory.current", absl::StrCat(90 << 20, "\n"));
  proc.Write(cg + "app/memory.swap.max", absl::StrCat(40 << 20, "\n"));
  proc.Write(cg + "app/cgroup.procs", "700\n");
  proc.Write(cg + "app/worker/memory.max", "max\n");
  proc.Write(cg + "app/worker/memory.current", absl::StrCat(30 << 20, "\n"));
  proc.Write(cg + "app/worker/cgroup.procs", "701\n702\n");
  proc.Write(cg + "idle/memory.max", absl::StrCat(100 << 20, "\n"));
  proc.Write(cg + "idle/memory.current", absl::StrCat(50 << 20, "\n"));
  proc.Write(cg + "idle/cgroup.procs", "703\n");
  proc.Write(cg + "free/memory.max", "max\n");
  proc.Write(cg + "free/memory.current", absl::StrCat(90 << 20, "\n"));
  proc.Write(cg + "free/cgroup.procs", "704\n");
  FakeProc::Process big{700, 680, 0, 60 << 10};
  big.comm = "big";
  FakeProc::Process swapper{701, 800, 300, 10 << 10, 20 << 10};
  swapper.comm = "swapper";
  FakeProc::Process gone{702, 900, 1000};  // a zombie now
  gone.state = 'Z';
  proc.Add(big);
  proc.Add(swapper);
  proc.Add(gone);
  proc.Add({703, 666});
  proc.Add({704, 666});
  ProcessCollector collector(proc.roots(), ProcessOptions{});
  std::vector<Sample> samples = CollectOnce(collector);
  // totalpages = 25600 + min(10240, 250000) = 35840; per adj point 35.
  // big: 15360 + 2 = 15362; swapper: 2560 + 5120 + 2 + 300 * 35 = 18182.
  // 18182 * 1000 / 35840 = 507.
  ASSERT_EQ(CountSamples(samples, "oom_cgroup_next_victim_score"), 1);
  EXPECT_THAT(
      FindValue(samples, "oom_cgroup_next_victim_score",
                {{"cgroup", "/app"}, {"pid", "701"}, {"comm", "swapper"}}),
      Optional(507));

  // With swappiness 0 swap does not count: totalpages = 25600, 25 per point.
  // big: 15362; swapper: 2560 + 5120 + 2 + 7500 = 15182: big it is.
  proc.Write("proc/sys/vm/swappiness", "0\n");
  samples = CollectOnce(collector);
  EXPECT_THAT(FindValue(samples, "oom_cgroup_next_victim_score",
                        {{"cgroup", "/app"}, {"pid", "700"}, {"comm", "big"}}),
              Optional(15362 * 1000 / 25600));
}

TEST(ProcessCollector, NextVictimOnlyWhereUnreclaimableMemoryIsHigh) {
  // Three cgroups at 90 % of a 100 MiB limit: /cache holds page cache (80
  // MiB of it on the file lists), /anon anonymous memory, /nostat has no
  // memory.stat to tell, so its usage decides.
  FakeProc proc(4000000, 0);
  proc.Write("proc/self/mountinfo",
             "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  const std::string cg = "sys/fs/cgroup/";
  proc.Write(cg + "cgroup.controllers", "cpu io memory pids\n");
  int pid = 800;
  for (const char* name : {"cache", "anon", "nostat"}) {
    proc.Write(cg + name + "/memory.max", absl::StrCat(100 << 20, "\n"));
    proc.Write(cg + name + "/memory.current", absl::StrCat(90 << 20, "\n"));
    proc.Write(cg + name + "/cgroup.procs", absl::StrCat(pid, "\n"));
    proc.Add({pid++, 500});
  }
  proc.Write(
      cg + "cache/memory.stat",
      absl::StrCat("anon 4194304\nactive_file ", 40 << 20, "\ninactive_file ",
                   40 << 20, "\nslab_reclaimable 1048576\n"));
  proc.Write(cg + "anon/memory.stat",
             absl::StrCat("anon ", 88 << 20,
                          "\nactive_file 1048576\ninactive_file 0\n"
                          "slab_reclaimable 0\n"));
  ProcessCollector collector(proc.roots(), ProcessOptions{});
  std::vector<Sample> samples = CollectOnce(collector);
  // Which cgroups have a next victim matters here, not its score.
  EXPECT_EQ(CountSamples(samples, "oom_cgroup_next_victim_score"), 2);
  EXPECT_FALSE(
      FindValue(samples, "oom_cgroup_next_victim_score",
                {{"cgroup", "/cache"}, {"pid", "800"}, {"comm", "app"}})
          .has_value());
  EXPECT_TRUE(FindValue(samples, "oom_cgroup_next_victim_score",
                        {{"cgroup", "/anon"}, {"pid", "801"}, {"comm", "app"}})
                  .has_value());
  EXPECT_TRUE(
      FindValue(samples, "oom_cgroup_next_victim_score",
                {{"cgroup", "/nostat"}, {"pid", "802"}, {"comm", "app"}})
          .has_value());
}

}  // namespace
}  // namespace oom
