#ifndef OOM_EXPORTER_COLLECTORS_OOM_BADNESS_H_
#define OOM_EXPORTER_COLLECTORS_OOM_BADNESS_H_

// The kernel's OOM arithmetic (docs/kernel-formats.md#the-oom-score): how
// bad the OOM killer finds a task, and what /proc/<pid>/oom_score prints
// for it, as functions of what /proc/<pid>/status and oom_score_adj show
// (collectors/kernel/procfs/proc_pid.h parses those). Pure.

#include <cstdint>

namespace oom {

// The kernel's badness of a killable task (oom_badness, 4.15+;
// 3.10-4.14 count page-table pages the same way through nr_ptes/nr_pmds):
//   rss + swap entries + page-table bytes / PAGE_SIZE
//   + oom_score_adj * (totalpages / 1000)
// in pages. `totalpages` is RAM + swap for the whole machine, or the memory
// cgroup's limit (mem_cgroup_get_max) for a cgroup OOM. Can be negative.
int64_t OomBadness(uint64_t rss_pages, uint64_t swap_pages,
                   uint64_t pgtables_bytes, int64_t oom_score_adj,
                   uint64_t totalpages, uint64_t page_size);

// What /proc/<pid>/oom_score prints for a killable task of `badness`:
// 5.9+:                   (1000 + badness * 1000 / totalpages) * 2 / 3
// before 5.9:             max(badness, 1) * 1000 / totalpages
// (both with C's truncating division; negative results print as 0).
int64_t OomScoreSince59(int64_t badness, uint64_t totalpages);
int64_t OomScoreBefore59(int64_t badness, uint64_t totalpages);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_OOM_BADNESS_H_
