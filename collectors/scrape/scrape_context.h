#ifndef OOM_EXPORTER_COLLECTORS_SCRAPE_SCRAPE_CONTEXT_H_
#define OOM_EXPORTER_COLLECTORS_SCRAPE_SCRAPE_CONTEXT_H_

// What the collectors of one scrape share: facts about the node that more
// than one collector needs, read on first use and kept until the scrape
// ends. The ScrapeRegistry makes one per run of its collectors; a collector
// run alone (a test, a benchmark) makes its own. Each fact is kept per
// FsRoots, so collectors pointed at different trees never see each other's.
//
// A fact's error is kept like its value: every collector that asks gets the
// same status and reports it (or not) as it always has.
//
// Not thread-safe: a scrape calls its collectors one at a time.

#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "collectors/base/fs.h"
#include "collectors/kernel/cgroupfs/memory_hierarchy.h"
#include "collectors/kernel/procfs/meminfo.h"

namespace oom {

class ScrapeContext {
 public:
  ScrapeContext() = default;
  ScrapeContext(const ScrapeContext&) = delete;
  ScrapeContext& operator=(const ScrapeContext&) = delete;

  // /proc/meminfo under roots.procfs, as ReadMeminfo gives it; read once per
  // scrape.
  const absl::StatusOr<Meminfo>& MeminfoOf(const FsRoots& roots);

  // The memory cgroup hierarchy, as DiscoverMemoryHierarchy gives it; found
  // once per scrape.
  const absl::StatusOr<MemoryHierarchy>& HierarchyOf(const FsRoots& roots);

 private:
  using RootsKey = std::pair<std::string, std::string>;  // procfs, sysfs

  std::map<std::string, absl::StatusOr<Meminfo>> meminfo_;
  std::map<RootsKey, absl::StatusOr<MemoryHierarchy>> hierarchies_;
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_SCRAPE_SCRAPE_CONTEXT_H_
