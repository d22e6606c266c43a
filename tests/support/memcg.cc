#include "tests/support/memcg.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/kernel/kmsg/kmsg_reader.h"
#include "collectors/kernel/kmsg/log_line.h"
#include "collectors/kernel/kmsg/oom_message.h"

namespace oom::testing {
namespace {

bool WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return out.good();
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The child: join the cgroup, name itself, allocate until killed. Runs after
// fork() in a possibly multi-threaded process, so it sticks to
// async-signal-safe calls: no malloc, no streams.
[[noreturn]] void Hog(const char* procs_file, const char* comm) {
  char pid_text[24];
  int len = 0;
  char digits[24];
  for (pid_t pid = getpid(); pid > 0; pid /= 10) digits[len++] = '0' + pid % 10;
  for (int i = 0; i < len; ++i) pid_text[i] = digits[len - 1 - i];
  int fd = open(procs_file, O_WRONLY);
  if (fd < 0 || write(fd, pid_text, static_cast<size_t>(len)) != len) _exit(3);
  close(fd);
  prctl(PR_SET_NAME, comm);
  constexpr size_t kChunk = 1 << 20;
  while (true) {
    void* block = mmap(nullptr, kChunk, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) _exit(4);
    std::memset(block, 0x5a, kChunk);
  }
}

// OOM headers ("... invoked oom-killer: ...") the kernel printed in the
// last `window_s` seconds of its log clock, read from /dev/kmsg with the
// exporter's own reader and parsers; -1 when the log cannot be read.
int RecentOomHeaders(double window_s) {
  absl::StatusOr<std::unique_ptr<KmsgReader>> reader =
      KmsgReader::Open("/dev/kmsg");
  if (!reader.ok()) return -1;
  std::vector<std::string> lines;
  while ((*reader)->Read(0, &lines) == KmsgReader::Result::kLines) {
  }
  timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const double now_s = now.tv_sec + now.tv_nsec / 1e9;
  int count = 0;
  LogLine line;
  for (const std::string& raw : lines) {
    ParseLogLine(raw, &line);
    if (line.kmsg && line.kmsg->timestamp_us / 1e6 > now_s - window_s &&
        ParseOomMessage(line.text).kind == OomMessageKind::kHeader) {
      ++count;
    }
  }
  return count;
}

}  // namespace

absl::StatusOr<MemoryCgroup> MemoryCgroup::Create(const std::string& name,
                                                  long long limit_bytes) {
  if (geteuid() != 0) {
    return absl::FailedPreconditionError(
        "needs root to create a memory cgroup");
  }
  std::string v1 = "/sys/fs/cgroup/memory";
  std::string v2 = "/sys/fs/cgroup";
  bool use_v2 = false;
  std::string root;
  if (IsDir(v1) && access((v1 + "/cgroup.procs").c_str(), W_OK) == 0) {
    root = v1;
  } else if (ReadText(v2 + "/cgroup.subtree_control").find("memory") !=
             std::string::npos) {
    root = v2;
    use_v2 = true;
  } else {
    return absl::FailedPreconditionError(
        "no writable memory cgroup controller (neither a v1 memory mount at "
        "/sys/fs/cgroup/memory nor cgroup2 with memory in subtree_control)");
  }
  std::string dir = absl::StrCat(root, "/", name);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", dir, ": ", strerror(errno)));
  }
  MemoryCgroup cgroup(dir, "/" + name, use_v2);
  std::string limit_file = use_v2 ? "/memory.max" : "/memory.limit_in_bytes";
  if (!WriteText(dir + limit_file, absl::StrCat(limit_bytes))) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot set ", dir, limit_file));
  }
  if (use_v2) WriteText(dir + "/memory.swap.max", "0");
  return cgroup;
}

MemoryCgroup::MemoryCgroup(MemoryCgroup&& other) noexcept
    : dir_(std::move(other.dir_)),
      path_(std::move(other.path_)),
      v2_(other.v2_) {
  other.dir_.clear();
}

MemoryCgroup::~MemoryCgroup() {
  if (dir_.empty()) return;
  // A killed task may take a moment to leave; retry briefly.
  for (int i = 0; i < 100; ++i) {
    if (::rmdir(dir_.c_str()) == 0 || errno == ENOENT) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

absl::StatusOr<int> MemoryCgroup::RunUntilOomKilled(
    const std::string& comm) const {
  // The kernel prints the header of at most 10 OOM kills per 5 s
  // (oom_kill_process's rate limit), and a kill without one has no cgroup in
  // the log, which the kernel-log tests look for. As the VM scenarios do
  // (tests/vm/guest/lib.sh, wait_header_budget), wait until fewer than 9
  // headers were printed in the last 6 s of the kernel's clock, for at most
  // 10 s: tests run back to back (ctest --repeat) then get their headers.
  auto budget_deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (RecentOomHeaders(6.0) >= 9 &&
         std::chrono::steady_clock::now() < budget_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string procs_file = dir_ + "/cgroup.procs";
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) Hog(procs_file.c_str(), comm.c_str());

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  while (true) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::DeadlineExceededError("the hog was not OOM-killed in 30 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return pid;
  return absl::InternalError(
      absl::StrCat("the hog ended without SIGKILL (status ", status, ")"));
}

}  // namespace oom::testing
