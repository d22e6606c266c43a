#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_MOUNTINFO_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_MOUNTINFO_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace oom {

// One line of /proc/<pid>/mountinfo
// (docs/kernel-formats.md#finding-the-hierarchy).
struct Mount {
  std::string root;         // the mounted directory inside its filesystem
  std::string mount_point;  // where it is mounted (octal escapes undone)
  std::string fstype;       // "cgroup", "cgroup2", ...
  std::string source;
  std::string super_options;  // for cgroup v1: the controllers, "rw,memory"
};

struct Mountinfo {
  std::vector<Mount> mounts;
  int malformed_lines = 0;
};

// Parses mountinfo text, skipping and counting malformed lines; fails only
// when no line can be read. Sample (Linux 6.18, this project's CI machine):
//   35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
//   41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
// Optional fields ("shared:1", "master:2") may sit between the options and
// the " - " separator; "\040" and friends encode spaces in paths.
absl::StatusOr<Mountinfo> ParseMountinfo(std::string_view text);

// True when the comma-separated `options` list holds `option` exactly.
bool HasMountOption(std::string_view options, std::string_view option);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_MOUNTINFO_H_
