#ifndef OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_COLLECTOR_H_
#define OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_COLLECTOR_H_

// The `cgroup` collector: every memory cgroup's limit, usage, events and
// pressure, with one name for cgroup v1 and v2.
//   oom_cgroup_memory_events_total{cgroup,event}
//   oom_cgroup_memory_events_local_total{cgroup,event}        (v2)
//   oom_cgroup_memory_{usage,limit,high}_bytes{cgroup}
//   oom_cgroup_swap_usage_bytes{cgroup}
//   oom_cgroup_under_oom{cgroup}                               (v1)
//   oom_cgroup_oom_group{cgroup}                               (v2)
//   oom_cgroup_memory_pressure_{waiting,stalled}_seconds_total (v2)
//   oom_cgroup_info{cgroup,uid,qos_class,container_id,unit,lxc}
//   oom_cgroup_hierarchy_info{version,mount_point}
//   oom_cgroup_skipped_total{reason}
//   oom_cgroup_exported, oom_cgroup_retained, oom_cgroup_watched,
//   oom_cgroup_watch_failures_total
// The hierarchy that owns the memory controller is found in the host's
// mount table (DiscoverMemoryHierarchy) and walked once per scrape. Event
// counters come from a CgroupLedger that a CgroupWatcher thread also feeds
// between scrapes, so removed cgroups keep their counts for
// --collector.cgroup.retention.
//
// Which cgroups get series: depth <= --collector.cgroup.max-depth, matching
// include and no exclude pattern, and not inside a Kubernetes pod's cgroup
// unless --collector.cgroup.pod-containers. Series that would only repeat
// themselves are left out: the local events of a cgroup whose local counts
// equal its totals (every leaf), swap on a node without swap, a limit or
// high that is not set, oom_group and under_oom when 0.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "collectors/base/fs.h"
#include "collectors/cgroup/cgroup_ledger.h"
#include "collectors/cgroup/cgroup_options.h"
#include "collectors/cgroup/cgroup_watcher.h"
#include "collectors/kernel/cgroupfs/cgroup_files.h"
#include "collectors/kernel/cgroupfs/cgroup_path.h"
#include "collectors/kernel/cgroupfs/memory_hierarchy.h"
#include "collectors/scrape/collector.h"

namespace oom {

class CgroupCollector : public Collector {
 public:
  // Touches nothing until Start (or the first Collect).
  CgroupCollector(FsRoots roots, CgroupOptions options);
  ~CgroupCollector() override;

  // Finds the memory hierarchy and starts following it (the watcher, which
  // records every tracked cgroup before it returns), so that a cgroup
  // OOM-killed and removed before the first scrape keeps its kill, and, as
  // root, v1 OOM eventfds can be registered (cgroup.event_control). Without
  // Start, the first Collect does this.
  void Start() override;
  // Collects with a ScrapeContext of its own.
  absl::Status Collect(MetricSink& sink) override;
  // Reads the memory hierarchy and meminfo from `scrape`.
  absl::Status CollectInScrape(MetricSink& sink,
                               ScrapeContext& scrape) override;

  // Why a cgroup (or one of its files) was skipped; indexes skipped_.
  enum Reason { kVanished, kPermission, kMalformed, kUnreadable, kReasons };

 private:
  // Makes the ledger and starts the watcher for a newly found hierarchy.
  void Follow(const MemoryHierarchy& hierarchy);
  // Whether `path`, `depth` levels below the root, gets series; when it
  // does, `identity` (if given) receives who it belongs to.
  bool Exported(const std::string& path, std::size_t depth,
                CgroupIdentity* identity = nullptr) const;
  // Whether its counts go into the ledger: on v1 every cgroup, since
  // totals sum the descendants; on v2 the exported ones.
  bool Tracked(const std::string& path, std::size_t depth) const;
  // Walks `dir` (the cgroup `path`) and its descendants.
  void Walk(const MemoryHierarchy& hierarchy, const std::string& dir,
            const std::string& path, std::size_t depth, MetricSink& sink);
  // Reads the event counts of one cgroup into the ledger (empty ones when
  // they cannot be read); nullopt, counted, when the cgroup has vanished.
  std::optional<CgroupEvents> RecordEvents(const MemoryHierarchy& hierarchy,
                                           CgroupDir& dir,
                                           const std::string& path);
  // Records the counts of one cgroup and, when it is exported (`exported`
  // names its workload), adds its gauges and info.
  void CollectOne(const MemoryHierarchy& hierarchy, CgroupDir& dir,
                  const std::string& path, const CgroupIdentity* exported,
                  MetricSink& sink);
  // Adds the event counters of every exported cgroup, live or retained.
  void AddCounters(const MemoryHierarchy& hierarchy, MetricSink& sink);
  // Adds the collector's own gauges and counters (exported, retained,
  // watched, watch failures, skipped).
  void AddTotals(MetricSink& sink);
  void Skip(Reason reason) { ++skipped_[reason]; }

  const FsRoots roots_;
  const CgroupOptions options_;
  std::array<uint64_t, kReasons> skipped_{};
  std::string followed_;  // the hierarchy the ledger and watcher are for
  std::unique_ptr<CgroupLedger> ledger_;
  std::unique_ptr<CgroupWatcher> watcher_;
  uint64_t watch_failures_ = 0;  // watchers that could not start
  // Per scrape:
  std::size_t exported_ = 0;
  std::unordered_set<std::string> exported_paths_;
  std::size_t retained_ = 0;
  bool walk_complete_ = true;  // every directory could be listed
  bool node_has_swap_ = true;
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_COLLECTOR_H_
