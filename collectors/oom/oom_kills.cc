#include "collectors/oom/oom_kills.h"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collectors/base/string_view.h"

namespace oom {
namespace {

constexpr std::size_t kRecentKills = 4096;

std::optional<std::string> OptionalText(std::string_view text) {
  if (text.empty()) return std::nullopt;
  return std::string(text);
}

// The line's position and timestamp, shared by every kill it yields.
void SetOrigin(const LogLine& line, OomKill* kill) {
  kill->timestamp = OptionalText(line.timestamp);
  if (line.kmsg) {
    kill->kmsg_sequence = line.kmsg->sequence;
    kill->kmsg_timestamp_us = line.kmsg->timestamp_us;
  }
}

// Length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7:
// no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  auto byte = [&s](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  std::size_t n = 0;
  unsigned char low = 0x80, high = 0xbf;  // range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) low = 0xa0;
    if (c == 0xed) high = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) low = 0x90;
    if (c == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

std::optional<uint64_t> OomKill::RssBytes() const {
  if (!anon_rss_kb && !file_rss_kb && !shmem_rss_kb) return std::nullopt;
  return (anon_rss_kb.value_or(0) + file_rss_kb.value_or(0) +
          shmem_rss_kb.value_or(0)) *
         1024;
}

std::string_view ScopeName(std::optional<OomScope> scope) {
  if (!scope) return "";
  return *scope == OomScope::kGlobal ? "global" : "memcg";
}

void AppendJsonString(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c < 0x20 || c == 0x7f) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
    } else if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else if (std::size_t n = Utf8Length(text, i); n > 0) {
      out->append(text.substr(i, n));
      i += n - 1;
    } else {
      // A comm is 15 arbitrary bytes: keep the byte's value visible.
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
    }
  }
  out->push_back('"');
}

namespace {

// JSON values of OomKill's field types; null for an unset one.
void AppendJsonValue(std::string* out, int64_t value) {
  absl::StrAppend(out, value);
}

void AppendJsonValue(std::string* out, bool value) {
  out->append(value ? "true" : "false");
}

void AppendJsonValue(std::string* out, const std::optional<OomScope>& scope) {
  if (!scope) {
    out->append("null");
  } else {
    AppendJsonString(out, ScopeName(scope));
  }
}

template <typename T>
void AppendJsonValue(std::string* out, const std::optional<T>& value) {
  if (!value) {
    out->append("null");
  } else if constexpr (std::is_same_v<T, std::string>) {
    AppendJsonString(out, *value);
  } else {
    absl::StrAppend(out, *value);
  }
}

// A message's field as the kill keeps it: text that is empty is unset.
void SetFromMessage(std::string_view text, std::optional<std::string>* out) {
  *out = OptionalText(text);
}

template <typename T>
void SetFromMessage(const T& value, T* out) {
  *out = value;
}

// Copies the fields of `msg` that the rows with flag `kSource` name.
template <unsigned kSource>
void CopyFromMessage(const OomMessage& msg, OomKill* kill) {
  ForEachOomKillField([&](const auto& field) {
    if constexpr ((std::decay_t<decltype(field)>::kFlags & kSource) != 0) {
      SetFromMessage(msg.*field.message, &(kill->*field.member));
    }
  });
}

}  // namespace

std::string KillToJson(const OomKill& kill) {
  std::string out = "{";
  ForEachOomKillField([&](const auto& field) {
    if constexpr ((std::decay_t<decltype(field)>::kFlags & kKillFieldInJson) !=
                  0) {
      if (out.size() > 1) out.push_back(',');
      absl::StrAppend(&out, "\"", ToAbsl(field.key), "\":");
      AppendJsonValue(&out, kill.*field.member);
    }
  });
  out.push_back('}');
  return out;
}

void AmendKill(const OomKill& amendment, OomKill* kill) {
  ForEachOomKillField([&](const auto& field) {
    if constexpr ((std::decay_t<decltype(field)>::kFlags &
                   kKillFieldFromSummary) != 0) {
      if (!(kill->*field.member)) kill->*field.member = amendment.*field.member;
    }
  });
}

OomKill KillFromSummary(const OomMessage& summary, const LogLine& line) {
  OomKill kill;
  kill.pid = summary.pid.value_or(0);
  kill.comm = std::string(summary.comm);
  CopyFromMessage<kKillFieldFromSummary>(summary, &kill);
  SetOrigin(line, &kill);
  return kill;
}

OomKill AmendmentFromSummary(const OomMessage& summary) {
  OomKill amendment;
  amendment.pid = summary.pid.value_or(0);
  CopyFromMessage<kKillFieldFromSummary>(summary, &amendment);
  return amendment;
}

