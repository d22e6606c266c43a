// The cgroup collector's flags (--collector.cgroup.*, into CgroupOptions)
// and its registration (collectors/scrape/collector_registry.h).

#include <memory>

#include "collectors/cgroup/cgroup_collector.h"
#include "collectors/cgroup/cgroup_options.h"
#include "collectors/scrape/collector_registry.h"

namespace oom {

OOM_COLLECTOR_REGISTRATION(cgroup) {
  CollectorRegistration cgroup;
  cgroup.name = "cgroup";
  cgroup.enabled_by_default = true;
  cgroup.help =
      "Every memory cgroup's limit, usage, events and pressure, cgroup v1 "
      "and v2, with the workload it belongs to; kills in cgroups removed "
      "between scrapes kept (cgroupfs)";
  cgroup.flags = {
      ListFlag("include", &CgroupOptions::include,
               "Comma-separated shell patterns of cgroup paths to export"),
      ListFlag("exclude", &CgroupOptions::exclude,
               "Comma-separated shell patterns of cgroup paths not to export"),
      DurationFlag("retention", &CgroupOptions::retention,
                   "How long a removed cgroup's event counters stay exported"),
      CountFlag("max-depth", &CgroupOptions::max_depth,
                "Deepest cgroup level exported below the root", 64),
      SwitchFlag(
          "pod-containers", &CgroupOptions::pod_containers,
          "Export the cgroups of Kubernetes containers, inside their pods'"),
  };
  SetFactory<CgroupOptions>(
      &cgroup, [](const FsRoots& roots, const CgroupOptions& options) {
        return std::make_unique<CgroupCollector>(roots, options);
      });
  return cgroup;
}

}  // namespace oom
