#include "collectors/cgroup/cgroup_watcher.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/base/fs.h"
#include "collectors/base/log.h"
#include "collectors/cgroup/cgroup_recheck.h"
#include "collectors/kernel/cgroupfs/cgroup_files.h"

namespace oom {
namespace {

using Clock = CgroupLedger::Clock;

constexpr uint64_t kStopToken = 0;
constexpr uint64_t kInotifyToken = 1;
constexpr uint64_t kTimerToken = 2;
std::string ChildPath(const std::string& path, std::string_view name) {
  std::string child = path == "/" ? "" : path;
  child.push_back('/');
  child.append(name);
  return child;
}

// Registers the eventfd `efd` for OOM notifications of the v1 cgroup `dir`:
// "<efd> <memory.oom_control fd>" into its cgroup.event_control. False with
// `error` set to the errno of the step that failed.
bool RegisterOomEventfd(int efd, const std::string& dir, int* error) {
  int control =
      ::open((dir + "/memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC);
  int event_control = -1;
  bool ok = false;
  if (control >= 0) {
    event_control =
        ::open((dir + "/cgroup.event_control").c_str(), O_WRONLY | O_CLOEXEC);
  }
  if (event_control >= 0) {
    std::string line = absl::StrCat(efd, " ", control);
    ok = ::write(event_control, line.data(), line.size()) ==
         static_cast<ssize_t>(line.size());
  }
  *error = ok ? 0 : errno;
  if (control >= 0) ::close(control);
  if (event_control >= 0) ::close(event_control);
  return ok;
}

}  // namespace

class CgroupWatcher::Loop {
 public:
  Loop(Target target, CgroupLedger* ledger, int epoll_fd, int inotify_fd,
       int stop_fd, int timer_fd)
      : target_(std::move(target)),
        ledger_(ledger),
        epoll_(epoll_fd),
        inotify_(inotify_fd),
        stop_(stop_fd),
        timer_(timer_fd) {}

  ~Loop() {
    for (auto& [token, oom] : ooms_) ::close(oom.fd);
    ::close(inotify_);
    ::close(epoll_);
    ::close(stop_);
    ::close(timer_);
  }

  void Stop() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_, &one, sizeof(one));
  }

  // Watches the whole tree; called once before the thread starts.
  void Begin() {
    AddTree(target_.dir, target_.root_path, 0);
    started_ = true;
  }

  void Run() {
    std::array<epoll_event, 64> ready;
    while (true) {
      int n = ::epoll_wait(epoll_, ready.data(), ready.size(), -1);
      if (n < 0 && errno != EINTR) return;
      for (int i = 0; i < n; ++i) {
        if (!Dispatch(ready[i].data.u64)) return;
      }
      RecheckDue();
      ArmTimer();
    }
  }

  std::atomic<std::size_t> watched{0};
  std::atomic<uint64_t> failures{0};

 private:
  struct Dir {
    std::string dir;
    std::string path;
    std::size_t depth;
  };
  // A v1 OOM eventfd and the cgroup it belongs to.
  struct Oom {
    int fd;
    std::string dir;
    std::string path;
  };
  // Handles what epoll reported for `token`; false when told to stop.
  bool Dispatch(uint64_t token) {
    if (token == kStopToken) return false;
    if (token == kInotifyToken) {
      DrainInotify();
    } else if (token == kTimerToken) {
      uint64_t expirations;
      [[maybe_unused]] ssize_t r =
          ::read(timer_, &expirations, sizeof(expirations));
    } else {
      OnOom(token);
    }
    return true;
  }

  // v1: reads `path` again and again after an OOM signal (`signalled`), or
  // for a while after its eventfd was registered (unless read already).
  void Schedule(const std::string& path, const std::string& dir,
                int64_t baseline, bool signalled) {
    Clock::time_point now = Clock::now();
    if (signalled) {
      rechecks_.insert_or_assign(path, Recheck::Signalled(dir, baseline, now));
    } else if (rechecks_.count(path) == 0) {
      rechecks_.emplace(path, Recheck::Settling(dir, baseline, now));
    }
  }

  // v2: reads `path` every millisecond for v2_signal_window after a signal
  // of its memory.events (or its cgroup.events: the last task left),
  // extending a window already open.
  void ScheduleWindow(const std::string& path, const std::string& dir,
                      int64_t kills) {
    Clock::time_point now = Clock::now();
    auto it = rechecks_.find(path);
    if (it == rechecks_.end()) {
      rechecks_.emplace(
          path, Recheck::Window(dir, kills, now, target_.v2_signal_window));
    } else {
      // Open already (v2 has no other rechecks): extend it.
      it->second.Extend(now, target_.v2_signal_window);
    }
  }

