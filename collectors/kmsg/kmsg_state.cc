#include "collectors/kmsg/kmsg_state.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
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

std::vector<std::optional<std::string>> SplitFields(std::string_view line) {
  std::vector<std::optional<std::string>> fields;
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

}  // namespace

void MemoryHistogram::Observe(double bytes) {
  ++count;
  sum += bytes;
  for (std::size_t i = 0; i < kKilledMemoryBuckets.size(); ++i) {
    if (bytes <= kKilledMemoryBuckets[i]) ++buckets[i];
  }
}

std::string SerializeKmsgState(const KmsgCounters& c) {
  std::string out = absl::StrCat(ToAbsl(kMagic), "\n");
  out.append("boot_id");
  AppendField(&out, c.boot_id);
  out.append("\nlast_sequence");
  AppendNumber(&out, c.last_sequence);
  absl::StrAppend(&out, "\nrecords\t", c.records, "\nlost\t", c.lost,
                  "\nunrecognized\t", c.unrecognized, "\ninvocations\t",
                  c.invocations, "\nrepeated_kills\t", c.repeated_kills,
                  "\npanics\t", c.panics, "\nlast_kill_time");
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
  for (const RecordedKill& r : c.recent) {
    const OomKill& k = r.kill;
    out.append("recent");
    AppendNullable(&out, r.time
                             ? std::optional<std::string>(FormatDouble(*r.time))
                             : std::nullopt);
    AppendNumber(&out, k.kmsg_sequence);
    AppendNumber(&out, std::optional<int64_t>(k.pid));
    AppendNullable(&out, k.comm);
    AppendField(&out, ScopeName(k.scope));
    AppendNullable(&out, k.constraint);
    AppendNullable(&out, k.oom_memcg);
    AppendNullable(&out, k.task_memcg);
    AppendNumber(&out, k.total_vm_kb);
    AppendNumber(&out, k.anon_rss_kb);
    AppendNumber(&out, k.file_rss_kb);
    AppendNumber(&out, k.shmem_rss_kb);
    AppendNumber(&out, k.uid);
    AppendNumber(&out, k.pgtables_kb);
    AppendNumber(&out, k.oom_score_adj);
    AppendNumber(&out, k.score);
    AppendField(&out, k.reaped ? "1" : "0");
    AppendNullable(&out, k.timestamp);
    AppendNumber(&out, k.kmsg_timestamp_us);
    out.push_back('\n');
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
    if (!error.empty() || ended) {
      if (error.empty())
        error = absl::StrCat("line ", line_number, ": data after \"end\"");
      return;
    }
    if (!magic) {
      if (line != kMagic) error = "line 1: not an oom_exporter kmsg state file";
      magic = true;
      return;
    }
    std::vector<std::optional<std::string>> f = SplitFields(line);
    const std::string& key = f[0] ? *f[0] : std::string();
    auto bad = [&]() {
      error = absl::StrCat("line ", line_number, ": bad \"", key, "\" line");
    };
    auto counter = [&](uint64_t* field) {
      std::optional<uint64_t> value =
          f.size() == 2 ? U64Field(f[1]) : std::nullopt;
      if (!value) return bad();
      *field = *value;
    };
    if (key == "end" && f.size() == 1) {
      ended = true;
    } else if (key == "boot_id" && f.size() == 2 && f[1]) {
      c.boot_id = *f[1];
    } else if (key == "last_sequence" && f.size() == 2) {
      c.last_sequence = U64Field(f[1]);
      if (f[1] && !c.last_sequence) bad();
    } else if (key == "records") {
      counter(&c.records);
    } else if (key == "lost") {
      counter(&c.lost);
    } else if (key == "unrecognized") {
      counter(&c.unrecognized);
    } else if (key == "invocations") {
      counter(&c.invocations);
    } else if (key == "repeated_kills") {
      counter(&c.repeated_kills);
      c.repeated_kills_counted = true;
    } else if (key == "panics") {
      counter(&c.panics);
    } else if (key == "last_kill_time" && f.size() == 2) {
      c.last_kill_time = DoubleField(f[1]);
      if (f[1] && !c.last_kill_time) bad();
    } else if (key == "kill" && f.size() == 5 && f[1] && f[2] && f[3]) {
      std::optional<uint64_t> count = U64Field(f[4]);
      if (!count) return bad();
      c.kills[{*f[1], *f[2], *f[3]}] = *count;
    } else if (key == "memory" && f.size() == 4 + kKilledMemoryBuckets.size() &&
               f[1]) {
      MemoryHistogram h;
      std::optional<uint64_t> count = U64Field(f[2]);
      std::optional<double> sum = DoubleField(f[3]);
      if (!count || !sum) return bad();
      h.count = *count;
      h.sum = *sum;
      for (std::size_t i = 0; i < h.buckets.size(); ++i) {
        std::optional<uint64_t> bucket = U64Field(f[4 + i]);
        if (!bucket) return bad();
        h.buckets[i] = *bucket;
      }
      c.memory[*f[1]] = h;
    } else if (key == "recent" && f.size() == 20) {
      // Every field is null (\N) or well-formed.
      bool ok = true;
      auto u64 = [&](std::size_t i) {
        std::optional<uint64_t> v = U64Field(f[i]);
        ok &= !f[i] || v.has_value();
        return v;
      };
      auto i64 = [&](std::size_t i) {
        std::optional<int64_t> v = I64Field(f[i]);
        ok &= !f[i] || v.has_value();
        return v;
      };
      RecordedKill r;
      OomKill& k = r.kill;
      r.time = DoubleField(f[1]);
      ok &= !f[1] || r.time.has_value();
      k.kmsg_sequence = u64(2);
      std::optional<int64_t> pid = I64Field(f[3]);
      if (!pid) return bad();
      k.pid = *pid;
      k.comm = f[4];
      if (!f[5] || (*f[5] != "global" && *f[5] != "memcg" && !f[5]->empty()))
        return bad();
      if (*f[5] == "global") k.scope = OomScope::kGlobal;
      if (*f[5] == "memcg") k.scope = OomScope::kMemcg;
      k.constraint = f[6];
      k.oom_memcg = f[7];
      k.task_memcg = f[8];
      k.total_vm_kb = u64(9);
      k.anon_rss_kb = u64(10);
      k.file_rss_kb = u64(11);
      k.shmem_rss_kb = u64(12);
      k.uid = i64(13);
      k.pgtables_kb = u64(14);
      k.oom_score_adj = i64(15);
      k.score = i64(16);
      if (!f[17] || (*f[17] != "0" && *f[17] != "1")) return bad();
      k.reaped = *f[17] == "1";
      k.timestamp = f[18];
      k.kmsg_timestamp_us = u64(19);
      if (!ok) return bad();
      c.recent.push_back(std::move(r));
    } else {
      bad();
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
