#ifndef OOM_EXPORTER_COLLECTORS_OOM_OOM_KILLS_H_
#define OOM_EXPORTER_COLLECTORS_OOM_OOM_KILLS_H_

// Turns a stream of kernel log lines into OOM kills, each counted exactly
// once, by these rules (docs/kernel-formats.md#counting-rules):
//  - a kill is counted from its "Killed process" line;
//  - an "oom-kill:" summary, or an "oom_reaper: reaped process" line, counts
//    only when no kill line for that pid comes with it;
//  - an "invoked oom-killer" header is never a kill, and kills without a
//    header (the kernel rate-limits headers, not kill lines) are counted;
//  - a memory.oom.group kill counts every member once: the kernel may kill
//    its chosen victim a second time as a member of the group, printing a
//    second kill line (and counting it again in /proc/vmstat and memory.events
//    oom_kill); such repeats are counted apart, in repeated_kills().
// Context printed before the kill line (the summary, the old selection line,
// "Task in X killed as a result of limit of Y") is merged into the kill.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
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

// The fields of OomKill, in one table that drives every place that lists
// them: the JSON (KillToJson), the kmsg collector's state file
// (collectors/kmsg/kmsg_state.h), the kill assembler's copies from a parsed
// line and AmendKill. Adding a field to OomKill is one line here (plus the
// code that finds its value where no OomMessage field holds it).
//
// Flags of a field:
enum OomKillFieldFlags : unsigned {
  kKillFieldInJson = 1u << 0,   // a member of KillToJson, in table order
  kKillFieldInState = 1u << 1,  // a column of the state file's "recent"
                                // lines, in table order: adding one changes
                                // the format, which must still read old files
  kKillFieldFromKillLine = 1u << 2,  // copied from a "Killed process" line
  kKillFieldFromSummary = 1u << 3,   // copied from an "oom-kill:" summary; a
                                     // summary printed late amends it
                                     // (AmendKill)
};

// One row of the table: `key` names the field in JSON; `member` is the
// field; `message` is the OomMessage field a kill line or summary gives it
// from (nullptr for a field no message gives as it is).
template <unsigned kFlagBits, typename Member, typename FromMessage>
struct OomKillField {
  static constexpr unsigned kFlags = kFlagBits;
  std::string_view key;
  Member OomKill::*member;
  FromMessage OomMessage::*message;
};

template <unsigned kFlags, typename Member>
constexpr OomKillField<kFlags, Member, bool> KillField(
    std::string_view key, Member OomKill::*member) {
  return {key, member, nullptr};
}

template <unsigned kFlags, typename Member, typename FromMessage>
constexpr OomKillField<kFlags, Member, FromMessage> KillField(
    std::string_view key, Member OomKill::*member,
    FromMessage OomMessage::*message) {
  return {key, member, message};
}

// Every field of OomKill, in the order of the state file's "recent" lines
// (of which the JSON's order is a subsequence). The state file writes the
// scope as "global", "memcg" or "" (never null) and reaped as 0 or 1.
inline constexpr auto kOomKillFields = std::make_tuple(
    KillField<kKillFieldInState>("kmsg_sequence", &OomKill::kmsg_sequence),
    KillField<kKillFieldInJson | kKillFieldInState>("pid", &OomKill::pid),
    KillField<kKillFieldInJson | kKillFieldInState>("comm", &OomKill::comm),
    KillField<kKillFieldInJson | kKillFieldInState | kKillFieldFromSummary>(
        "scope", &OomKill::scope, &OomMessage::scope),
    KillField<kKillFieldInJson | kKillFieldInState | kKillFieldFromSummary>(
        "constraint", &OomKill::constraint, &OomMessage::constraint),
    KillField<kKillFieldInJson | kKillFieldInState | kKillFieldFromSummary>(
        "oom_memcg", &OomKill::oom_memcg, &OomMessage::oom_memcg),
    KillField<kKillFieldInJson | kKillFieldInState | kKillFieldFromSummary>(
        "task_memcg", &OomKill::task_memcg, &OomMessage::task_memcg),
    KillField<kKillFieldInJson | kKillFieldInState | kKillFieldFromKillLine>(
        "total_vm_kb", &OomKill::total_vm_kb, &OomMessage::total_vm_kb),
    KillField<kKillFieldInJson | kKillFieldInState | kKillFieldFromKillLine>(
        "anon_rss_kb", &OomKill::anon_rss_kb, &OomMessage::anon_rss_kb),
    KillField<kKillFieldInJson | kKillFieldInState | kKillFieldFromKillLine>(
        "file_rss_kb", &OomKill::file_rss_kb, &OomMessage::file_rss_kb),
    KillField<kKillFieldInJson | kKillFieldInState | kKillFieldFromKillLine>(
        "shmem_rss_kb", &OomKill::shmem_rss_kb, &OomMessage::shmem_rss_kb),
    KillField<kKillFieldInJson | kKillFieldInState | kKillFieldFromKillLine |
              kKillFieldFromSummary>("uid", &OomKill::uid, &OomMessage::uid),
    KillField<kKillFieldInJson | kKillFieldInState | kKillFieldFromKillLine>(
        "pgtables_kb", &OomKill::pgtables_kb, &OomMessage::pgtables_kb),
    KillField<kKillFieldInJson | kKillFieldInState | kKillFieldFromKillLine>(
        "oom_score_adj", &OomKill::oom_score_adj, &OomMessage::oom_score_adj),
    // The selection line's score, which the assembler keeps in its context.
    KillField<kKillFieldInJson | kKillFieldInState>("score", &OomKill::score),
    KillField<kKillFieldInJson | kKillFieldInState>("reaped", &OomKill::reaped),
    KillField<kKillFieldInJson | kKillFieldInState>("timestamp",
                                                    &OomKill::timestamp),
    KillField<kKillFieldInState>("kmsg_timestamp_us",
                                 &OomKill::kmsg_timestamp_us));