  // Reads the counts of `path` into the ledger; the oom_kill count (-1 when
  // the kernel has none), or nullopt when the cgroup is gone.
  std::optional<int64_t> Read(const std::string& dir, const std::string& path) {
    Clock::time_point now = Clock::now();
    absl::StatusOr<CgroupDir> cgroup = CgroupDir::Open(dir);
    if (!cgroup.ok()) {
      if (absl::IsNotFound(cgroup.status())) return std::nullopt;
      return -1;  // the scrape counts what it cannot read
    }
    absl::StatusOr<CgroupEvents> events = ReadCgroupEvents(*cgroup, target_.v2);
    if (!events.ok()) {
      if (absl::IsNotFound(events.status())) return std::nullopt;
      return -1;
    }
    ledger_->Record(path, cgroup->inode(), *events, now);
    const CgroupEventCounts& counts =
        target_.v2 ? events->total : events->local;
    return counts[kCgroupEventOomKill];
  }

  // Watches `dir` and, within max_depth, every directory below it.
  void AddTree(const std::string& dir, const std::string& path,
               std::size_t depth) {
    // v1 cgroups can be renamed: a move is a removal and a creation.
    uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                    IN_ONLYDIR | (target_.v2 ? IN_MODIFY : 0);
    int wd = ::inotify_add_watch(inotify_, dir.c_str(), mask);
    if (wd < 0) {
      if (errno != ENOENT && errno != ENOTDIR) ++failures;
      return;
    }
    if (dirs_.emplace(wd, Dir{dir, path, depth}).second) {
      watched = dirs_.size();
    }
    if (target_.tracked(path, depth)) {
      if (!target_.v2 && depth > 0) WatchOom(dir, path);
      std::optional<int64_t> kills = Read(dir, path);
      if (kills && started_ && oom_tokens_.count(path) != 0) {
        Schedule(path, dir, *kills, /*signalled=*/false);
      }
    }
    if (depth >= target_.max_depth) return;
    std::vector<std::string> children = ListSubdirectories(dir);
    for (const std::string& child : children) {
      AddTree(dir + "/" + child, ChildPath(path, child), depth + 1);
    }
  }

  // Registers an eventfd for OOM notifications of the v1 cgroup `dir`.
  void WatchOom(const std::string& dir, const std::string& path) {
    if (oom_tokens_.count(path) != 0) return;
    int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) {
      ++failures;
      return;
    }
    int error = 0;
    bool ok = RegisterOomEventfd(efd, dir, &error);
    uint64_t token = next_token_++;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = token;
    if (!ok || ::epoll_ctl(epoll_, EPOLL_CTL_ADD, efd, &event) != 0) {
      // ENOENT: the cgroup went away meanwhile, not a failure.
      if (!ok && error != ENOENT && error != ENODEV)
        CannotWatchOom(path, error);
      ::close(efd);
      return;
    }
    ooms_.emplace(token, Oom{efd, dir, path});
    oom_tokens_.emplace(path, token);
  }

  // Counts a cgroup whose OOM notifications cannot be had; warns once.
  void CannotWatchOom(const std::string& path, int error) {
    ++failures;
    if (warned_) return;
    warned_ = true;
    std::string err = std::strerror(error);
    Log(LogLevel::kWarn,
        "cannot register for OOM notifications of cgroup v1 (writing "
        "cgroup.event_control needs root); a kill in a cgroup removed "
        "before the next scrape may be missed",
        {{"collector", "cgroup"}, {"cgroup", path}, {"err", err}});
  }

  void Unwatch(uint64_t token) {
    auto it = ooms_.find(token);
    if (it == ooms_.end()) return;
    ::close(it->second.fd);
    oom_tokens_.erase(it->second.path);
    rechecks_.erase(it->second.path);
    ooms_.erase(it);
  }

  void DrainInotify() {
    alignas(inotify_event) char buffer[16 * 1024];
    while (true) {
      ssize_t n = ::read(inotify_, buffer, sizeof(buffer));
      if (n <= 0) return;
      for (char* p = buffer; p < buffer + n;) {
        auto* event = reinterpret_cast<inotify_event*>(p);
        p += sizeof(inotify_event) + event->len;
        OnInotify(*event);
      }
    }
  }

  void OnInotify(const inotify_event& event) {
    if (event.mask & IN_Q_OVERFLOW) {
      // Events were lost: look at the whole tree again.
      ++failures;
      AddTree(target_.dir, target_.root_path, 0);
      return;
    }
    if (event.mask & IN_IGNORED) {
      dirs_.erase(event.wd);
      watched = dirs_.size();
      return;
    }
    auto it = dirs_.find(event.wd);
    if (it == dirs_.end()) return;
    const Dir parent = it->second;  // AddTree may rehash dirs_
    std::string_view name = event.len > 0 ? event.name : "";
    if ((event.mask & IN_ISDIR) && (event.mask & (IN_CREATE | IN_MOVED_TO))) {
      if (parent.depth < target_.max_depth) {
        AddTree(parent.dir + "/" + std::string(name),
                ChildPath(parent.path, name), parent.depth + 1);
      }
    } else if ((event.mask & IN_ISDIR) &&
               (event.mask & (IN_DELETE | IN_MOVED_FROM))) {
      Removed(ChildPath(parent.path, name));
    } else if ((event.mask & IN_MODIFY) &&
               (name == "memory.events" || name == "cgroup.events") &&
               target_.tracked(parent.path, parent.depth)) {
      std::optional<int64_t> kills = Read(parent.dir, parent.path);
      if (kills) ScheduleWindow(parent.path, parent.dir, *kills);
    }
  }

