#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_PROC_PID_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_PROC_PID_H_

// Pure parsers of the /proc/<pid> files the process collector reads (the
// kernel's OOM arithmetic on what they show is collectors/oom/badness.h).
// Samples are from Linux 6.18 on x86-64 (this project's CI machine).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace oom {

// The kernel's PF_KTHREAD flag in the stat flags field, the same bit since
// 2.6.27 (docs/kernel-formats.md#kernel-threads).
inline constexpr uint64_t kPfKthread = 0x00200000;

// The fields of /proc/<pid>/stat the collector uses (proc(5) numbering).
struct ProcStat {
  int64_t pid = 0;         // field 1
  std::string comm;        // field 2, without the parentheses
  char state = '?';        // field 3: R, S, D, Z, X, ...
  uint64_t flags = 0;      // field 9: PF_* bits
  uint64_t starttime = 0;  // field 22: clock ticks after boot
  uint64_t rss_pages = 0;  // field 24

  bool kernel_thread() const { return (flags & kPfKthread) != 0; }
  // Zombie or dead: the process has no memory left and cannot be chosen.
  bool exited() const { return state == 'Z' || state == 'X' || state == 'x'; }
};

// Parses /proc/<pid>/stat. The comm may hold spaces and ')' (it is any 15
// bytes a process chose with prctl(PR_SET_NAME)), so it runs from the first
// '(' to the LAST ')'. Samples:
//   12507 (cat) R 12504 12504 9926 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0
//   816559 3133440 389 18446744073709551615 94793231994880 ... 0
//   2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 10 0 0 ...
// InvalidArgument when a field the collector needs is missing or not a
// number (a truncated read, garbage).
absl::StatusOr<ProcStat> ParseProcStat(std::string_view text);

// /proc/<pid>/statm, in pages. Sample: "765 433 405 5 0 123 0"
// (size resident shared text lib data dt). A kernel thread shows all zeros.
struct ProcStatm {
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  uint64_t shared_pages = 0;
};
absl::StatusOr<ProcStatm> ParseProcStatm(std::string_view text);

// The lines of /proc/<pid>/status the collector uses; kB values in bytes.
// A field the kernel does not print (a kernel thread has no Vm* lines;
// RssAnon arrived in 4.5, NSpid in 4.1) is nullopt.
struct ProcStatus {
  std::string name;                         // Name:
  char state = '?';                         // State: first letter
  std::optional<uint64_t> vm_rss_bytes;     // VmRSS:  anon + file + shmem
  std::optional<uint64_t> rss_anon_bytes;   // RssAnon:
  std::optional<uint64_t> rss_file_bytes;   // RssFile:
  std::optional<uint64_t> rss_shmem_bytes;  // RssShmem:
  std::optional<uint64_t> vm_swap_bytes;    // VmSwap:  swap entries
  std::optional<uint64_t> vm_pte_bytes;     // VmPTE:   page tables
  // NSpid: the pid in each pid namespace from the one of this procfs mount
  // down to the process's own; empty before 4.1.
  std::vector<int64_t> nspid;
  bool kernel_thread = false;  // "Kthread: 1" (6.x), else unknown (false)
};

// Parses /proc/<pid>/status, skipping lines it does not know. Sample (a
// shell's `cat /proc/self/status`, abridged):
//   Name:	cat
//   State:	R (running)
//   Tgid:	12509
//   NSpid:	12509
//   Kthread:	0
//   VmRSS:	    1728 kB
//   RssAnon:	     116 kB
//   RssFile:	    1612 kB
//   RssShmem:	       0 kB
//   VmPTE:	      44 kB
//   VmSwap:	       0 kB
// InvalidArgument when there is no Name: line or a known line is garbage.
absl::StatusOr<ProcStatus> ParseProcStatus(std::string_view text);

// /proc/<pid>/oom_score: one unsigned number, "666\n" (a small process on
// 5.9+), "0\n" (unkillable, or below 0.1 % of memory before 5.9).
absl::StatusOr<int64_t> ParseOomScore(std::string_view text);

// /proc/<pid>/oom_score_adj: -1000..1000, "0\n" or "-1000\n".
absl::StatusOr<int64_t> ParseOomScoreAdj(std::string_view text);

// The memory cgroup path in /proc/<pid>/cgroup: the v1 line whose
// controller list holds "memory", else the v2 line ("0::"). Sample:
//   4:memory:/process_api/5901ba579640081161cf52ce8c527079
//   3:cpuset:/
//   0::/
// The path is as the kernel prints it (relative to the reader's cgroup
// namespace root); NotFound when neither line is there.
absl::StatusOr<std::string> ParseProcCgroup(std::string_view text);

// oom_score_adj of a task the OOM killer never chooses.
inline constexpr int64_t kOomScoreAdjMin = -1000;

// `comm` made fit for a Prometheus label value (valid UTF-8): bytes that do
// not form valid UTF-8 become "\xHH", as /dev/kmsg escapes them.
std::string CommLabel(std::string_view comm);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_PROC_PID_H_
