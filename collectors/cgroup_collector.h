#ifndef OOM_EXPORTER_COLLECTORS_CGROUP_COLLECTOR_H_
#define OOM_EXPORTER_COLLECTORS_CGROUP_COLLECTOR_H_

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
// The hierarchy that owns the memory controller is found in
// /proc/self/mountinfo and walked once per scrape.
//
// Work in progress (issue 4), hence off by default: v1 event counts are the
// cgroup's own (v2's are hierarchical), cgroups removed between scrapes are
// not yet captured, and the default depth does not yet bound the series of
// a large Kubernetes node.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "collectors/collector.h"

namespace oom {

class CgroupCollector : public Collector {
 public:
  CgroupCollector(FsRoots roots, CgroupOptions options);

  absl::Status Collect(MetricSink& sink) override;

  // Why a cgroup (or one of its files) was skipped; indexes skipped_.
  enum Reason { kVanished, kPermission, kMalformed, kUnreadable, kReasons };

 private:
  struct Hierarchy {
    bool v2 = false;
    std::string mount_point;  // as mountinfo says
    std::string dir;          // where to read it, under --path.sysfs
    std::string root;         // the mount's root inside the hierarchy
  };

  // Finds the hierarchy of the memory controller; NotFound when none.
  absl::StatusOr<Hierarchy> Discover() const;
  // Walks `dir` (the cgroup `path`) and its descendants.
  void Walk(const Hierarchy& hierarchy, const std::string& dir,
            const std::string& path, std::size_t depth, MetricSink& sink);
  // Adds the series of one cgroup; false when it vanished meanwhile.
  bool CollectOne(const Hierarchy& hierarchy, const std::string& dir,
                  const std::string& path, MetricSink& sink);
  bool Wanted(const std::string& path) const;
  void Skip(Reason reason) { ++skipped_[reason]; }

  const FsRoots roots_;
  const CgroupOptions options_;
  std::array<uint64_t, kReasons> skipped_{};
  std::size_t exported_ = 0;  // cgroups exported in the current scrape
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_CGROUP_COLLECTOR_H_