  // The cgroup `path` is gone: the ledger keeps its counts; its OOM
  // eventfds (and those of anything below it) are closed.
  void Removed(const std::string& path) {
    ledger_->MarkRemoved(path, Clock::now());
    std::vector<uint64_t> tokens;
    for (const auto& [token, oom] : ooms_) {
      if (oom.path == path || oom.path.rfind(path + "/", 0) == 0) {
        tokens.push_back(token);
      }
    }
    for (uint64_t token : tokens) Unwatch(token);
  }

  void OnOom(uint64_t token) {
    auto it = ooms_.find(token);
    if (it == ooms_.end()) return;
    uint64_t count;
    [[maybe_unused]] ssize_t n = ::read(it->second.fd, &count, sizeof(count));
    const Oom oom = it->second;
    std::optional<int64_t> kills = Read(oom.dir, oom.path);
    if (!kills) {
      // The kernel signals the eventfd when the cgroup is removed, too.
      Removed(oom.path);
      return;
    }
    Schedule(oom.path, oom.dir, *kills, /*signalled=*/true);
  }

  void RecheckDue() {
    Clock::time_point now = Clock::now();
    for (auto it = rechecks_.begin(); it != rechecks_.end();) {
      Recheck& recheck = it->second;
      if (recheck.next > now) {
        ++it;
        continue;
      }
      if (recheck.Advance(Read(recheck.dir, it->first), now)) {
        ++it;
      } else {
        it = rechecks_.erase(it);
      }
    }
  }

  // Arms the timer for the next recheck, or disarms it.
  void ArmTimer() {
    itimerspec spec{};
    if (!rechecks_.empty()) {
      Clock::time_point next = Clock::time_point::max();
      for (const auto& [path, recheck] : rechecks_) {
        next = std::min(next, recheck.next);
      }
      // steady_clock is CLOCK_MONOTONIC; 0 would disarm.
      auto ns = std::max<int64_t>(
          1, std::chrono::duration_cast<std::chrono::nanoseconds>(
                 next.time_since_epoch())
                 .count());
      spec.it_value.tv_sec = ns / 1000000000;
      spec.it_value.tv_nsec = ns % 1000000000;
    }
    ::timerfd_settime(timer_, TFD_TIMER_ABSTIME, &spec, nullptr);
  }

  const Target target_;
  CgroupLedger* const ledger_;
  const int epoll_;
  const int inotify_;
  const int stop_;
  const int timer_;
  bool started_ = false;               // Begin has walked the tree
  std::unordered_map<int, Dir> dirs_;  // by inotify watch descriptor
  std::unordered_map<uint64_t, Oom> ooms_;
  std::unordered_map<std::string, uint64_t> oom_tokens_;
  std::unordered_map<std::string, Recheck> rechecks_;
  uint64_t next_token_ = kTimerToken + 1;
  bool warned_ = false;  // about OOM eventfds, once
};

absl::StatusOr<std::unique_ptr<CgroupWatcher>> CgroupWatcher::Start(
    Target target, CgroupLedger* ledger) {
  if (!target.v2) {
    // v1 takes one eventfd per cgroup: allow as many as the hard limit.
    rlimit limit;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
        limit.rlim_cur < limit.rlim_max) {
      limit.rlim_cur = limit.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
  }
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  int inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  int stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  int timer_fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  auto fail = [&](const char* what) {
    absl::Status status = absl::ErrnoToStatus(errno, what);
    for (int fd : {epoll_fd, inotify_fd, stop_fd, timer_fd}) {
      if (fd >= 0) ::close(fd);
    }
    return status;
  };
  if (epoll_fd < 0) return fail("epoll_create1");
  if (inotify_fd < 0) return fail("inotify_init1");
  if (stop_fd < 0) return fail("eventfd");
  if (timer_fd < 0) return fail("timerfd_create");
  for (auto [fd, token] :
       {std::pair{stop_fd, kStopToken}, std::pair{inotify_fd, kInotifyToken},
        std::pair{timer_fd, kTimerToken}}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = token;
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
      return fail("epoll_ctl");
    }
  }
  auto loop = std::make_unique<Loop>(std::move(target), ledger, epoll_fd,
                                     inotify_fd, stop_fd, timer_fd);
  loop->Begin();
  return std::unique_ptr<CgroupWatcher>(new CgroupWatcher(std::move(loop)));
}

CgroupWatcher::CgroupWatcher(std::unique_ptr<Loop> loop)
    : loop_(std::move(loop)), thread_([this] { loop_->Run(); }) {}

CgroupWatcher::~CgroupWatcher() {
  loop_->Stop();
  thread_.join();
}

std::size_t CgroupWatcher::watched() const { return loop_->watched.load(); }

uint64_t CgroupWatcher::failures() const { return loop_->failures.load(); }

}  // namespace oom
