#ifndef OOM_EXPORTER_COLLECTORS_PROCESS_PROCESS_COLLECTOR_H_
#define OOM_EXPORTER_COLLECTORS_PROCESS_PROCESS_COLLECTOR_H_

// The `process` collector: who the OOM killer would kill next.
//   oom_process_score{pid,comm,cgroup}              /proc/<pid>/oom_score
//   oom_process_score_adj{pid,comm,cgroup}          /proc/<pid>/oom_score_adj
//   oom_process_resident_memory_bytes{pid,comm,cgroup}  status VmRSS
//   oom_process_swap_bytes{pid,comm,cgroup}         status VmSwap
//   oom_process_badness_ratio{pid,comm,cgroup}      the kernel's badness over
//                                                   RAM + swap (any kernel)
//   oom_processes, oom_processes_protected, oom_process_score_max
//   oom_process_hidepid, oom_process_skipped_total{reason}
//   oom_cgroup_next_victim_score{cgroup,pid,comm}   for memory cgroups whose
//                                                   unreclaimable memory is
//                                                   above 80 % of their limit
//
// Cost per scrape: one getdents64 pass over procfs and one small read
// (oom_score) per process; oom_score_adj only where oom_score is 0 (to count
// the protected ones); comm only when --collector.process.include is set.
// The few candidates for the top K (at most 4K + 16) and the tracked
// processes are then read in full (stat, status, oom_score_adj, oom_score,
// cgroup) through one directory descriptor each, so that all their values
// belong to one process even if its pid is reused meanwhile. No descriptor is
// kept between scrapes.
//
// Ranking (top_k.h): by oom_score, the kernel's own order; ties by "tracked
// before", then lower pid, so that the exported set does not flap. A tracked
// process (same pid and start time) stays exported while its rank (1 + the
// number of processes with a higher oom_score) is at most 2K; at most 2K are
// tracked. Zombies, kernel threads and processes with oom_score_adj -1000
// are never ranked: the kernel cannot choose them.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "collectors/base/fs.h"
#include "collectors/kernel/cgroupfs/cgroup_files.h"
#include "collectors/kernel/cgroupfs/memory_hierarchy.h"
#include "collectors/kernel/procfs/meminfo.h"
#include "collectors/kernel/procfs/proc_pid.h"
#include "collectors/kernel/procfs/proc_reader.h"
#include "collectors/process/process_options.h"
#include "collectors/process/top_k.h"
#include "collectors/scrape/collector.h"

namespace oom {

class ProcessCollector : public Collector {
 public:
  ProcessCollector(FsRoots roots, ProcessOptions options);

  // Collects with a ScrapeContext of its own.
  absl::Status Collect(MetricSink& sink) override;
  // Reads meminfo and the memory hierarchy from `scrape`.
  absl::Status CollectInScrape(MetricSink& sink,
                               ScrapeContext& scrape) override;

  // Why a process (or one of its files) was skipped; indexes skipped_.
  enum Reason { kVanished, kPermission, kMalformed, kUnreadable, kReasons };

 private:
  // What is read of a candidate.
  struct Details {
    int32_t pid = 0;
    ProcStat stat;
    ProcStatus status;
    int64_t adj = 0;
    int64_t score = 0;
    std::string cgroup;  // normalized; "" when unreadable
  };
  // The node's memory in pages, as the kernel counts it for a global OOM.
  struct NodePages {
    uint64_t total = 0;  // RAM + swap
    uint64_t swap = 0;
  };
  // What the scan counted.
  struct ScanCounts {
    uint64_t processes = 0;
    uint64_t protected_processes = 0;
    int64_t score_max = -1;
  };
  // One walk over the memory hierarchy for CollectNextVictims.
  struct VictimWalk {
    const MemoryHierarchy* hierarchy;
    ProcReader* reader;
    uint64_t swap_total_pages;
    std::optional<std::optional<uint64_t>> node_swappiness;  // read once
  };

  // NodePages from meminfo; nullopt when it has no MemTotal.
  std::optional<NodePages> PagesOf(
      const absl::StatusOr<Meminfo>& meminfo) const;
  // Adds oom_process_hidepid from <procfs>/self/mountinfo.
  void AddHidepid(MetricSink& sink) const;
  // One small read (oom_score) per process of pids_ into scan_, and comm
  // where --collector.process.include asks (into included_).
  ScanCounts Scan(ProcReader& reader);
  // Whether the comm of `pid` matches an include pattern.
  bool Included(ProcReader& reader, int32_t pid);
  // The processes to export: the top K (top_k_), then those named by
  // --collector.process.include.
  std::vector<Details> Choose(ProcReader& reader);

  // Reads stat, then (unless the process is a zombie or a kernel thread)
  // status and oom_score_adj, and with `full` also oom_score and cgroup.
  // False when the process vanished or a file could not be read or parsed
  // (counted in skipped_).
  bool ReadDetails(ProcReader& reader, int32_t pid, bool full, Details* out);
  // True when the kernel could choose it: not a zombie, not a kernel thread,
  // has memory, oom_score_adj above -1000.
  static bool Killable(const Details& details);
  void SkipErrno(int err);
  void Export(const Details& details, uint64_t totalpages, MetricSink& sink);

  // Walks the memory hierarchy for cgroups whose unreclaimable memory is
  // above 80 % of their limit and exports the process the kernel would kill
  // in each.
  void CollectNextVictims(const MemoryHierarchy& hierarchy, ProcReader& reader,
                          uint64_t swap_total_pages, MetricSink& sink);
  void WalkCgroups(VictimWalk& walk, const std::string& dir,
                   const std::string& path, int depth, MetricSink& sink);
  // The cgroup's limit in pages plus the swap it may use (the kernel's
  // mem_cgroup_get_max()) when its unreclaimable memory (UnreclaimableBytes;
  // usage when memory.stat cannot be read) is above 80 % of its limit, else
  // nullopt.
  std::optional<uint64_t> HotCgroupPages(VictimWalk& walk, CgroupDir& cgroup);
  // The killable process of `pids` with the highest badness against
  // `totalpages`, with its badness.
  std::optional<std::pair<Details, int64_t>> WorstOf(
      ProcReader& reader, const std::vector<int32_t>& pids,
      uint64_t totalpages);
  // Appends the pids of `dir` (cgroup.procs) and of its descendants.
  void SubtreePids(const std::string& dir, int depth,
                   std::vector<int32_t>* pids);

  const FsRoots roots_;
  const ProcessOptions options_;
  const uint64_t page_size_;

  // Reused from scrape to scrape: no allocation per process.
  std::vector<int32_t> pids_;
  std::vector<ScannedProcess> scan_;
  std::vector<int32_t> included_;
  std::string buffer_;
  // The full reads of a Choose, by pid.
  absl::flat_hash_map<int32_t, Details> read_;

  TopK top_k_;
  std::array<uint64_t, kReasons> skipped_{};
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_PROCESS_PROCESS_COLLECTOR_H_
