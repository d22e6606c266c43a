#ifndef OOM_EXPORTER_COLLECTORS_SOURCES_CGROUP_FILES_H_
#define OOM_EXPORTER_COLLECTORS_SOURCES_CGROUP_FILES_H_

// Parsers of the one-value memory cgroup files. The "key value" files
// (memory.events, memory.events.local, memory.oom_control) have the format
// of /proc/vmstat and use ParseVmstat; memory.pressure uses ParsePressure.

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"

namespace oom {

// A byte count such as memory.current or memory.usage_in_bytes. Sample
// (Linux 6.18, cgroup v1 memory.usage_in_bytes):
//   67108864
absl::StatusOr<uint64_t> ParseCgroupBytes(std::string_view text);

// A limit: memory.max / memory.high (v2) or memory.limit_in_bytes (v1).
// nullopt means "no limit": v2 prints "max"; v1 prints PAGE_COUNTER_MAX
// pages, 9223372036854771712 with 4 KiB pages, so anything at or above
// 2^62 counts as unlimited. Samples (Linux 6.18):
//   max
//   9223372036854771712
//   67108864
absl::StatusOr<std::optional<uint64_t>> ParseCgroupLimit(std::string_view text);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_SOURCES_CGROUP_FILES_H_