// Calls `fn(field)` for each row of kOomKillFields, in order. The row's type
// carries its flags (`std::decay_t<decltype(field)>::kFlags`), so that
// `if constexpr` can select rows at compile time.
template <typename Fn>
constexpr void ForEachOomKillField(Fn&& fn) {
  std::apply([&fn](const auto&... field) { (fn(field), ...); }, kOomKillFields);
}

// The number of rows with every flag of `flags`.
constexpr std::size_t CountOomKillFields(unsigned flags) {
  return std::apply(
      [flags](const auto&... field) {
        return (std::size_t{0} + ... +
                ((std::decay_t<decltype(field)>::kFlags & flags) == flags
                     ? std::size_t{1}
                     : std::size_t{0}));
      },
      kOomKillFields);
}

// "global", "memcg", or "" when unknown.
std::string_view ScopeName(std::optional<OomScope> scope);

// One JSON object of the kOomKillFields rows marked kKillFieldInJson, in
// order: pid, comm, scope, constraint, oom_memcg, task_memcg, total_vm_kb,
// anon_rss_kb, file_rss_kb, shmem_rss_kb, uid, pgtables_kb, oom_score_adj,
// score, reaped, timestamp.
std::string KillToJson(const OomKill& kill);

// Appends `text` as a JSON string literal (quoted, escaped; bytes that are
// not valid UTF-8 become \u00XX so that the output is always valid JSON).
void AppendJsonString(std::string* out, std::string_view text);

// Fills the fields of `kill` that are unset from `amendment`: those a
// summary gives (kKillFieldFromSummary).
void AmendKill(const OomKill& amendment, OomKill* kill);

// The pure steps of KillAssembler::Add, each for one kind of line.

// The kill a 5.0+ summary announces before its kill line: its pid, comm,
// the summary's fields (kKillFieldFromSummary) and the line's origin.
// `summary` must have a pid.
OomKill KillFromSummary(const OomMessage& summary, const LogLine& line);

// What a summary printed after its kill line adds to that kill: the pid and
// the summary's fields (kKillFieldFromSummary), no comm, no origin.
OomKill AmendmentFromSummary(const OomMessage& summary);

// The kill of a "Killed process" line by itself: pid, comm when the line
// has one, the line's own fields (kKillFieldFromKillLine) and origin;
// nothing of the OOM's context (scope, memcgs, constraint, score).
OomKill KillFromKillLine(const OomMessage& kill_line, const LogLine& line);

// True when a line is about a member of the memory.oom.group kill in
// progress (`group`): its kill line, or the "OOM victim N is already
// exiting" line the kernel prints instead for a member it skips. Every
// member carries the first victim's message prefix (`group_scope`), so a
// line with another prefix starts another OOM. An unknown prefix on either
// side does not tell them apart.
bool IsGroupMemberLine(const OomMessage& msg, bool group,
                       std::optional<OomScope> group_scope);

// True when a summary naming `summary_pid` was printed for the kill of
// `kill_pid`: the same pid, or (5.0) the parent that the selection line
// chose (`selected_pid`) before a child was killed.
bool SummaryIsForKill(int64_t summary_pid, std::optional<int64_t> selected_pid,
                      int64_t kill_pid);

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

  // The steps of Add, one kind of line each; Add parses the line and calls
  // them in this order.

  // Takes a line that belongs to no event's kill: a header (which opens an
  // event), a panic, an unrecognized line, "unable to reap", "no killable
  // processes". Returns false, changing nothing, for every other kind.
  bool AddLineOutsideKills(const OomMessage& msg, Events* events);
  // Takes a summary printed after the kill line it belongs to (the last
  // kill, which had none) as an amendment. Returns false, changing nothing,
  // for every other line.
  bool AddLateSummary(const OomMessage& msg, Events* events);
  // True when `msg`, a line of an OOM event, starts a new one: no event is
  // open (its header was rate-limited or cut away) and the line is not a
  // member of the group kill in progress, or it is a second summary (the
  // first one's kill line is lost).
  bool StartsEvent(const OomMessage& msg, bool group_member) const;
  // Keeps what a "Task in", selection or group line says about the event in
  // its context; an "already exiting" line closes the event.
  void AddContextLine(const OomMessage& msg);
  // Keeps a summary's fields in the context and, when it names the victim,
  // holds its kill until the kill line comes.
  void AddSummary(const OomMessage& msg, const LogLine& line);
  // Marks the kill a reaper line names as reaped, or counts it when no kill
  // line for it is known.
  void AddReaperLine(const OomMessage& msg, const LogLine& line,
                     Events* events);
  // Counts a kill line with the event's context, or counts it apart as a
  // repeat of a group kill's victim.
  void AddKillLine(const OomMessage& msg, const LogLine& line,
                   bool group_member, Events* events);
  // Joins the summary waiting for its kill line into `kill` (uid, reaped)
  // and returns true when it names this kill; a summary of another OOM is
  // counted alone (its kill line is lost) and `kill`, the kill line of a new
  // OOM, loses the context (scope, constraint, memcgs) it was given.
  bool JoinPendingSummary(const OomMessage& msg, OomKill* kill, Events* events);

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
