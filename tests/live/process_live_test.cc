// The process collector against this machine's real kernel: its ranking is
// the kernel's oom_score order, its portable ratio gives back the kernel's
// score, nothing breaks while processes come and go by the thousand, and in a
// small memory cgroup near its limit it names the process the kernel then
// really kills. Only the test's own children are ever killed; memory cgroups
// are removed afterwards.

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collectors/kernel/procfs/proc_pid.h"
#include "collectors/oom/badness.h"
#include "collectors/process/process_collector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/memcg.h"
#include "tests/support/samples.h"

namespace oom {
namespace {

using ::oom::testing::FindValue;
using ::oom::testing::MemoryCgroup;
using ::oom::testing::Sample;

// Writes `value` in decimal without allocating (safe after fork()).
void WriteNumber(int fd, long value) {
  char digits[24];
  int len = 0;
  bool negative = value < 0;
  unsigned long magnitude =
      negative ? 0ul - static_cast<unsigned long>(value) : value;
  do {
    digits[len++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude > 0);
  char text[24];
  int n = 0;
  if (negative) text[n++] = '-';
  while (len > 0) text[n++] = digits[--len];
  if (write(fd, text, static_cast<size_t>(n)) != n) _exit(5);
}

void Touch(std::size_t megabytes) {
  for (std::size_t i = 0; i < megabytes; ++i) {
    void* block = mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) _exit(4);
    std::memset(block, 0x5a, 1 << 20);
  }
}

// A child that names itself, sets its oom_score_adj, optionally joins a
// cgroup, touches `megabytes` of memory and waits; on Grow() it touches
// `grow_megabytes` more. It dies with the test (PR_SET_PDEATHSIG).
class Child {
 public:
  Child(const std::string& comm, int adj, std::size_t megabytes,
        const std::string& procs_file = "", std::size_t grow_megabytes = 0) {
    int ready[2];
    int go[2];
    if (pipe(ready) != 0 || pipe(go) != 0) return;
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(0);
      close(ready[0]);
      close(go[1]);
      if (!procs_file.empty()) {
        int fd = open(procs_file.c_str(), O_WRONLY);
        if (fd < 0) _exit(3);
        WriteNumber(fd, getpid());
        close(fd);
      }
      int fd = open("/proc/self/oom_score_adj", O_WRONLY);
      if (fd < 0) _exit(3);
      WriteNumber(fd, adj);
      close(fd);
      prctl(PR_SET_NAME, comm.c_str());
      Touch(megabytes);
      if (write(ready[1], "r", 1) != 1) _exit(5);
      char c = 0;
      if (read(go[0], &c, 1) == 1 && c == 'g') Touch(grow_megabytes);
      for (;;) pause();
    }
    close(ready[1]);
    close(go[0]);
    go_ = go[1];
    char c = 0;
    ok_ = pid_ > 0 && read(ready[0], &c, 1) == 1;
    close(ready[0]);
  }
  ~Child() {
    if (go_ >= 0) close(go_);
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool ok() const { return ok_; }
  pid_t pid() const { return pid_; }
  void Grow() {
    if (write(go_, "g", 1) != 1) ADD_FAILURE() << "cannot wake " << pid_;
  }
  // Waits up to `seconds` for the child to end; true when SIGKILL ended it.
  bool KilledWithin(int seconds) {
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
  bool ok_ = false;
  bool reaped_ = false;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Label(const Sample& sample, const std::string& name) {
  for (const auto& [key, value] : sample.labels) {
    if (key == name) return value;
  }
  return "";
}

bool KernelAtLeast(int major, int minor) {
  utsname name{};
  uname(&name);
  int got_major = 0;
  int got_minor = 0;
  std::sscanf(name.release, "%d.%d", &got_major, &got_minor);
  return got_major > major || (got_major == major && got_minor >= minor);
}

std::vector<Sample> Collect(ProcessCollector& collector) {
  return ::oom::testing::CollectSamples(collector);
}

uint64_t TotalPages() {
  std::istringstream lines(Slurp("/proc/meminfo"));
  std::string key;
  uint64_t kb = 0;
  uint64_t total = 0;
  std::string unit;
  while (lines >> key >> kb) {
    if (key == "MemTotal:" || key == "SwapTotal:") total += kb;
    std::getline(lines, unit);
  }
  return total * 1024 / static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

TEST(ProcessLiveTest, RankingIsTheKernelsOomScoreOrder) {
  std::vector<std::unique_ptr<Child>> children;
  for (int adj = 100; adj <= 600; adj += 100) {
    children.push_back(
        std::make_unique<Child>(absl::StrCat("oom_live_", adj), adj, 8));
    ASSERT_TRUE(children.back()->ok());
  }
  ProcessOptions options;
  options.top_k = 5;
  ProcessCollector collector(FsRoots(), options);
  std::vector<Sample> samples = Collect(collector);

  // The kernel's own view, read just after the scrape: the score of every
  // process that could be chosen (not 0: init, kernel threads, -1000).
  std::vector<std::pair<int, int>> kernel;  // score, pid
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::string text = Slurp(entry.path().string() + "/oom_score");
    int score = 0;
    if (!absl::SimpleAtoi(text.substr(0, text.find('\n')), &score)) continue;
    if (score > 0) kernel.emplace_back(score, pid);
  }
  std::sort(kernel.rbegin(), kernel.rend());
  ASSERT_GE(kernel.size(), 5u);

  int exported = 0;
  int lowest_exported = 1 << 30;
  const uint64_t totalpages = TotalPages();
  for (const Sample& sample : samples) {
    if (sample.name != "oom_process_score") continue;
    ++exported;
    std::string pid = Label(sample, "pid");
    std::string text = Slurp("/proc/" + pid + "/oom_score");
    int now = 0;
    if (!absl::SimpleAtoi(text.substr(0, text.find('\n')), &now)) continue;
    // Idle processes: the score moves by a point at most between reads.
    EXPECT_NEAR(sample.value, now, 1) << pid;
    lowest_exported = std::min(lowest_exported, static_cast<int>(sample.value));
    if (KernelAtLeast(5, 9)) {
      std::optional<double> ratio =
          FindValue(samples, "oom_process_badness_ratio", {{"pid", pid}});
      ASSERT_TRUE(ratio.has_value()) << pid;
      EXPECT_NEAR(OomScoreSince59(static_cast<int64_t>(*ratio * totalpages),
                                  totalpages),
                  sample.value, 1)
          << pid;
    }
  }
  EXPECT_EQ(exported, 5);
  // No process the kernel scores above the fifth was left out (equal scores
  // may go either way), and none scored below it was taken.
  EXPECT_GE(lowest_exported, kernel[4].first - 1);
  for (const auto& [score, pid] : kernel) {
    if (score <= kernel[4].first + 1) break;
    if (kill(pid, 0) != 0) continue;  // exited meanwhile
    EXPECT_TRUE(
        FindValue(samples, "oom_process_score", {{"pid", absl::StrCat(pid)}})
            .has_value())
        << "pid " << pid << " with oom_score " << score << " not exported";
  }
  // The child with adj 600 leads (unless something scores above 1066).
  if (kernel[0].second == children.back()->pid()) {
    EXPECT_THAT(FindValue(samples, "oom_process_score_adj",
                          {{"pid", absl::StrCat(kernel[0].second)},
                           {"comm", "oom_live_600"}}),
                ::testing::Optional(600));
  }
}

TEST(ProcessLiveTest, ChurnBreaksNothing) {
  // Thousands of processes start and exit while the collector scrapes.
  std::atomic<bool> stop{false};
  std::atomic<int> forked{0};
  std::thread churn([&] {
    while (!stop) {
      std::vector<pid_t> batch;
      for (int i = 0; i < 50; ++i) {
        pid_t pid = fork();
        if (pid == 0) {
          if (i % 2 == 0) usleep(2000);
          _exit(0);
        }
        if (pid > 0) batch.push_back(pid);
      }
      for (pid_t pid : batch) waitpid(pid, nullptr, 0);
      forked += static_cast<int>(batch.size());
    }
  });
  Child stable("oom_live_stable", 900, 4);
  ASSERT_TRUE(stable.ok());
  ProcessCollector collector(FsRoots(), ProcessOptions{});
  bool stable_always_there = true;
  for (int scrape = 0; scrape < 100; ++scrape) {
    std::vector<Sample> samples = Collect(collector);
    for (const Sample& sample : samples) {
      if (sample.name == "oom_process_score" ||
          sample.name == "oom_process_score_max") {
        EXPECT_GE(sample.value, 0);
        EXPECT_LE(sample.value, 2000);
      }
      if (sample.name == "oom_process_badness_ratio") {
        EXPECT_GE(sample.value, -1.0);
        EXPECT_LE(sample.value, 2.0);
      }
      if (sample.name == "oom_process_resident_memory_bytes") {
        EXPECT_GE(sample.value, 0);
      }
    }
    stable_always_there &= FindValue(samples, "oom_process_score",
                                     {{"pid", absl::StrCat(stable.pid())}})
                               .has_value();
  }
  stop = true;
  churn.join();
  EXPECT_GT(forked.load(), 100);
  EXPECT_TRUE(stable_always_there);
}

TEST(ProcessLiveTest, NextVictimOfACgroupNearItsLimitIsTheOneKilled) {
  absl::StatusOr<MemoryCgroup> cgroup = MemoryCgroup::Create(
      absl::StrCat("oom_exporter_process_", getpid()), 64 << 20);
  if (!cgroup.ok()) {
    GTEST_SKIP() << "cannot make a memory cgroup here: "
                 << cgroup.status().message();
  }
  std::string procs = cgroup->dir() + "/cgroup.procs";
  // 52 MiB at adj 0 against 4 MiB at adj 500: node-wide the sidecar leads,
  // against the 64 MiB limit (adj 500 = 500 * 16 pages) the big one does.
  Child big("oom_live_big", 0, 52, procs);
  ASSERT_TRUE(big.ok());
  Child sidecar("oom_live_side", 500, 4, procs, 12);
  ASSERT_TRUE(sidecar.ok());

  ProcessCollector collector(FsRoots(), ProcessOptions{});
  std::vector<Sample> samples = Collect(collector);
  std::optional<double> victim =
      FindValue(samples, "oom_cgroup_next_victim_score",
                {{"cgroup", cgroup->path()},
                 {"pid", absl::StrCat(big.pid())},
                 {"comm", "oom_live_big"}});
  ASSERT_TRUE(victim.has_value())
      << "usage " << Slurp(cgroup->dir() + "/memory.usage_in_bytes");
  // At least its 52 MiB of anonymous memory against the 64 MiB limit. No
  // upper bound: the kernel also counts file pages the process maps but
  // another cgroup was charged for (the test binary itself, much larger
  // under ASan), so a score above 1000 is what the kernel computes too.
  EXPECT_GT(*victim, 700);
  EXPECT_GT(*FindValue(samples, "oom_process_score",
                       {{"pid", absl::StrCat(sidecar.pid())}}),
            *FindValue(samples, "oom_process_score",
                       {{"pid", absl::StrCat(big.pid())}}));

  // Reality: the sidecar grows past the limit and the kernel kills the big
  // one, not the one that allocates.
  sidecar.Grow();
  EXPECT_TRUE(big.KilledWithin(20));
  EXPECT_EQ(kill(sidecar.pid(), 0), 0) << "the sidecar was killed instead";
}

}  // namespace
}  // namespace oom
