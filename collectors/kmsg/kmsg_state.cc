#include "collectors/kmsg/kmsg_state.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collectors/base/string_view.h"
#include "collectors/base/text.h"

namespace oom {
namespace {

constexpr std::string_view kMagic = "oom_exporter-kmsg-state 1";

// Fields are tab-separated; "\N" is null.
void AppendField(std::string* out, std::string_view value) {
  out->push_back('\t');
  for (char c : value) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

void AppendNullable(std::string* out, const std::optional<std::string>& value) {
  if (value) {
    AppendField(out, *value);
  } else {
    out->append("\t\\N");
  }
}

template <typename T>
void AppendNumber(std::string* out, const std::optional<T>& value) {
  if (value) {
    absl::StrAppend(out, "\t", *value);
  } else {
    out->append("\t\\N");
  }
}

// A line's tab-separated fields, unescaped; nullopt for "\\N".
using Fields = std::vector<std::optional<std::string>>;

Fields SplitFields(std::string_view line) {
  Fields fields;
  std::string current;
  bool escaped_null = false;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == '\t') {
      if (escaped_null && current.empty()) {
        fields.emplace_back(std::nullopt);
      } else {
        fields.emplace_back(current);
      }
      current.clear();
      escaped_null = false;
      continue;
    }
    if (line[i] == '\\' && i + 1 < line.size()) {
      char next = line[++i];
      if (next == 'N') {
        escaped_null = true;
      } else {
        current.push_back(next == 't' ? '\t' : next == 'n' ? '\n' : next);
      }
      continue;
    }
    current.push_back(line[i]);
  }
  return fields;
}

std::optional<uint64_t> U64Field(const std::optional<std::string>& field) {
  if (!field) return std::nullopt;
  return ParseU64(*field);
}

std::optional<int64_t> I64Field(const std::optional<std::string>& field) {
  if (!field) return std::nullopt;
  return ParseI64(*field);
}

std::optional<double> DoubleField(const std::optional<std::string>& field) {
  if (!field) return std::nullopt;
  return ParseDouble(*field);
}

std::string FormatDouble(double value) {
  return absl::StrFormat("%.6f", value);
}

// The counters of one "key\tvalue" line each, in the file's order after
// last_sequence.
struct CounterLine {
  std::string_view key;
  uint64_t KmsgCounters::*member;
};
constexpr CounterLine kCounterLines[] = {
    {"records", &KmsgCounters::records},
    {"lost", &KmsgCounters::lost},
    {"unrecognized", &KmsgCounters::unrecognized},
    {"invocations", &KmsgCounters::invocations},
    {"repeated_kills", &KmsgCounters::repeated_kills},
    {"panics", &KmsgCounters::panics},
};

// A recent line: "recent", the time, then the kill's fields marked
// kKillFieldInState in kOomKillFields. Version 1 of the format has 20; a
// field added to the state must keep the files with 20 loading.
constexpr std::size_t kRecentLineFields =
    2 + CountOomKillFields(kKillFieldInState);
static_assert(kRecentLineFields == 20,
              "the recent lines of format version 1 have 20 fields");

// The state file's text of OomKill's field types: null as "\\N", a pid
// never null, the scope as "global", "memcg" or "" (never null), reaped as
// "1" or "0".
void AppendStateValue(std::string* out, int64_t value) {
  absl::StrAppend(out, "\t", value);
}

void AppendStateValue(std::string* out, bool value) {
  AppendField(out, value ? "1" : "0");
}

void AppendStateValue(std::string* out, const std::optional<OomScope>& scope) {
  AppendField(out, ScopeName(scope));
}

void AppendStateValue(std::string* out,
                      const std::optional<std::string>& value) {
  AppendNullable(out, value);
}

template <typename T>
void AppendStateValue(std::string* out, const std::optional<T>& value) {
  AppendNumber(out, value);
}

// The inverses of AppendStateValue: false when the field is malformed (a
// null where the type has none, text that is not the type's).
bool ParseStateValue(const std::optional<std::string>& field, int64_t* out) {
  std::optional<int64_t> value = I64Field(field);
  if (!value) return false;
  *out = *value;
  return true;
}

bool ParseStateValue(const std::optional<std::string>& field, bool* out) {
  if (!field || (*field != "0" && *field != "1")) return false;
  *out = *field == "1";
  return true;
}

bool ParseStateValue(const std::optional<std::string>& field,
                     std::optional<OomScope>* out) {
  if (!field) return false;
  if (*field == "global") {
    *out = OomScope::kGlobal;
  } else if (*field == "memcg") {
    *out = OomScope::kMemcg;
  } else if (field->empty()) {
    out->reset();
  } else {
    return false;
  }
  return true;
}

bool ParseStateValue(const std::optional<std::string>& field,
                     std::optional<std::string>* out) {
  *out = field;
  return true;
}

template <typename T>
bool ParseStateValue(const std::optional<std::string>& field,
                     std::optional<T>* out) {
  if constexpr (std::is_signed_v<T>) {
    *out = I64Field(field);
  } else {
    *out = U64Field(field);
  }
  return !field || out->has_value();
}

// The fields of a "recent" line (SplitFields), or nullopt when they are not
// kRecentLineFields, each null or well-formed.
std::optional<RecordedKill> ParseRecentFields(const Fields& f) {
  if (f.size() != kRecentLineFields || f[0] != "recent") return std::nullopt;
  RecordedKill r;
  r.time = DoubleField(f[1]);
  bool ok = !f[1] || r.time.has_value();
  std::size_t i = 2;
  ForEachOomKillField([&](const auto& field) {
    if constexpr ((std::decay_t<decltype(field)>::kFlags & kKillFieldInState) !=
                  0) {
      ok = ParseStateValue(f[i++], &(r.kill.*field.member)) && ok;
    }
  });
  if (!ok) return std::nullopt;
  return r;
}

// The fields of a "kill" line: scope, cgroup, comm (none null) and the count.
bool ParseKillFields(const Fields& f, KmsgCounters* c) {
  if (f.size() != 5 || !f[1] || !f[2] || !f[3]) return false;
  std::optional<uint64_t> count = U64Field(f[4]);
  if (!count) return false;
  c->kills[{*f[1], *f[2], *f[3]}] = *count;
  return true;
}

// The fields of a "memory" line: scope (not null), count, sum and the
// cumulative buckets of kKilledMemoryBuckets.
bool ParseMemoryFields(const Fields& f, KmsgCounters* c) {
  if (f.size() != 4 + kKilledMemoryBuckets.size() || !f[1]) return false;
  MemoryHistogram h;
  std::optional<uint64_t> count = U64Field(f[2]);
  std::optional<double> sum = DoubleField(f[3]);
  if (!count || !sum) return false;
  h.count = *count;
  h.sum = *sum;
  for (std::size_t i = 0; i < h.buckets.size(); ++i) {
    std::optional<uint64_t> bucket = U64Field(f[4 + i]);
    if (!bucket) return false;
    h.buckets[i] = *bucket;
  }
  c->memory[*f[1]] = h;
  return true;
}

// Reads one line after the magic line into `c`; sets `ended` at the "end"
// line. Returns false, with `c` partly changed, when the line is malformed.
bool ParseStateLine(const Fields& f, KmsgCounters* c, bool* ended) {
  const std::string key = f[0].value_or("");
  if (key == "end") {
    *ended = f.size() == 1;
    return *ended;
  }
  if (key == "boot_id") {
    if (f.size() != 2 || !f[1]) return false;
    c->boot_id = *f[1];
    return true;
  }
  if (key == "last_sequence") {
    if (f.size() != 2) return false;
    c->last_sequence = U64Field(f[1]);
    return !f[1] || c->last_sequence.has_value();
  }
  for (const CounterLine& counter : kCounterLines) {
    if (key != counter.key) continue;
    std::optional<uint64_t> value =
        f.size() == 2 ? U64Field(f[1]) : std::nullopt;
    if (!value) return false;
    c->*counter.member = *value;
    if (counter.member == &KmsgCounters::repeated_kills) {
      c->repeated_kills_counted = true;
    }
    return true;
  }
  if (key == "last_kill_time") {
    if (f.size() != 2) return false;
    c->last_kill_time = DoubleField(f[1]);
    return !f[1] || c->last_kill_time.has_value();
  }
  if (key == "kill") return ParseKillFields(f, c);
  if (key == "memory") return ParseMemoryFields(f, c);
  if (key == "recent") {
    std::optional<RecordedKill> recent = ParseRecentFields(f);
    if (!recent) return false;
    c->recent.push_back(std::move(*recent));
    return true;
  }
  return false;
}

}  // namespace

