#ifndef OOM_EXPORTER_COLLECTORS_OOM_OOM_KILLS_H_
#define OOM_EXPORTER_COLLECTORS_OOM_OOM_KILLS_H_

// Turns a stream of kernel log lines into OOM kills, each counted exactly
// once, by these rules (shared/docs/kernel-oom-reference.md, section 5):
//  - a kill is counted from its "Killed process" line;
//  - an "oom-kill:" summary, or an "oom_reaper: reaped process" line, counts
//    only when no kill line for that pid comes with it;
//  - an "invoked oom-killer" header is never a kill, and kills without a
//    header (the kernel rate-limits headers, not kill lines) are counted;
//  - a memory.oom.group kill counts every member once: the kernel kills its
//    chosen victim a second time as a member of the group, printing a second
//    kill line (and counting it again in /proc/vmstat and memory.events
//    oom_kill); such repeats are counted apart, in repeated_kills().
// Context printed before the kill line (the summary, the old selection line,
// "Task in X killed as a result of limit of Y") is merged into the kill.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/kernel/kmsg/log_line.h"
#include "collectors/kernel/kmsg/oom_message.h"

namespace oom {

// One OOM kill with every field the log showed; nullopt/empty where it did
// not.
struct OomKill {
  int64_t pid = 0;
  std::optional<std::string> comm;
  std::optional<OomScope> scope;
  std::optional<std::string> constraint;
  std::optional<std::string> oom_memcg;
  std::optional<std::string> task_memcg;
  std::optional<uint64_t> total_vm_kb;
  std::optional<uint64_t> anon_rss_kb;
  std::optional<uint64_t> file_rss_kb;
  std::optional<uint64_t> shmem_rss_kb;
  std::optional<int64_t> uid;
  std::optional<uint64_t> pgtables_kb;
  std::optional<int64_t> oom_score_adj;
  std::optional<int64_t> score;
  bool reaped = false;
  std::optional<std::string> timestamp;  // as the log shows it
  // Where it was counted from: a kmsg record's sequence number and clock.
  std::optional<uint64_t> kmsg_sequence;
  std::optional<uint64_t> kmsg_timestamp_us;

  // anon + file + shmem rss in bytes (what the kernel freed), when known.
  std::optional<uint64_t> RssBytes() const;
};

// "global", "memcg", or "" when unknown.
std::string_view ScopeName(std::optional<OomScope> scope);

// One JSON object, keys in this order: pid, comm, scope, constraint,
// oom_memcg, task_memcg, total_vm_kb, anon_rss_kb, file_rss_kb, shmem_rss_kb,
// uid, pgtables_kb, oom_score_adj, score, reaped, timestamp.
std::string KillToJson(const OomKill& kill);

// Appends `text` as a JSON string literal (quoted, escaped; bytes that are
// not valid UTF-8 become \u00XX so that the output is always valid JSON).
void AppendJsonString(std::string* out, std::string_view text);

// Fills the fields of `kill` that are unset from `amendment`.
void AmendKill(const OomKill& amendment, OomKill* kill);

class KillAssembler {
 public:
  // What the assembler tells its user, beyond kills.
  struct Events {
    std::vector<OomKill> kills;        // newly counted, in log order
    std::vector<int64_t> reaped_pids;  // reaper lines for kills counted before
    // A summary printed after its kill line (some log collectors reorder
    // lines of one OOM): fields to fill in where the kill counted before
    // with this pid has none. The kill is not counted again.
    std::vector<OomKill> amendments;

    // Applies the reaper marks and amendments to kills counted earlier, then
    // forgets them: `find(pid)` returns the newest kill with that pid, or
    // nullptr.
    template <typename Find>
    void ApplyLateDetails(Find&& find) {
      for (int64_t pid : reaped_pids) {
        if (OomKill* kill = find(pid)) kill->reaped = true;
      }
      for (const OomKill& amendment : amendments) {
        if (OomKill* kill = find(amendment.pid)) AmendKill(amendment, kill);
      }
      reaped_pids.clear();
      amendments.clear();
    }
  };

  // Feeds one parsed line. Kernel lines only; others are ignored.
  void Add(const LogLine& line, Events* events);

  // Counts what is still pending (a summary whose kill line never came).
  // Call at the end of input, or when a live stream has been quiet for a
  // while.
  void Flush(Events* events);

  // True while a summary waits for its kill line.
  bool has_pending() const { return context_.pending_summary.has_value(); }

  uint64_t invocations() const { return invocations_; }
  // Kill lines for a process the same OOM had already killed (the chosen
  // victim of a memory.oom.group kill, printed again as a member of the
  // group): never kills, but the kernel's oom_kill counters count them.
  uint64_t repeated_kills() const { return repeated_kills_; }
  uint64_t unrecognized() const { return unrecognized_; }
  uint64_t panics() const { return panics_; }

 private:
  // What the kernel printed about the current OOM event before its kill.
  struct Context {
    std::optional<OomScope> scope;
    std::string constraint;
    std::string oom_memcg;
    std::string task_memcg;
    bool group = false;
    std::optional<OomScope> group_scope;  // the prefix of the group's kills
    std::vector<int64_t> killed;          // pids counted in this event
    // Old kernels' selection line.
    std::optional<int64_t> selected_pid;
    std::optional<int64_t> selected_score;
    // 5.0+ summary waiting for its kill line.
    std::optional<OomKill> pending_summary;
  };

  void StartEvent(Events* events);
  void FlushPending(Events* events);
  // Counts a kill of the current event (and closes the event).
  void CountKill(OomKill kill, Events* events);
  // Counts a kill found only through a reaper line: it belongs to an earlier
  // event, so the current one is left as it is.
  void CountReaperKill(OomKill kill, Events* events);
  bool RecentlyKilled(int64_t pid) const;

  Context context_;
  bool event_open_ = false;  // a header came and its kill has not
  // The last kill had no summary: a summary for its pid may still follow.
  std::optional<int64_t> amendable_pid_;
  uint64_t invocations_ = 0;
  uint64_t repeated_kills_ = 0;
  uint64_t unrecognized_ = 0;
  uint64_t panics_ = 0;
  // Pids of the last kills, for reaper lines that may come much later.
  std::deque<int64_t> recent_;
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_OOM_OOM_KILLS_H_
