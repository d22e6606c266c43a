// The cgroup collector's working set and unreclaimable memory on this
// machine's real kernel: a cgroup that has read a file twice holds page
// cache, which counts in its usage but not in its unreclaimable memory; a
// cgroup whose process holds anonymous memory has it all unreclaimable.
// Skips, saying why, where the machine cannot make a memory cgroup or has no
// disk-backed /var/tmp (tmpfs pages are shmem, unreclaimable by design).

#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collectors/cgroup/cgroup_collector.h"
#include "gtest/gtest.h"
#include "tests/support/memcg.h"
#include "tests/support/samples.h"

namespace oom {
namespace {

using ::oom::testing::FindValue;
using ::oom::testing::MemoryCgroup;
using ::oom::testing::Sample;

constexpr long long kHeld = 32 << 20;
constexpr long long kLimit = 256 << 20;

struct Memory {
  double usage = -1;
  double working_set = -1;
  double unreclaimable = -1;
};

Memory Collect(const MemoryCgroup& cgroup) {
  CgroupOptions options;
  options.include = {cgroup.path()};
  options.max_depth = 8;
  options.watch = false;
  CgroupCollector collector(FsRoots{}, options);
  std::vector<Sample> samples = ::oom::testing::CollectSamples(collector);
  Labels labels = {{"cgroup", cgroup.path()}};
  Memory memory;
  memory.usage =
      FindValue(samples, "oom_cgroup_memory_usage_bytes", labels).value_or(-1);
  memory.working_set =
      FindValue(samples, "oom_cgroup_memory_working_set_bytes", labels)
          .value_or(-1);
  memory.unreclaimable =
      FindValue(samples, "oom_cgroup_memory_unreclaimable_bytes", labels)
          .value_or(-1);
  std::printf("%s: usage %.0f, working set %.0f, unreclaimable %.0f\n",
              cgroup.path().c_str(), memory.usage, memory.working_set,
              memory.unreclaimable);
  return memory;
}

// Scrapes until `done` holds or 10 s have passed: memory.stat is kept in
// per-CPU counters the kernel flushes now and then, so a scrape right after
// the work may see part of it. Returns the last scrape.
template <typename Done>
Memory CollectUntil(const MemoryCgroup& cgroup, Done done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  Memory memory = Collect(cgroup);
  while (!done(memory) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    memory = Collect(cgroup);
  }
  return memory;
}

// Moves the calling process into `cgroup`; exits the process on failure
// (only children call it).
void JoinOrExit(const MemoryCgroup& cgroup) {
  std::string procs = cgroup.dir() + "/cgroup.procs";
  int fd = ::open(procs.c_str(), O_WRONLY);
  std::string pid = std::to_string(::getpid());
  if (fd < 0 || ::write(fd, pid.data(), pid.size()) < 0) ::_exit(90);
  ::close(fd);
}

class ReclaimableLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct statfs fs;
    if (::statfs("/var/tmp", &fs) != 0 || fs.f_type == TMPFS_MAGIC ||
        fs.f_type == RAMFS_MAGIC) {
      GTEST_SKIP() << "/var/tmp is missing or memory-backed here: its page "
                      "cache would be shmem, not reclaimable";
    }
    name_ = absl::StrCat("oom_exporter_reclaim_", ::getpid());
  }

  std::optional<MemoryCgroup> Make(const std::string& suffix) {
    absl::StatusOr<MemoryCgroup> cgroup =
        MemoryCgroup::Create(name_ + suffix, kLimit);
    if (!cgroup.ok()) {
      ADD_FAILURE() << "cannot create a memory cgroup: " << cgroup.status();
      return std::nullopt;
    }
    return *std::move(cgroup);
  }

  std::string name_;
};

TEST_F(ReclaimableLiveTest, PageCacheReadTwiceIsReclaimable) {
  // A file none of whose pages is cached: written, synced, dropped.
  std::string file = absl::StrCat("/var/tmp/", name_, ".data");
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::vector<char> chunk(1 << 20, 'x');
  for (long long written = 0; written < kHeld; written += chunk.size()) {
    ASSERT_EQ(::write(fd, chunk.data(), chunk.size()),
              static_cast<ssize_t>(chunk.size()));
  }
  ASSERT_EQ(::fsync(fd), 0);
  ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  ::close(fd);

  std::optional<MemoryCgroup> cgroup = Make("_cache");
  ASSERT_TRUE(cgroup.has_value());
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    JoinOrExit(*cgroup);
    for (int pass = 0; pass < 2; ++pass) {
      int in = ::open(file.c_str(), O_RDONLY);
      if (in < 0) ::_exit(91);
      while (::read(in, chunk.data(), chunk.size()) > 0) {
      }
      ::close(in);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  Memory memory = CollectUntil(*cgroup, [](const Memory& m) {
    return m.usage >= kHeld && m.unreclaimable >= 0 &&
           m.unreclaimable < (4 << 20);
  });
  ::unlink(file.c_str());
  // The cache is charged to the cgroup, and is what its usage is made of.
  EXPECT_GE(memory.usage, kHeld);
  // What stays is the child's kernel memory (page tables, dentries): a few
  // hundred KiB, far below the file.
  EXPECT_GE(memory.unreclaimable, 0);
  EXPECT_LT(memory.unreclaimable, 4 << 20);
  EXPECT_LE(memory.working_set, memory.usage);
  EXPECT_GE(memory.working_set, memory.unreclaimable);
}

TEST_F(ReclaimableLiveTest, AnonymousMemoryIsUnreclaimable) {
  std::optional<MemoryCgroup> cgroup = Make("_anon");
  ASSERT_TRUE(cgroup.has_value());
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    JoinOrExit(*cgroup);
    char* held = static_cast<char*>(std::malloc(kHeld));
    if (held == nullptr) ::_exit(92);
    std::memset(held, 1, kHeld);
    if (::write(ready[1], "r", 1) != 1) ::_exit(93);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);

  Memory memory = CollectUntil(
      *cgroup, [](const Memory& m) { return m.unreclaimable >= kHeld; });
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_GE(memory.unreclaimable, kHeld);
  EXPECT_GE(memory.working_set, memory.unreclaimable);
  EXPECT_LE(memory.unreclaimable, memory.usage);
}

}  // namespace
}  // namespace oom