void MemoryHistogram::Observe(double bytes) {
  ++count;
  sum += bytes;
  for (std::size_t i = 0; i < kKilledMemoryBuckets.size(); ++i) {
    if (bytes <= kKilledMemoryBuckets[i]) ++buckets[i];
  }
}

uint64_t LostRecordsBefore(uint64_t sequence, std::optional<uint64_t> last_seen,
                           std::optional<uint64_t> counted_through) {
  if (last_seen) return sequence - *last_seen - 1;
  if (counted_through) {
    return sequence > *counted_through + 1 ? sequence - *counted_through - 1
                                           : 0;
  }
  return sequence;  // records 0..sequence-1 are gone
}

std::string SerializeRecentKill(const RecordedKill& recorded) {
  std::string out = "recent";
  AppendNullable(&out, recorded.time ? std::optional<std::string>(
                                           FormatDouble(*recorded.time))
                                     : std::nullopt);
  ForEachOomKillField([&](const auto& field) {
    if constexpr ((std::decay_t<decltype(field)>::kFlags & kKillFieldInState) !=
                  0) {
      AppendStateValue(&out, recorded.kill.*field.member);
    }
  });
  return out;
}

std::optional<RecordedKill> ParseRecentKill(std::string_view line) {
  return ParseRecentFields(SplitFields(line));
}

