#include "collectors/scrape/scrape_context.h"

namespace oom {

const absl::StatusOr<Meminfo>& ScrapeContext::MeminfoOf(const FsRoots& roots) {
  auto it = meminfo_.find(roots.procfs);
  if (it == meminfo_.end()) {
    it = meminfo_.emplace(roots.procfs, ReadMeminfo(roots)).first;
  }
  return it->second;
}

const absl::StatusOr<MemoryHierarchy>& ScrapeContext::HierarchyOf(
    const FsRoots& roots) {
  RootsKey key(roots.procfs, roots.sysfs);
  auto it = hierarchies_.find(key);
  if (it == hierarchies_.end()) {
    it = hierarchies_.emplace(key, DiscoverMemoryHierarchy(roots)).first;
  }
  return it->second;
}

}  // namespace oom