OomKill KillFromKillLine(const OomMessage& kill_line, const LogLine& line) {
  OomKill kill;
  kill.pid = kill_line.pid.value_or(0);
  if (kill_line.has_comm) kill.comm = std::string(kill_line.comm);
  CopyFromMessage<kKillFieldFromKillLine>(kill_line, &kill);
  SetOrigin(line, &kill);
  return kill;
}

bool IsGroupMemberLine(const OomMessage& msg, bool group,
                       std::optional<OomScope> group_scope) {
  return (msg.kind == OomMessageKind::kKill ||
          msg.kind == OomMessageKind::kAlreadyExiting) &&
         group && (!msg.scope || !group_scope || msg.scope == group_scope);
}

bool SummaryIsForKill(int64_t summary_pid, std::optional<int64_t> selected_pid,
                      int64_t kill_pid) {
  return summary_pid == kill_pid || selected_pid == summary_pid;
}

void KillAssembler::StartEvent(Events* events) {
  FlushPending(events);
  context_ = Context();
}

void KillAssembler::FlushPending(Events* events) {
  if (!context_.pending_summary) return;
  OomKill kill = std::move(*context_.pending_summary);
  context_.pending_summary.reset();
  CountKill(std::move(kill), events);
}

void KillAssembler::Flush(Events* events) { FlushPending(events); }

bool KillAssembler::RecentlyKilled(int64_t pid) const {
  return std::find(recent_.begin(), recent_.end(), pid) != recent_.end();
}

void KillAssembler::CountKill(OomKill kill, Events* events) {
  amendable_pid_.reset();
  context_.killed.push_back(kill.pid);
  if (context_.killed.size() == 1) context_.group_scope = kill.scope;
  event_open_ = false;
  CountReaperKill(std::move(kill), events);
}

void KillAssembler::CountReaperKill(OomKill kill, Events* events) {
  recent_.push_back(kill.pid);
  if (recent_.size() > kRecentKills) recent_.pop_front();
  events->kills.push_back(std::move(kill));
}

void KillAssembler::Add(const LogLine& line, Events* events) {
  if (!line.is_kernel) return;
  OomMessage msg = ParseOomMessage(line.text);
  if (AddLineOutsideKills(msg, events)) return;
  if (AddLateSummary(msg, events)) return;

  // Every other line belongs to an OOM event; one whose header the kernel
  // rate-limited (or a reader cut away) starts it.
  bool group_member =
      IsGroupMemberLine(msg, context_.group, context_.group_scope);
  if (StartsEvent(msg, group_member)) {
    StartEvent(events);
    ++invocations_;
    event_open_ = true;
  }

  switch (msg.kind) {
    case OomMessageKind::kTaskIn:
    case OomMessageKind::kSelection:
    case OomMessageKind::kGroup:
    case OomMessageKind::kAlreadyExiting:
      AddContextLine(msg);
      return;
    case OomMessageKind::kSummary:
      AddSummary(msg, line);
      return;
    case OomMessageKind::kReaped:
      AddReaperLine(msg, line, events);
      return;
    case OomMessageKind::kKill:
      AddKillLine(msg, line, group_member, events);
      return;
    default:
      return;
  }
}

bool KillAssembler::AddLineOutsideKills(const OomMessage& msg, Events* events) {
  switch (msg.kind) {
    case OomMessageKind::kNone:
      return true;
    case OomMessageKind::kUnrecognized:
      ++unrecognized_;
      return true;
    case OomMessageKind::kPanic:
      ++panics_;
      return true;
    case OomMessageKind::kHeader:
      StartEvent(events);
      ++invocations_;
      event_open_ = true;
      amendable_pid_.reset();
      return true;
    case OomMessageKind::kUnableToReap:
      return true;
    case OomMessageKind::kNoKillable:
      event_open_ = false;  // the killer ran and found nobody to kill
      return true;
    default:
      return false;
  }
}

bool KillAssembler::AddLateSummary(const OomMessage& msg, Events* events) {
  if (msg.kind != OomMessageKind::kSummary || !msg.pid ||
      amendable_pid_ != msg.pid || event_open_) {
    return false;
  }
  amendable_pid_.reset();
  events->amendments.push_back(AmendmentFromSummary(msg));
  return true;
}

bool KillAssembler::StartsEvent(const OomMessage& msg,
                                bool group_member) const {
  if (msg.kind == OomMessageKind::kSummary && context_.pending_summary) {
    return true;  // two summaries: the first one's kill line is lost
  }
  return !event_open_ && !group_member && msg.kind != OomMessageKind::kReaped &&
         msg.kind != OomMessageKind::kGroup;
}

