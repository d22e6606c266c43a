#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_MEMORY_STAT_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_MEMORY_STAT_H_

// How much of a memory cgroup's usage the kernel can take back before it
// kills: the reclaimable parts of memory.stat, and the two measures the cgroup
// collector derives from them (docs/kernel-formats.md#memory-stat).

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace oom {

// The reclaimable parts of a cgroup's memory, in bytes, counting its
// descendants as memory.current and memory.usage_in_bytes do.
struct MemoryStat {
  // Page cache on the file LRU lists. Shared memory and tmpfs pages are not
  // there (they sit on the anon lists, swap-backed), nor are mlocked pages
  // (the unevictable list).
  uint64_t active_file = 0;
  uint64_t inactive_file = 0;
  // Reclaimable slab (dentries, inodes); v2 only, 0 on v1, which does not
  // print slab.
  uint64_t slab_reclaimable = 0;
};

// Parses memory.stat: on v2 (`v2`) the keys `active_file`, `inactive_file`
// and `slab_reclaimable` (0 when absent), which v2 counts over the subtree;
// on v1 the hierarchical `total_active_file` and `total_inactive_file` (v1's
// keys without `total_` are the cgroup's own). Other lines are ignored.
// InvalidArgument when a file key is missing or a value used is not a
// number.
//
// v2 sample (Linux 6.1, a cgroup holding 32 MiB of a disk read twice;
// memory.current 34914304; tests/fixtures/memory-stat/linux-6.1-v2-file):
//   anon 0
//   file 34603008
//   kernel 81920
//   kernel_stack 0
//   pagetables 0
//   ...
//   shmem 0
//   ...
//   inactive_anon 0
//   active_anon 0
//   inactive_file 1048576
//   active_file 33554432
//   unevictable 0
//   slab_reclaimable 79064
//   slab_unreclaimable 4248
//   slab 83312
//   workingset_refault_anon 0
//   ...
// v1 sample (Linux 6.18, a cgroup holding 15 MiB of anonymous memory and
// 16 MiB of page cache read twice; usage_in_bytes 33206272):
//   cache 17285120
//   rss 15421440
//   ...
//   inactive_file 0
//   active_file 17285120
//   ...
//   hierarchical_memory_limit 67108864
//   total_cache 17285120
//   total_rss 15421440
//   ...
//   total_inactive_anon 15417344
//   total_active_anon 4096
//   total_inactive_file 0
//   total_active_file 17285120
//   total_unevictable 0
absl::StatusOr<MemoryStat> ParseMemoryStat(std::string_view text, bool v2);

// The working set as the kubelet and cAdvisor compute it: `usage` minus the
// inactive page cache, 0 when that is larger. It still counts active page
// cache, which the kernel reclaims before it kills.
uint64_t WorkingSetBytes(uint64_t usage, const MemoryStat& stat);

// What the kernel cannot reclaim without swap or a kill: `usage` minus the
// page cache on the file LRU lists and the reclaimable slab, 0 when that is
// larger. What remains is anonymous memory and swap cache, shared memory and
// tmpfs, mlocked pages, and kernel memory other than reclaimable slab (on v1
// all kernel memory). The two reads are not atomic: memory.stat may lag
// usage by the kernel's statistics flush (about 2 s).
uint64_t UnreclaimableBytes(uint64_t usage, const MemoryStat& stat);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_MEMORY_STAT_H_
