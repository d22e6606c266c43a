#ifndef OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_OPTIONS_H_
#define OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_OPTIONS_H_

// The cgroup collector's options; cgroup_registration.cc binds each (but
// `watch`) to its flag (--collector.cgroup.*), whose default is the value
// here.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace oom {

struct CgroupOptions {
  // Deepest level exported below the hierarchy's root (depth 0): 3 reaches
  // Kubernetes pods, systemd units and user sessions, Docker and LXC
  // containers.
  std::size_t max_depth = 3;
  // Shell patterns (fnmatch, '*' also matches '/') on the cgroup path: a
  // cgroup is exported when it matches an include pattern and no exclude
  // pattern; the walk goes on below excluded cgroups.
  std::vector<std::string> include = {"*"};
  std::vector<std::string> exclude;
  // Export the cgroups inside a Kubernetes pod's (its containers, pause,
  // conmon) too; the pod's own cgroup already counts their events.
  bool pod_containers = false;
  // How long the counts of a removed cgroup stay exported.
  std::chrono::milliseconds retention = std::chrono::hours(1);
  // Follow cgroups between scrapes (inotify, v1 OOM eventfds); tests turn
  // it off, no flag does.
  bool watch = true;
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_CGROUP_CGROUP_OPTIONS_H_
