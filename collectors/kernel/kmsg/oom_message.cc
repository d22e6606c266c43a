#include "collectors/kernel/kmsg/oom_message.h"

#include "collectors/base/text.h"

namespace oom {
namespace {

constexpr std::string_view kKilled = "Killed process ";
constexpr std::string_view kSelect = "Kill process ";
constexpr std::string_view kSummary = "oom-kill:";
constexpr std::string_view kInvoked = " invoked oom-killer: ";
constexpr std::string_view kReaper = "oom_reaper: ";
constexpr std::string_view kTaskIn = "Task in ";
constexpr std::string_view kTasksIn = "Tasks in ";
constexpr std::string_view kVictim = "OOM victim ";
constexpr std::string_view kPanic = "Kernel panic - not syncing: ";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The "<msg>: " before a kill, selection or already-exiting line, matched at
// its end so that anything a transport left in front does not matter.
void ScopeFromPrefix(std::string_view prefix, OomMessage* msg) {
  prefix = TrimSpace(prefix);
  if (EndsWith(prefix, ":")) prefix.remove_suffix(1);
  if (EndsWith(prefix, "Memory cgroup out of memory")) {
    msg->scope = OomScope::kMemcg;
  } else if (EndsWith(prefix, "Out of memory (oom_kill_allocating_task)")) {
    msg->scope = OomScope::kGlobal;
    msg->allocating_task = true;
  } else if (EndsWith(prefix, "Out of memory")) {
    msg->scope = OomScope::kGlobal;
  }
}

// Digits at the front of `s`, consumed.
std::optional<int64_t> TakeInt(std::string_view* s) {
  std::size_t n = 0;
  if (!s->empty() && (*s)[0] == '-') n = 1;
  while (n < s->size() && (*s)[n] >= '0' && (*s)[n] <= '9') ++n;
  std::optional<int64_t> value = ParseI64(s->substr(0, n));
  if (value) s->remove_prefix(n);
  return value;
}

// "N (comm)<terminator>": the comm ends at the LAST `terminator`, since a
// comm may itself hold "(", ")" or the terminator's first characters.
bool TakePidComm(std::string_view* s, std::string_view terminator,
                 OomMessage* msg) {
  std::optional<int64_t> pid = TakeInt(s);
  if (!pid || !StartsWith(*s, " (")) return false;
  std::size_t end = s->rfind(terminator);
  if (end == std::string_view::npos || end < 2) return false;
  msg->pid = pid;
  msg->comm = s->substr(2, end - 2);
  msg->has_comm = true;
  s->remove_prefix(end + terminator.size());
  return true;
}

// Fills the kB fields and friends from "total-vm:75160kB, anon-rss:65152kB,
// ..., UID:0 pgtables:188kB oom_score_adj:0"; unknown keys are skipped.
void TakeSizes(std::string_view s, OomMessage* msg) {
  while (!s.empty()) {
    std::size_t end = s.find_first_of(", ");
    std::string_view token = s.substr(0, end);
    s = end == std::string_view::npos ? std::string_view() : s.substr(end + 1);
    std::size_t colon = token.find(':');
    if (colon == std::string_view::npos || colon + 1 == token.size()) continue;
    std::string_view key = token.substr(0, colon);
    std::string_view value = token.substr(colon + 1);
    // The number, without "kB" or whatever a paste glued to it.
    std::size_t digits = value[0] == '-' ? 1 : 0;
    while (digits < value.size() && value[digits] >= '0' &&
           value[digits] <= '9') {
      ++digits;
    }
    value = value.substr(0, digits);
    if (key == "UID" || key == "oom_score_adj") {
      std::optional<int64_t> number = ParseI64(value);
      if (!number) continue;
      (key == "UID" ? msg->uid : msg->oom_score_adj) = number;
      continue;
    }
    std::optional<uint64_t> kb = ParseU64(value);
    if (!kb) continue;
    if (key == "total-vm") {
      msg->total_vm_kb = kb;
    } else if (key == "anon-rss") {
      msg->anon_rss_kb = kb;
    } else if (key == "file-rss") {
      msg->file_rss_kb = kb;
    } else if (key == "shmem-rss") {
      msg->shmem_rss_kb = kb;
    } else if (key == "pgtables") {
      msg->pgtables_kb = kb;
    }
  }
}

// Kill lines of every era (after "Killed process "):
//   6.18  2555 (python3) total-vm:75160kB, anon-rss:65152kB, file-rss:6628kB,
//         shmem-rss:0kB, UID:0 pgtables:188kB oom_score_adj:0
//   4.9   1234 (java) total-vm:...kB, anon-rss:...kB, file-rss:...kB,
//         shmem-rss:...kB
//   3.10  1234 (java) total-vm:...kB, anon-rss:...kB, file-rss:...kB
//   el7   1234 (java), UID 1000, total-vm:...kB, ..., shmem-rss:...kB
//   el6   1234, UID 1000, (java) total-vm:...kB, anon-rss:...kB,
//         file-rss:...kB
bool ParseKillTail(std::string_view s, OomMessage* msg) {
  std::string_view probe = s;
  std::optional<int64_t> pid = TakeInt(&probe);
  if (!pid) return false;
  if (StartsWith(probe, ", UID ")) {  // RHEL/CentOS 6
    probe.remove_prefix(6);
    std::optional<int64_t> uid = TakeInt(&probe);
    if (!uid || !StartsWith(probe, ", (")) return false;
    std::size_t end = probe.rfind(") total-vm:");
    if (end == std::string_view::npos) return false;
    msg->pid = pid;
    msg->uid = uid;
    msg->comm = probe.substr(3, end - 3);
    msg->has_comm = true;
    TakeSizes(probe.substr(end + 2), msg);
    return true;
  }
  std::size_t sizes = s.rfind(") total-vm:");
  std::size_t el7 = s.rfind("), UID ");
  if (el7 != std::string_view::npos &&
      (sizes == std::string_view::npos || el7 > sizes ||
       s.find(", total-vm:", el7) != std::string_view::npos)) {
    // RHEL/CentOS 7: "N (comm), UID N, total-vm:..."
    if (!TakePidComm(&s, "), UID ", msg)) return false;
    msg->uid = TakeInt(&s);
    TakeSizes(s, msg);
    return true;
  }
  if (sizes != std::string_view::npos) {
    std::string_view rest = s;
    if (!TakePidComm(&rest, ") total-vm:", msg)) return false;
    TakeSizes(s.substr(sizes + 2), msg);
    return true;
  }
  // Cut short (a pager, the record size limit): the kill still happened.
  std::size_t close = s.rfind(')');
  if (close != std::string_view::npos && TakePidComm(&s, ")", msg)) return true;
  msg->pid = pid;
  return StartsWith(probe, " (") || probe.empty();
}

// Where the summary's "task=" field starts: the first "task=" at the start or
// after a comma, so that one inside another field's value (a memcg path) is
// skipped; npos when the line was cut before it.
std::size_t FindSummaryTask(std::string_view s) {
  std::size_t task_pos = s.find("task=");
  while (task_pos != std::string_view::npos && task_pos > 0 &&
         s[task_pos - 1] != ',') {
    task_pos = s.find("task=", task_pos + 1);
  }
  return task_pos;
}

// Takes the summary's tail "task=python3,pid=2555,uid=0" off `s`, filling
// comm, pid and uid, and leaves in `s` the fields before it. The tail is read
// first: ",pid=N,uid=N" ends the line, and task= may hold commas. False when
// the line was cut before task= and what is left holds no "constraint=".
bool TakeSummaryTail(std::string_view* s, OomMessage* msg) {
  std::size_t pid_pos = s->rfind(",pid=");
  std::size_t task_pos = FindSummaryTask(*s);
  std::optional<int64_t> pid;
  std::string_view tail;
  if (pid_pos != std::string_view::npos && task_pos != std::string_view::npos &&
      task_pos < pid_pos) {
    tail = s->substr(pid_pos + 5);
    pid = TakeInt(&tail);
  }
  if (pid) {
    msg->pid = pid;
    msg->comm = s->substr(task_pos + 5, pid_pos - task_pos - 5);
    msg->has_comm = true;
    if (StartsWith(tail, ",uid=")) {
      tail.remove_prefix(5);
      msg->uid = TakeInt(&tail);
    }
    *s = s->substr(0, task_pos);
  } else if (task_pos != std::string_view::npos) {
    *s = s->substr(0, task_pos);  // cut after task=: the rest is complete
  } else {
    // Cut before task= (a pager, the record limit): the last field may be
    // cut too, so it is dropped; what precedes it still describes the OOM.
    std::size_t last = s->rfind(',');
    *s = s->substr(0, last == std::string_view::npos ? 0 : last);
    if (s->find("constraint=") == std::string_view::npos) return false;
  }
  return true;
}

// The value of the summary field `key` ("constraint=", ",oom_memcg=", ...),
// looked for from `from` on, up to the next comma; `*at` is set to where the
// value starts, so that the next field is looked for after it.
std::optional<std::string_view> SummaryValue(std::string_view s,
                                             std::string_view key,
                                             std::size_t from,
                                             std::size_t* at) {
  std::size_t pos = from == 0 && StartsWith(s, key) ? 0 : s.find(key, from);
  if (pos == std::string_view::npos) return std::nullopt;
  std::size_t start = pos + key.size();
  std::size_t end = s.find(',', start);
  *at = start;
  return s.substr(start, end == std::string_view::npos ? end : end - start);
}

// The summary's fields before task=, each looked for in the kernel's order
// after the previous one, since any may be missing (no cpusets, no memcg):
//   constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,
//   oom_memcg=/oom_fixture,task_memcg=/oom_fixture,
void TakeSummaryFields(std::string_view s, OomMessage* msg) {
  std::size_t at = 0;
  if (auto constraint = SummaryValue(s, "constraint=", 0, &at)) {
    msg->constraint = *constraint;
    if (*constraint == "CONSTRAINT_MEMCG") msg->scope = OomScope::kMemcg;
  }
  if (auto memcg = SummaryValue(s, ",oom_memcg=", at, &at)) {
    msg->oom_memcg = *memcg;
  }
  if (s.find(",global_oom") != std::string_view::npos) {
    msg->global_oom = true;
    msg->scope = OomScope::kGlobal;
  }
  if (auto memcg = SummaryValue(s, ",task_memcg=", at, &at)) {
    msg->task_memcg = *memcg;
  }
  if (!msg->scope && !msg->constraint.empty() && msg->oom_memcg.empty()) {
    msg->scope = OomScope::kGlobal;  // constraint without any memcg context
  }
}

// One function per kind of line, called by ParseOomMessage once it found
// what marks the kind (at `at` when given); each fills `msg` and returns the
// kind, which stays kNone when the mark turns out to mean something else.

// "Memory cgroup out of memory: Killed process 2555 (python3)
//  total-vm:75160kB, anon-rss:65152kB, file-rss:6628kB, shmem-rss:0kB, UID:0
//  pgtables:188kB oom_score_adj:0" (other eras: ParseKillTail)
OomMessageKind ParseKillLine(std::string_view text, std::size_t at,
                             OomMessage* msg) {
  ScopeFromPrefix(text.substr(0, at), msg);
  return ParseKillTail(text.substr(at + kKilled.size()), msg)
             ? OomMessageKind::kKill
             : OomMessageKind::kUnrecognized;
}

// "Memory cgroup out of memory: Kill process 1234 (java) score 875 or
//  sacrifice child"
OomMessageKind ParseSelectionLine(std::string_view text, std::size_t at,
                                  OomMessage* msg) {
  std::string_view s = text.substr(at + kSelect.size());
  ScopeFromPrefix(text.substr(0, at), msg);
  if (!TakePidComm(&s, ") score ", msg)) return OomMessageKind::kUnrecognized;
  msg->score = TakeInt(&s);
  return OomMessageKind::kSelection;
}

// "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,
//  mems_allowed=0,oom_memcg=/oom_fixture,task_memcg=/oom_fixture,
//  task=python3,pid=2555,uid=0"
OomMessageKind ParseSummaryLine(std::string_view text, OomMessage* msg) {
  std::string_view s = text.substr(kSummary.size());
  if (!TakeSummaryTail(&s, msg)) return OomMessageKind::kUnrecognized;
  TakeSummaryFields(s, msg);
  return OomMessageKind::kSummary;
}

// "python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0,
//  oom_score_adj=0"
OomMessageKind ParseHeaderLine(std::string_view text, std::size_t at,
                               OomMessage* msg) {
  msg->comm = text.substr(0, at);
  msg->has_comm = true;
  std::size_t adj = text.find("oom_score_adj=", at);
  if (adj != std::string_view::npos) {
    std::string_view s = text.substr(adj + 14);
    msg->oom_score_adj = TakeInt(&s);
  }
  return OomMessageKind::kHeader;
}

// After "oom_reaper: ":
//   "reaped process 2555 (python3), now anon-rss:0kB, file-rss:0kB, ..."
//   "unable to reap pid:2555 (python3)"
OomMessageKind ParseReaperLine(std::string_view text, OomMessage* msg) {
  std::string_view s = text.substr(kReaper.size());
  if (StartsWith(s, "reaped process ")) {
    s.remove_prefix(15);
    return TakePidComm(&s, "), now ", msg) ? OomMessageKind::kReaped
                                           : OomMessageKind::kUnrecognized;
  }
  if (StartsWith(s, "unable to reap pid:")) {
    s.remove_prefix(19);
    return TakePidComm(&s, ")", msg) ? OomMessageKind::kUnableToReap
                                     : OomMessageKind::kUnrecognized;
  }
  return OomMessageKind::kUnrecognized;
}

// "Task in /docker/abc killed as a result of limit of /docker"
OomMessageKind ParseTaskInLine(std::string_view text, OomMessage* msg) {
  constexpr std::string_view kLimit = " killed as a result of limit of ";
  std::size_t limit = text.find(kLimit);
  if (limit == std::string_view::npos) return OomMessageKind::kNone;
  msg->scope = OomScope::kMemcg;
  msg->task_memcg = text.substr(kTaskIn.size(), limit - kTaskIn.size());
  msg->oom_memcg = TrimSpace(text.substr(limit + kLimit.size()));
  return OomMessageKind::kTaskIn;
}

// "Tasks in /kubepods/pod1 are going to be killed due to memory.oom.group
//  set"
OomMessageKind ParseGroupLine(std::string_view text, OomMessage* msg) {
  std::size_t are =
      text.find(" are going to be killed due to memory.oom.group");
  if (are == std::string_view::npos) return OomMessageKind::kNone;
  msg->oom_memcg = text.substr(kTasksIn.size(), are - kTasksIn.size());
  return OomMessageKind::kGroup;
}

// "Memory cgroup out of memory: OOM victim 1234 (java) is already exiting.
//  Skip killing the task"
OomMessageKind ParseAlreadyExitingLine(std::string_view text, std::size_t at,
                                       OomMessage* msg) {
  std::string_view s = text.substr(at + kVictim.size());
  ScopeFromPrefix(text.substr(0, at), msg);
  return TakePidComm(&s, ") is already exiting", msg)
             ? OomMessageKind::kAlreadyExiting
             : OomMessageKind::kNone;
}

// "Kernel panic - not syncing: Out of memory: system-wide panic_on_oom is
// enabled", "... Out of memory and no killable processes..." (3.10),
// "... System is deadlocked on memory" (4.19+); other panics are kNone.
OomMessageKind ParsePanicLine(std::string_view text, std::size_t at,
                              OomMessage* msg) {
  std::string_view reason = text.substr(at + kPanic.size());
  if (!StartsWith(reason, "Out of memory") &&
      !StartsWith(reason, "System is deadlocked on memory")) {
    return OomMessageKind::kNone;
  }
  msg->panic = text.substr(at);
  return OomMessageKind::kPanic;
}

}  // namespace

OomMessage ParseOomMessage(std::string_view text) {
  constexpr std::size_t kNpos = std::string_view::npos;
  OomMessage msg;
  // Most lines of a kernel log are not about the OOM killer: reject them
  // with as few scans as possible. The first mark found decides the kind,
  // in this order.
  if (std::size_t killed = text.find(kKilled); killed != kNpos) {
    msg.kind = ParseKillLine(text, killed, &msg);
  } else if (std::size_t select = text.find(kSelect); select != kNpos) {
    msg.kind = ParseSelectionLine(text, select, &msg);
  } else if (StartsWith(text, kSummary)) {
    msg.kind = ParseSummaryLine(text, &msg);
  } else if (std::size_t invoked = text.find(kInvoked); invoked != kNpos) {
    msg.kind = ParseHeaderLine(text, invoked, &msg);
  } else if (StartsWith(text, kReaper)) {
    msg.kind = ParseReaperLine(text, &msg);
  } else if (StartsWith(text, kTaskIn)) {
    msg.kind = ParseTaskInLine(text, &msg);
  } else if (StartsWith(text, kTasksIn)) {
    msg.kind = ParseGroupLine(text, &msg);
  } else if (std::size_t victim = text.find(kVictim);
             victim != kNpos &&
             text.find("is already exiting", victim) != kNpos) {
    msg.kind = ParseAlreadyExitingLine(text, victim, &msg);
  } else if (std::size_t panic = text.find(kPanic); panic != kNpos) {
    msg.kind = ParsePanicLine(text, panic, &msg);
  } else if (StartsWith(text, "Out of memory and no killable processes")) {
    // 4.19+ prints this as a warning; a global OOM then panics separately.
    msg.kind = OomMessageKind::kNoKillable;
  }
  return msg;
}

}  // namespace oom
