// Fuzzes the parsers of cgroup text. The first input byte chooses, modulo
// 6: 0 ParseMountinfo (/proc/self/mountinfo), 1 NormalizeCgroupPath and
// IdentifyCgroup (cgroup paths come from kernel log lines, and container
// runtimes and users choose their names), 2 ParseCgroupEventCounts
// (memory.events, memory.oom_control), 3 ParseCgroupBytes and
// ParseCgroupLimit (memory.current, memory.max, memory.failcnt), 4 and 5
// ParseMemoryStat (memory.stat, v1 and v2). Traps when a result breaks its
// header's promise:
//  - a normalized path begins with "/", has no trailing "/" (unless it is
//    the root), and normalizing it again changes nothing;
//  - a mountinfo parse that succeeded read at least one mount, and no more
//    mounts and malformed lines than there are lines;
//  - event counts are a count or -1 (absent);
//  - a limit is never PAGE_COUNTER_MAX or more, and a byte count below it
//    reads as the same limit;
//  - of any usage, the unreclaimable part is at most the working set, which
//    is at most the usage.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "collectors/kernel/cgroupfs/cgroup_files.h"
#include "collectors/kernel/cgroupfs/cgroup_path.h"
#include "collectors/kernel/cgroupfs/memory_stat.h"
#include "collectors/kernel/procfs/mountinfo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 6 >= 4) {
    absl::StatusOr<oom::MemoryStat> stat =
        oom::ParseMemoryStat(text, data[0] % 6 == 5);
    if (!stat.ok()) return 0;
    for (uint64_t usage :
         {uint64_t{0}, uint64_t{4096}, uint64_t{1} << 30, ~uint64_t{0}}) {
      uint64_t working_set = oom::WorkingSetBytes(usage, *stat);
      uint64_t unreclaimable = oom::UnreclaimableBytes(usage, *stat);
      if (working_set > usage || unreclaimable > working_set) {
        __builtin_trap();
      }
    }
    return 0;
  }
  if (data[0] % 6 == 2) {
    absl::StatusOr<oom::CgroupEventCounts> counts =
        oom::ParseCgroupEventCounts(text);
    if (!counts.ok()) return 0;
    for (int64_t count : *counts) {
      if (count < -1) __builtin_trap();
    }
    return 0;
  }
  if (data[0] % 6 == 3) {
    constexpr uint64_t kUnlimited = uint64_t{1} << 62;
    absl::StatusOr<std::optional<uint64_t>> limit = oom::ParseCgroupLimit(text);
    if (limit.ok() && *limit && **limit >= kUnlimited) __builtin_trap();
    absl::StatusOr<uint64_t> bytes = oom::ParseCgroupBytes(text);
    if (bytes.ok() && *bytes < kUnlimited &&
        !(limit.ok() && *limit && **limit == *bytes)) {
      __builtin_trap();
    }
    return 0;
  }
  if (data[0] % 6 == 0) {
    absl::StatusOr<oom::Mountinfo> mountinfo = oom::ParseMountinfo(text);
    if (!mountinfo.ok()) return 0;
    if (mountinfo->mounts.empty()) __builtin_trap();
    int lines = 1;
    for (char c : text) lines += c == '\n';
    if (mountinfo->malformed_lines +
            static_cast<int>(mountinfo->mounts.size()) >
        lines) {
      __builtin_trap();
    }
    for (const oom::Mount& mount : mountinfo->mounts) {
      oom::HasMountOption(mount.super_options, "memory");
    }
    return 0;
  }
  std::string path = oom::NormalizeCgroupPath(text);
  if (path.empty() || path[0] != '/') __builtin_trap();
  if (path.size() > 1 && path.back() == '/') __builtin_trap();
  if (oom::NormalizeCgroupPath(path) != path) __builtin_trap();
  oom::IdentifyCgroup(text);
  oom::IdentifyCgroup(path);
  return 0;
}
