#ifndef OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_LEDGER_H_
#define OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_LEDGER_H_

// The cgroup collector's memory of event counts: the last counts read from
// every memory cgroup, written by the scrape's walk and by the watcher
// thread (which reads a cgroup the moment the kernel signals an event), and
// kept after the cgroup is removed for a retention period. This is what
// lets a container that is OOM-killed and removed between two scrapes still
// show its kill.
//
// On cgroup v1 the kernel counts events only in the cgroup where they
// happen. The ledger sums them over descendants so that a v1 "total" means
// what v2's memory.events means: the cgroup and everything below it. The
// counts of a removed descendant stay in its ancestors' totals after its
// own series are dropped, so totals never go down while the exporter runs.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collectors/kernel/cgroupfs/cgroup_files.h"

namespace oom {

class CgroupLedger {
 public:
  using Clock = std::chrono::steady_clock;

  // `sum_descendants`: v1, where totals are computed from the descendants'
  // own counts. `retention`: how long a removed cgroup's counts are kept.
  CgroupLedger(bool sum_descendants, Clock::duration retention);

  // Records counts read from the live cgroup `path` (normalized, as
  // NormalizeCgroupPath gives), whose directory has inode `inode`, at `now`.
  // Counts of the same cgroup only go up: a stale reading from a slower
  // reader does not lower them. A different inode means the path was
  // removed and made again; the old cgroup is retired first.
  void Record(const std::string& path, uint64_t inode,
              const CgroupEvents& events, Clock::time_point now);

  // The cgroup at `path` and everything below it are gone, seen at `now`.
  void MarkRemoved(const std::string& path, Clock::time_point now);

  // Marks as removed every live cgroup not recorded since `since` (the start
  // of a walk that covered every tracked cgroup). Returns how many.
  std::size_t MarkUnseenRemoved(Clock::time_point since, Clock::time_point now);

  // Forgets removed cgroups older than the retention period. On v1 their
  // counts move into the nearest ancestor, whose total keeps them.
  void Expire(Clock::time_point now);

  struct Row {
    std::string path;
    CgroupEventCounts total;  // v2 as read; v1 summed over descendants
    CgroupEventCounts local;
    bool removed = false;
  };
  // Every cgroup the ledger holds, live and retained, ordered by path.
  std::vector<Row> Rows() const;

  // Removed cgroups still held.
  std::size_t retained() const;

 private:
  struct Entry {
    uint64_t inode = 0;
    CgroupEventCounts total = kNoCgroupEvents;
    CgroupEventCounts local = kNoCgroupEvents;
    // v1: own counts of descendants (and earlier cgroups at this path) that
    // were forgotten; part of this cgroup's total.
    CgroupEventCounts departed = kNoCgroupEvents;
    Clock::time_point seen;
    std::optional<Clock::time_point> removed;
  };
  using Map = std::map<std::string, Entry>;

  // Moves `entry`'s own and departed counts into the nearest ancestor of
  // `path` held (v1 only).
  void Retire(const std::string& path, const Entry& entry);
  Map::iterator Ancestor(const std::string& path);

  const bool sum_descendants_;
  const Clock::duration retention_;
  mutable std::mutex mutex_;
  Map entries_;
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_LEDGER_H_