std::string SerializeKmsgState(const KmsgCounters& c) {
  std::string out = absl::StrCat(ToAbsl(kMagic), "\n");
  out.append("boot_id");
  AppendField(&out, c.boot_id);
  out.append("\nlast_sequence");
  AppendNumber(&out, c.last_sequence);
  for (const CounterLine& counter : kCounterLines) {
    absl::StrAppend(&out, "\n", ToAbsl(counter.key), "\t", c.*counter.member);
  }
  out.append("\nlast_kill_time");
  AppendNullable(&out, c.last_kill_time ? std::optional<std::string>(
                                              FormatDouble(*c.last_kill_time))
                                        : std::nullopt);
  out.push_back('\n');
  for (const auto& [labels, count] : c.kills) {
    out.append("kill");
    AppendField(&out, std::get<0>(labels));
    AppendField(&out, std::get<1>(labels));
    AppendField(&out, std::get<2>(labels));
    absl::StrAppend(&out, "\t", count, "\n");
  }
  for (const auto& [scope, histogram] : c.memory) {
    out.append("memory");
    AppendField(&out, scope);
    absl::StrAppend(&out, "\t", histogram.count, "\t",
                    FormatDouble(histogram.sum));
    for (uint64_t bucket : histogram.buckets)
      absl::StrAppend(&out, "\t", bucket);
    out.push_back('\n');
  }
  for (const RecordedKill& recorded : c.recent) {
    absl::StrAppend(&out, SerializeRecentKill(recorded), "\n");
  }
  out.append("end\n");
  return out;
}

absl::StatusOr<KmsgCounters> ParseKmsgState(std::string_view text) {
  KmsgCounters c;
  c.repeated_kills_counted = false;  // until its line comes
  int line_number = 0;
  bool magic = false;
  bool ended = false;
  std::string error;
  ForEachLine(text, [&](std::string_view line) {
    ++line_number;
    if (!error.empty()) return;
    if (ended) {
      error = absl::StrCat("line ", line_number, ": data after \"end\"");
      return;
    }
    if (!magic) {
      if (line != kMagic) error = "line 1: not an oom_exporter kmsg state file";
      magic = true;
      return;
    }
    Fields f = SplitFields(line);
    if (!ParseStateLine(f, &c, &ended)) {
      error = absl::StrCat("line ", line_number, ": bad \"", f[0].value_or(""),
                           "\" line");
    }
  });
  if (!error.empty()) return absl::InvalidArgumentError(error);
  if (!magic) return absl::InvalidArgumentError("empty state file");
  if (!ended)
    return absl::InvalidArgumentError("truncated state file (no \"end\" line)");
  return c;
}

absl::Status WriteFileAtomically(const std::string& path,
                                 std::string_view content) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot create ", tmp));
  std::string_view rest = content;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::ErrnoToStatus(err, absl::StrCat("cannot write ", tmp));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return absl::ErrnoToStatus(err, absl::StrCat("cannot fsync ", tmp));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return absl::ErrnoToStatus(err, absl::StrCat("cannot rename ", tmp));
  }
  std::size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace oom
