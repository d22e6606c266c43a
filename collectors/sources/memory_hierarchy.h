#ifndef OOM_EXPORTER_COLLECTORS_SOURCES_MEMORY_HIERARCHY_H_
#define OOM_EXPORTER_COLLECTORS_SOURCES_MEMORY_HIERARCHY_H_

// Where the cgroup hierarchy that owns the memory controller is mounted:
// a cgroup v1 "memory" mount, else a cgroup2 mount whose cgroup.controllers
// lists "memory". The cgroup and process collectors both find it here.

#include <string>

#include "absl/status/statusor.h"
#include "collectors/sources/fs.h"
#include "collectors/sources/mountinfo.h"

namespace oom {

struct MemoryHierarchy {
  bool v2 = false;
  std::string mount_point;  // as mountinfo says
  std::string dir;          // where to read it: under --path.sysfs
  std::string root;         // the mount's root inside the hierarchy
};

// Finds the memory hierarchy among `mounts`; NotFound when there is none.
// Mount points under /sys are read under roots.sysfs.
absl::StatusOr<MemoryHierarchy> FindMemoryHierarchy(const Mountinfo& mounts,
                                                    const FsRoots& roots);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_SOURCES_MEMORY_HIERARCHY_H_
