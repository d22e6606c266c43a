#ifndef OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_WATCHER_H_
#define OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_WATCHER_H_

// A thread that reads a memory cgroup's event counts as soon as the kernel
// says they moved, into the CgroupLedger, so that a cgroup removed a moment
// after an OOM kill still has its kill recorded.
//
// - inotify on every cgroup directory: IN_CREATE (a new cgroup is followed
//   at once, before its first scrape), IN_DELETE (removed: the ledger keeps
//   its counts), and on v2 IN_MODIFY of memory.events, which the kernel
//   signals after each event, at most once per 10 ms per file: a change
//   within that time of the last signal is signalled by a timer, which the
//   kernel drops when the cgroup is removed first (a kill counted just after
//   the `max` events before it, in a cgroup removed milliseconds later). So
//   after each signal of memory.events or cgroup.events (the last task
//   left) the cgroup is read every millisecond for 15 ms, as long as a
//   change could wait on that timer. A cgroup signalled without pause (one
//   at its limit) is read at most 1,000 times a second.
// - v1 has no such signal for its counters. Each cgroup gets an eventfd
//   registered through cgroup.event_control on memory.oom_control; the
//   kernel signals it when an OOM starts in the cgroup or above it, before
//   it picks and counts the victim. The cgroup is then read again every
//   250 us for 20 ms, then after 1, 2, 4, ... up to 100 ms, until its
//   oom_kill moves, it vanishes, or 5 s pass (a timerfd keeps the times).
//   The kernel counts a kill before it sends SIGKILL, and a cgroup cannot
//   be removed while the victim lives, so the count is read in time
//   whenever the signal comes and the thread runs between the two.
//   A cgroup created while the watcher runs is also read for a second
//   after its eventfd is registered: an OOM that began just before is not
//   signalled again. Now and then (about 1 OOM in 100 on Linux 6.18 under
//   load) the kernel sends no signal at all; a cgroup removed within
//   milliseconds of such a kill misses it, and only the kernel log has it
//   (tests/reliability/removal_race.sh measures this).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "collectors/cgroup/cgroup_ledger.h"

namespace oom {

class CgroupWatcher {
 public:
  struct Target {
    std::string dir;        // the hierarchy's root, where it is read
    std::string root_path;  // its cgroup path ("/" unless in a container)
    bool v2 = false;
    std::size_t max_depth = 0;  // deepest level followed below the root
    // Whether the cgroup `path`, `depth` levels below the root, has its
    // counts recorded (the others are only watched for new children).
    std::function<bool(const std::string& path, std::size_t depth)> tracked;
    // v2: how long a cgroup is read again after a signal (above); tests
    // lengthen it so that a slow machine cannot outrun it.
    std::chrono::milliseconds v2_signal_window{15};
  };

  // Starts following `target`; `ledger` must outlive the watcher. Every
  // tracked cgroup is watched and recorded before Start returns. Fails when
  // inotify, epoll or eventfd cannot be had.
  static absl::StatusOr<std::unique_ptr<CgroupWatcher>> Start(
      Target target, CgroupLedger* ledger);

  // Stops the thread and closes every descriptor.
  ~CgroupWatcher();

  // Cgroup directories watched now.
  std::size_t watched() const;
  // Directories or OOM events that could not be watched (descriptor limit,
  // inotify watch limit, permission), and inotify queue overflows.
  uint64_t failures() const;

 private:
  class Loop;
  explicit CgroupWatcher(std::unique_ptr<Loop> loop);

  std::unique_ptr<Loop> loop_;
  std::thread thread_;
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_WATCHER_H_
