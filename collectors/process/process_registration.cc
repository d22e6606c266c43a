// The process collector's flags (--collector.process.*, into ProcessOptions)
// and its registration (collectors/scrape/collector_registry.h).

#include <memory>

#include "collectors/process/process_collector.h"
#include "collectors/process/process_options.h"
#include "collectors/scrape/collector_registry.h"

namespace oom {

OOM_COLLECTOR_REGISTRATION(process) {
  CollectorRegistration process;
  process.name = "process";
  process.enabled_by_default = true;
  process.help =
      "Which processes the OOM killer would kill first, node-wide and in "
      "each memory cgroup near its limit (/proc/<pid>/oom_score and a few "
      "files of the top candidates; cgroupfs)";
  process.flags = {
      ListFlag("include", &ProcessOptions::include,
               "Comma-separated shell patterns of process names (comm) to "
               "export whatever their rank"),
      CountFlag("top-k", &ProcessOptions::top_k,
                "Processes exported by oom_score rank (a tracked one stays "
                "until rank 2K)",
                1000),
  };
  SetFactory<ProcessOptions>(
      &process, [](const FsRoots& roots, const ProcessOptions& options) {
        return std::make_unique<ProcessCollector>(roots, options);
      });
  return process;
}

}  // namespace oom
