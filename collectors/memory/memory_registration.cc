// The memory collector's registration (collectors/scrape/collector_registry.h):
// no flags of its own.

#include <memory>

#include "collectors/memory/memory_collector.h"
#include "collectors/scrape/collector_registry.h"

namespace oom {

OOM_COLLECTOR_REGISTRATION(memory) {
  CollectorRegistration memory;
  memory.name = "memory";
  memory.enabled_by_default = true;
  memory.help =
      "Node memory, overcommit, PSI and the kernel's OOM kill counter "
      "(/proc/meminfo, /proc/vmstat, /proc/pressure/memory, /proc/sys/vm)";
  memory.factory = [](const FsRoots& roots, const CollectorOptions&) {
    return std::make_unique<MemoryCollector>(roots);
  };
  return memory;
}

}  // namespace oom