void KillAssembler::AddContextLine(const OomMessage& msg) {
  switch (msg.kind) {
    case OomMessageKind::kTaskIn:
      context_.scope = OomScope::kMemcg;
      context_.task_memcg = std::string(msg.task_memcg);
      context_.oom_memcg = std::string(msg.oom_memcg);
      return;
    case OomMessageKind::kSelection:
      if (msg.scope) context_.scope = msg.scope;
      context_.selected_pid = msg.pid;
      context_.selected_score = msg.score;
      return;
    case OomMessageKind::kGroup:
      context_.group = true;
      if (context_.oom_memcg.empty())
        context_.oom_memcg = std::string(msg.oom_memcg);
      return;
    case OomMessageKind::kAlreadyExiting:
      event_open_ = false;  // the killer ran and chose to kill nobody
      return;
    default:
      return;
  }
}

void KillAssembler::AddSummary(const OomMessage& msg, const LogLine& line) {
  if (msg.scope) context_.scope = msg.scope;
  context_.constraint = std::string(msg.constraint);
  context_.oom_memcg = std::string(msg.oom_memcg);
  context_.task_memcg = std::string(msg.task_memcg);
  if (!msg.pid) return;  // cut short: context for the kill line only
  context_.pending_summary = KillFromSummary(msg, line);
}

void KillAssembler::AddReaperLine(const OomMessage& msg, const LogLine& line,
                                  Events* events) {
  int64_t pid = *msg.pid;
  if (context_.pending_summary && context_.pending_summary->pid == pid) {
    context_.pending_summary->reaped = true;
    return;
  }
  if (RecentlyKilled(pid)) {
    events->reaped_pids.push_back(pid);
    return;
  }
  // The kill line is missing (cut, overwritten): the reaper saw a kill of an
  // event whose lines are gone, and which was an invocation too.
  ++invocations_;
  OomKill kill;
  kill.pid = pid;
  kill.comm = std::string(msg.comm);
  kill.reaped = true;
  SetOrigin(line, &kill);
  CountReaperKill(std::move(kill), events);
}

bool KillAssembler::JoinPendingSummary(const OomMessage& msg, OomKill* kill,
                                       Events* events) {
  if (!context_.pending_summary) return false;
  // A summary is this kill's when it names the same pid, or (5.0) names the
  // parent the selection line chose before a child was killed. Otherwise it
  // was another OOM's, whose kill line is lost: count it alone, and this
  // kill line starts an OOM of its own.
  if (!SummaryIsForKill(context_.pending_summary->pid, context_.selected_pid,
                        kill->pid)) {
    StartEvent(events);
    ++invocations_;
    kill->scope = msg.scope;
    kill->constraint.reset();
    kill->oom_memcg.reset();
    kill->task_memcg.reset();
    return false;
  }
  // The summary was printed for this kill (on 5.0 for the parent when a
  // child was sacrificed; the uid is then the parent's).
  if (!kill->uid) kill->uid = context_.pending_summary->uid;
  kill->reaped = context_.pending_summary->reaped &&
                 context_.pending_summary->pid == kill->pid;
  context_.pending_summary.reset();
  return true;
}

void KillAssembler::AddKillLine(const OomMessage& msg, const LogLine& line,
                                bool group_member, Events* events) {
  int64_t pid = *msg.pid;
  if (group_member && std::find(context_.killed.begin(), context_.killed.end(),
                                pid) != context_.killed.end()) {
    // memory.oom.group kills its chosen victim again as a member
    // (debian-6.12-kmsg-raw-vm-oom-group.log, records 768-772):
    //   Memory cgroup out of memory: Killed process 273 (hog) ...
    //   Tasks in /grp are going to be killed due to memory.oom.group set
    //   Memory cgroup out of memory: Killed process 257 (sleeper) ...
    //   Memory cgroup out of memory: Killed process 265 (sleeper) ...
    //   Memory cgroup out of memory: Killed process 273 (hog) ...
    // One process, one kill; the kernel's counters count two.
    ++repeated_kills_;
    return;
  }
  OomKill kill = KillFromKillLine(msg, line);
  kill.scope = msg.scope ? msg.scope : context_.scope;
  kill.constraint = OptionalText(context_.constraint);
  kill.oom_memcg = OptionalText(context_.oom_memcg);
  kill.task_memcg = OptionalText(context_.task_memcg);
  if (group_member) kill.task_memcg.reset();  // members' own memcgs vary
  bool had_summary = JoinPendingSummary(msg, &kill, events);
  // The selected process's score (old kernels may then kill one of its
  // children instead).
  if (!group_member) kill.score = context_.selected_score;
  CountKill(std::move(kill), events);
  if (!had_summary && context_.constraint.empty()) amendable_pid_ = pid;
}

}  // namespace oom
