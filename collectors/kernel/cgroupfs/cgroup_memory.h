#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_CGROUP_MEMORY_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_CGROUP_MEMORY_H_

// A memory cgroup's files read by what they mean, with one name for cgroup
// v1 and v2: the cgroup and process collectors read limits, usage and swap
// through it and never ask which version they are on.
//
// Each reader reads the file it names when called (nothing is read ahead,
// nothing kept). A file the kernel or the cgroup lacks (the v2 root has no
// memory.current) gives nullopt and is no error; what else goes wrong is
// kept for the caller to count: vanished() when the cgroup went away,
// errors() for files that could not be read or parsed.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "collectors/kernel/cgroupfs/cgroup_files.h"
#include "collectors/kernel/cgroupfs/memory_stat.h"
#include "collectors/kernel/procfs/pressure.h"

namespace oom {

class CgroupMemoryReader {
 public:
  // Reads the files of `dir` (which must outlive the reader), a cgroup of
  // the v2 hierarchy when `v2`, else of v1's memory hierarchy.
  CgroupMemoryReader(CgroupDir& dir, bool v2) : dir_(dir), v2_(v2) {}

  // Memory charged to the cgroup: v2 memory.current, v1
  // memory.usage_in_bytes.
  std::optional<uint64_t> Usage();

  // The reclaimable parts of memory.stat (v2 memory.stat, v1 its total_*
  // keys); nullopt when the file is absent or did not parse (kept in
  // errors()).
  std::optional<MemoryStat> Stat();

  // The hard limit: v2 memory.max, v1 memory.limit_in_bytes; nullopt when
  // none is set.
  std::optional<uint64_t> Limit();

  // The throttling limit, v2 memory.high; nullopt when none is set, and on
  // v1.
  std::optional<uint64_t> High();

  // Swap used: v2 memory.swap.current; v1 memory.memsw.usage_in_bytes (which
  // counts memory and swap; only with swap accounting) minus `usage`, and
  // nullopt without `usage` (the file is read all the same).
  std::optional<uint64_t> SwapUsage(std::optional<uint64_t> usage);

  // The swap the cgroup may use: v2 memory.swap.max; v1
  // memory.memsw.limit_in_bytes minus `limit` (0 when not above it).
  // nullopt when not limited.
  std::optional<uint64_t> SwapLimit(uint64_t limit);

  // v1 memory.swappiness; nullopt on v2, where the node's vm.swappiness
  // applies to every cgroup.
  std::optional<uint64_t> Swappiness();

  // v2 memory.oom.group: 1 when an OOM kill takes all of the cgroup's tasks
  // together. nullopt on v1.
  std::optional<uint64_t> OomGroup();

  // v2 memory.pressure. nullopt on v1.
  std::optional<Pressure> MemoryPressure();

  // Whether a read found the cgroup gone.
  bool vanished() const { return vanished_; }

  // What went wrong besides: files that could not be read (errors as
  // CgroupDir::Read gives them) and files that did not parse
  // (InvalidArgument naming the file), in the order met.
  const std::vector<absl::Status>& errors() const { return errors_; }

 private:
  // The text of `name`, or nullopt (absent, or an error kept).
  std::optional<std::string_view> Text(const char* name);
  // `name` as a byte count, or as a limit (nullopt inside: unlimited).
  std::optional<uint64_t> Bytes(const char* name);
  std::optional<std::optional<uint64_t>> LimitOf(const char* name);
  void Malformed(const char* name, const absl::Status& status);

  CgroupDir& dir_;
  const bool v2_;
  bool vanished_ = false;
  std::vector<absl::Status> errors_;
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_CGROUP_MEMORY_H_
