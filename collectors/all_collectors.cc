// The list of collectors. A new collector adds one entry here, and its own
// pair of files: collectors/NAME_collector.{h,cc}.

#include "collectors/all_collectors.h"

#include "collectors/cgroup/cgroup_collector.h"
#include "collectors/kmsg/kmsg_collector.h"
#include "collectors/memory/memory_collector.h"
#include "collectors/process/process_collector.h"

namespace oom {

const std::vector<CollectorInfo>& AllCollectors() {
  static const std::vector<CollectorInfo>* const kAll =
      new std::vector<CollectorInfo>{
          {"memory", true,
           "Node memory, overcommit, PSI and the kernel's OOM kill counter "
           "(/proc/meminfo, /proc/vmstat, /proc/pressure/memory, "
           "/proc/sys/vm)",
           [](const CollectorConfig& config) {
             return std::make_unique<MemoryCollector>(config.roots);
           }},
          {"kmsg", true,
           "Every OOM kill in the kernel log, with its victim, counted once "
           "across restarts (/dev/kmsg)",
           [](const CollectorConfig& config) {
             return std::make_unique<KmsgCollector>(config.roots, config.kmsg);
           }},
          {"process", true,
           "Which processes the OOM killer would kill first, node-wide and in "
           "each memory cgroup near its limit (/proc/<pid>/oom_score and a "
           "few files of the top candidates; cgroupfs)",
           [](const CollectorConfig& config) {
             return std::make_unique<ProcessCollector>(config.roots,
                                                       config.process);
           }},
          {"cgroup", true,
           "Every memory cgroup's limit, usage, events and pressure, cgroup v1 "
           "and v2, with the workload it belongs to; kills in cgroups removed "
           "between scrapes kept (cgroupfs)",
           [](const CollectorConfig& config) {
             return std::make_unique<CgroupCollector>(config.roots,
                                                      config.cgroup);
           }},
      };
  return *kAll;
}

const CollectorInfo* FindCollector(std::string_view name) {
  for (const CollectorInfo& info : AllCollectors()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::shared_ptr<ScrapeRegistry> BuildScrapeRegistry(
    const std::vector<std::string>& names, const CollectorConfig& config) {
  auto registry = std::make_shared<ScrapeRegistry>();
  for (const std::string& name : names) {
    const CollectorInfo* info = FindCollector(name);
    if (info == nullptr) continue;
    registry->Add(name, info->factory(config));
  }
  return registry;
}

}  // namespace oom
