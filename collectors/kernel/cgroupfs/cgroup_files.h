#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_CGROUP_FILES_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_CGROUP_FILES_H_

// Parsers of the one-value memory cgroup files. The "key value" files
// (memory.events, memory.events.local, memory.oom_control) have the format
// of /proc/vmstat and use ParseVmstat; memory.pressure uses ParsePressure.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// Appends the pids listed in cgroup.procs (one per line) to `pids`, skipping
// lines that are not a pid. 0 is a process outside the reader's pid
// namespace. Sample (Linux 6.18, a container with a shell and a worker):
//   20097
//   20104
void ParseCgroupProcs(std::string_view text, std::vector<int32_t>* pids);

// The memory events of cgroup v2's memory.events, in the kernel's order.
inline constexpr std::array<std::string_view, 6> kCgroupEventNames = {
    "low", "high", "max", "oom", "oom_kill", "oom_group_kill"};
inline constexpr std::size_t kCgroupEvents = kCgroupEventNames.size();
inline constexpr std::size_t kCgroupEventMax = 2;
inline constexpr std::size_t kCgroupEventOomKill = 4;

// One count per kCgroupEventNames entry; -1 where the kernel has none.
using CgroupEventCounts = std::array<int64_t, kCgroupEvents>;
inline constexpr CgroupEventCounts kNoCgroupEvents = {-1, -1, -1, -1, -1, -1};

// The event counters of one memory cgroup, as one read of its files gives.
struct CgroupEvents {
  // v2: memory.events, which counts the cgroup and its descendants. v1 has
  // no such file: all -1 (a caller sums the descendants' `local`).
  CgroupEventCounts total = kNoCgroupEvents;
  // v2: memory.events.local (Linux 5.2+). v1: the cgroup's own counts,
  // "oom_kill" from memory.oom_control (Linux 4.13+) and "max" from
  // memory.failcnt (times usage hit the limit).
  CgroupEventCounts local = kNoCgroupEvents;
  // v1 memory.oom_control "under_oom"; nullopt on v2.
  std::optional<uint64_t> under_oom;
};

// Parses memory.events / memory.events.local (v2) into counts. Sample
// (Linux 6.x, memory.events of a container after one OOM kill):
//   low 0
//   high 0
//   max 120
//   oom 1
//   oom_kill 1
//   oom_group_kill 0
absl::StatusOr<CgroupEventCounts> ParseCgroupEventCounts(std::string_view text);

// An open cgroup directory whose files are read relative to it (openat):
// one path walk per cgroup instead of one per file, which is most of what
// reading cgroupfs costs. Files are read with as few read() calls as the
// kernel allows: cgroup files are seq files, which return everything they
// have in one call when the buffer is large enough.
class CgroupDir {
 public:
  // Opens the directory `path`. NotFound when it does not exist (a cgroup
  // that is gone), other errors as ReadFile says.
  static absl::StatusOr<CgroupDir> Open(std::string path);

  CgroupDir(CgroupDir&& other) noexcept;
  CgroupDir& operator=(CgroupDir&& other) = delete;
  ~CgroupDir();

  const std::string& path() const { return path_; }
  uint64_t inode() const { return inode_; }

  // Reads the file `name`; the text stays valid until the next Read. nullopt
  // when the kernel (or this cgroup) has no such file; NotFound when the
  // cgroup itself is gone; PermissionDenied and others naming the file.
  absl::StatusOr<std::optional<std::string_view>> Read(const char* name);

  // The names of the subdirectories: the child cgroups. Skips listing when
  // the link count says there are none (cgroupfs, like most file systems,
  // counts 2 + subdirectories).
  absl::StatusOr<std::vector<std::string>> Children();

 private:
  CgroupDir(int fd, std::string path, uint64_t inode, uint64_t links)
      : fd_(fd), path_(std::move(path)), inode_(inode), links_(links) {}

  int fd_;
  std::string path_;
  uint64_t inode_;
  uint64_t links_;
  std::string buffer_;
};

// Reads the event counters of the cgroup `dir` (v2 when `v2`). A file the
// kernel lacks leaves its counts at -1. Errors: NotFound when the cgroup
// itself is gone; PermissionDenied, InvalidArgument (a file that does not
// parse) and others as ReadFile says, naming the file.
absl::StatusOr<CgroupEvents> ReadCgroupEvents(CgroupDir& dir, bool v2);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_CGROUP_FILES_H_
