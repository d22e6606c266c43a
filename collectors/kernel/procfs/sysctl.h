#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_SYSCTL_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_SYSCTL_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace oom {

// Parses a one-integer sysctl file such as /proc/sys/vm/overcommit_memory.
// Sample (Linux 6.18, /proc/sys/vm/overcommit_ratio):
//   50
// Surrounding white space is ignored; anything else (empty, "50 60", "abc")
// is an InvalidArgument error.
absl::StatusOr<int64_t> ParseSysctlInt(std::string_view text);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_SYSCTL_H_
