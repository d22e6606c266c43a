#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_MEMORY_HIERARCHY_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_MEMORY_HIERARCHY_H_

// Where the cgroup hierarchy that owns the memory controller is mounted:
// a cgroup v1 "memory" mount, else a cgroup2 mount whose cgroup.controllers
// lists "memory". The cgroup and process collectors both find it here.

#include <string>

#include "absl/status/statusor.h"
#include "collectors/base/fs.h"
#include "collectors/kernel/procfs/mountinfo.h"

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

// Reads the mount table and finds the memory hierarchy in it. The table is
// that of pid 1 (<procfs>/1/mountinfo): with the host's procfs, e.g.
// --path.procfs=/host/proc in a container that shares the host's pid
// namespace, that is the host's, whose cgroup mounts are what
// --path.sysfs=/host/sys shows; the container's own table would name its
// runtime's cgroup mount and root instead. Falls back to
// <procfs>/self/mountinfo where pid 1's cannot be read. NotFound when
// there is no memory hierarchy (or no mount table at all).
absl::StatusOr<MemoryHierarchy> DiscoverMemoryHierarchy(const FsRoots& roots);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_MEMORY_HIERARCHY_H_
