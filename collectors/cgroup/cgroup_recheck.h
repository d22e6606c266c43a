#ifndef OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_RECHECK_H_
#define OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_RECHECK_H_

// When the cgroup watcher reads a cgroup again after the kernel signalled
// it (cgroup_watcher.h says why): the schedule alone, without descriptors or
// threads, so that it can be tested with made-up times and readings.
//   v1 OOM eventfd: every 250 us for 20 ms, then after 1, 2, 4, ... up to
//     100 ms, until the oom_kill count moves from its baseline, the cgroup
//     is gone, or 5 s pass.
//   v1 cgroup created while watched: from 1 ms, doubling, for 1 s.
//   v2 memory.events or cgroup.events signal: every 1 ms for the window,
//     through kills (a second kill's signal could be dropped too); a new
//     signal extends it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "collectors/cgroup/cgroup_ledger.h"

namespace oom {

struct Recheck {
  using Clock = CgroupLedger::Clock;

  std::string dir;   // where the cgroup is read
  int64_t baseline;  // oom_kill count to move away from; -1: not known yet
  Clock::time_point next;
  Clock::time_point dense_until;  // `interval` stays until then
  Clock::time_point deadline;
  Clock::duration interval;
  // v2: read until the deadline even after a kill.
  bool window = false;

  // After a v1 OOM signal at `now`, with the count read then.
  static Recheck Signalled(std::string dir, int64_t baseline,
                           Clock::time_point now);
  // For a v1 cgroup whose eventfd was registered after it was created: an
  // OOM signalled between the two would not be signalled again.
  static Recheck Settling(std::string dir, int64_t baseline,
                          Clock::time_point now);
  // After a v2 signal at `now`: every millisecond for `window`.
  static Recheck Window(std::string dir, int64_t kills, Clock::time_point now,
                        Clock::duration window);

  // A v2 signal at `now` for a cgroup read already: the window lasts at
  // least `window` from now, and the next read comes within a millisecond.
  void Extend(Clock::time_point now, Clock::duration window);

  // Takes the reading made at `now` (the oom_kill count; -1 when it could
  // not be read; nullopt when the cgroup is gone). False when the recheck is
  // over: gone, the count moved (v1), or the deadline passed; else `next`
  // says when to read again.
  bool Advance(std::optional<int64_t> kills, Clock::time_point now);
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_RECHECK_H_
