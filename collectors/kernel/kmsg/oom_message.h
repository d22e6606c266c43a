#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_KMSG_OOM_MESSAGE_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_KMSG_OOM_MESSAGE_H_

// Classifies one kernel message (the text of a LogLine) as one of the lines
// the OOM killer prints, of every kernel from 3.10 to 6.x, and extracts its
// fields. Pure: no state, no allocation; string_views point into the text.
// The formats, by kernel version, each with a real sample:
// docs/kernel-formats.md#oom-killer-lines.

#include <cstdint>
#include <optional>
#include <string_view>

namespace oom {

enum class OomScope { kGlobal, kMemcg };

enum class OomMessageKind {
  kNone,          // not an OOM-killer line
  kUnrecognized,  // starts like one but could not be parsed
  kHeader,        // "<comm> invoked oom-killer: gfp_mask=..."
  kSelection,     // "[<msg>: ]Kill process N (comm) score S or sacrifice child"
  kKill,          // "[<msg>: ]Killed process N (comm) total-vm:..."
  kSummary,       // "oom-kill:constraint=...,task=comm,pid=N,uid=N"; pid
                  // unset when the line was cut short
  kTaskIn,        // "Task in X killed as a result of limit of Y"
  kGroup,   // "Tasks in X are going to be killed due to memory.oom.group set"
  kReaped,  // "oom_reaper: reaped process N (comm), now anon-rss:..."
  kUnableToReap,    // "oom_reaper: unable to reap pid:N (comm)"
  kAlreadyExiting,  // "<msg>: OOM victim N (comm) is already exiting. Skip ..."
  kNoKillable,      // "Out of memory and no killable processes..." (4.19+:
                    // a warning; the kernel may panic on the next line)
  kPanic,           // "Kernel panic - not syncing: Out of memory...", ...
};

struct OomMessage {
  OomMessageKind kind = OomMessageKind::kNone;
  // From the "<msg>: " prefix (kill, selection, already-exiting lines) or the
  // summary's constraint / global_oom.
  std::optional<OomScope> scope;
  bool allocating_task = false;  // "Out of memory (oom_kill_allocating_task)"

  std::optional<int64_t> pid;
  std::string_view comm;  // victim; for kHeader the allocating task
  bool has_comm = false;

  std::optional<uint64_t> total_vm_kb;
  std::optional<uint64_t> anon_rss_kb;
  std::optional<uint64_t> file_rss_kb;
  std::optional<uint64_t> shmem_rss_kb;
  std::optional<uint64_t> pgtables_kb;
  std::optional<int64_t> uid;
  std::optional<int64_t> oom_score_adj;  // kill line (5.4+) or header
  std::optional<int64_t> score;          // selection line

  // kSummary, kTaskIn, kGroup.
  std::string_view constraint;  // "CONSTRAINT_MEMCG"
  std::string_view oom_memcg;   // memcg whose limit was hit
  std::string_view task_memcg;  // victim's memcg
  bool global_oom = false;

  std::string_view panic;  // kPanic: the message itself
};

// Classifies `text`. Lines that merely mention the OOM killer (stack frames
// such as " oom_kill_process+0x1a5/0x4b0", memcg statistics) are kNone.
OomMessage ParseOomMessage(std::string_view text);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_KMSG_OOM_MESSAGE_H_
