#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_MEMINFO_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_MEMINFO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "collectors/base/fs.h"

namespace oom {

// The fields of /proc/meminfo. Values with a "kB" unit are stored in bytes;
// unitless values (HugePages_Total, ...) as printed.
struct Meminfo {
  absl::flat_hash_map<std::string, uint64_t> values;
  // Lines that were not "Key: number [kB]" (a truncated read, garbage).
  int malformed_lines = 0;

  // The value of `key` ("MemTotal"), or nullopt when the kernel does not print
  // it (MemAvailable arrived in 3.14).
  std::optional<uint64_t> Get(std::string_view key) const;
};

// Parses /proc/meminfo text, skipping and counting malformed lines. Fails only
// when no line at all can be read. Sample (Linux 6.18):
//   MemTotal:       24682416 kB
//   MemFree:        23174904 kB
//   MemAvailable:   24357196 kB
//   ...
//   CommitLimit:    12341208 kB
//   Committed_AS:      49344 kB
//   HugePages_Total:       0
absl::StatusOr<Meminfo> ParseMeminfo(std::string_view text);

// Reads <roots.procfs>/meminfo and parses it. Errors: ReadFile's (which name
// the file), or the parser's with the file's path in front.
absl::StatusOr<Meminfo> ReadMeminfo(const FsRoots& roots);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_MEMINFO_H_
