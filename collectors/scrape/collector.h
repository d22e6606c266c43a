#ifndef OOM_EXPORTER_COLLECTORS_SCRAPE_COLLECTOR_H_
#define OOM_EXPORTER_COLLECTORS_SCRAPE_COLLECTOR_H_

// The collector interface and the list of known collectors, in the manner of
// node_exporter: each collector has a name, a default (on or off) and a
// factory; --collector.NAME / --no-collector.NAME choose which ones run.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "collectors/base/fs.h"
#include "collectors/scrape/metric_sink.h"

namespace oom {

// An extra HTTP endpoint a collector serves, e.g. /api/v1/kills.
struct HttpRoute {
  std::string path;
  std::string content_type;
  std::function<std::string()> body;  // called per request, thread-safe
};

class Collector {
 public:
  virtual ~Collector() = default;

  // Endpoints this collector serves besides the metrics; none by default.
  virtual std::vector<HttpRoute> Routes() { return {}; }

  // Adds this scrape's samples to `sink`. Returns an error when part of the
  // collector's data could not be read; whatever it added is still exported.
  // A kernel feature that is absent (no PSI, no oom_kill counter) is not an
  // error: the collector exports no series for it and returns OK.
  // Called from one thread at a time.
  virtual absl::Status Collect(MetricSink& sink) = 0;
};

// Options of the kmsg collector (--collector.kmsg.*).
struct KmsgOptions {
  std::string path = "/dev/kmsg";
  // Where counts survive restarts; empty: nowhere.
  std::string state_file = "/var/lib/oom_exporter/kmsg.state";
  std::size_t max_series = 1000;  // oom_kills_total label sets
  std::size_t recent_kills = 10;  // oom_recent_kill_timestamp_seconds
  std::size_t api_kills = 100;    // /api/v1/kills
};

// Options of the cgroup collector (--collector.cgroup.*).
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
  // Follow cgroups between scrapes (inotify, v1 OOM eventfds).
  bool watch = true;
};

// Options of the process collector (--collector.process.*).
struct ProcessOptions {
  // Processes exported by oom_score rank; a tracked one stays until it falls
  // below rank 2 * top_k.
  std::size_t top_k = 10;
  // Shell patterns (fnmatch) on the comm: matching processes are exported
  // whatever their rank. Empty: none (and comm is read only for candidates).
  std::vector<std::string> include;
};

// Everything a collector factory may need.
struct CollectorConfig {
  FsRoots roots;
  KmsgOptions kmsg;
  CgroupOptions cgroup;
  ProcessOptions process;
};

struct CollectorInfo {
  std::string name;  // "memory": --collector.memory
  bool enabled_by_default;
  std::string help;  // One line for --help and the landing page.
  std::function<std::unique_ptr<Collector>(const CollectorConfig&)> factory;
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_SCRAPE_COLLECTOR_H_
