#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_VMSTAT_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_VMSTAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace oom {

// The counters of /proc/vmstat.
struct Vmstat {
  absl::flat_hash_map<std::string, uint64_t> values;
  // Lines that were not "name number".
  int malformed_lines = 0;

  // The value of `name` ("oom_kill"), or nullopt when the kernel does not
  // print it (oom_kill arrived in 4.13).
  std::optional<uint64_t> Get(std::string_view name) const;
};

// Parses /proc/vmstat text, skipping and counting malformed lines. Fails only
// when no line at all can be read. Sample (Linux 6.18):
//   nr_free_pages 825458
//   nr_free_pages_blocks 798208
//   ...
//   pgscan_direct 0
//   ...
//   oom_kill 1
absl::StatusOr<Vmstat> ParseVmstat(std::string_view text);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_VMSTAT_H_
