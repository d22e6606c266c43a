#include "collectors/kernel/procfs/proc_pid.h"

#include <cstdio>

#include "absl/status/status.h"
#include "collectors/base/text.h"

namespace oom {
namespace {

bool IsSeparator(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// Splits `text` at runs of spaces, tabs and newlines, calling fn(index, field)
// with index counting from `first`; stops when fn returns false.
template <typename Fn>
void ForEachField(std::string_view text, int first, Fn&& fn) {
  int index = first;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSeparator(text[i])) ++i;
    if (i >= text.size()) break;
    std::size_t end = i;
    while (end < text.size() && !IsSeparator(text[end])) ++end;
    if (!fn(index++, text.substr(i, end - i))) return;
    i = end;
  }
}

// "   1728 kB" -> 1769472; nullopt for anything else.
std::optional<uint64_t> ParseKb(std::string_view value) {
  value = TrimSpace(value);
  if (value.size() < 3 || value.substr(value.size() - 3) != " kB")
    return std::nullopt;
  std::optional<uint64_t> kb =
      ParseU64(TrimSpace(value.substr(0, value.size() - 3)));
  if (!kb || *kb > (UINT64_MAX >> 10)) return std::nullopt;
  return *kb << 10;
}

// One unsigned or signed number alone on a line.
std::optional<int64_t> ParseLoneNumber(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  return ParseI64(text);
}

// Length of the well-formed UTF-8 sequence at s[i] (Unicode 15, table 3-7),
// or 0.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u;
  };
  unsigned char c = byte(i);
  auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xbf) {
    unsigned b = byte(k);
    return b >= lo && b <= hi;
  };
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c == 0xe0) return cont(i + 1, 0xa0) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
    return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xed) return cont(i + 1, 0x80, 0x9f) && cont(i + 2) ? 3 : 0;
  if (c == 0xf0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3)
    return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xf4)
    return cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

}  // namespace

absl::StatusOr<ProcStat> ParseProcStat(std::string_view text) {
  ProcStat stat;
  std::size_t open = text.find('(');
  std::size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos ||
      close < open) {
    return absl::InvalidArgumentError("stat: no \"(comm)\"");
  }
  std::optional<int64_t> pid = ParseI64(TrimSpace(text.substr(0, open)));
  if (!pid || *pid <= 0) return absl::InvalidArgumentError("stat: bad pid");
  stat.pid = *pid;
  stat.comm = std::string(text.substr(open + 1, close - open - 1));
  bool bad = false;
  int last = 2;
  ForEachField(text.substr(close + 1), 3, [&](int index, std::string_view f) {
    last = index;
    switch (index) {
      case 3:
        if (f.size() != 1) bad = true;
        stat.state = f[0];
        break;
      case 9:
      case 22:
      case 24: {
        std::optional<uint64_t> value = ParseU64(f);
        if (!value) {
          bad = true;
          return false;
        }
        (index == 9    ? stat.flags
         : index == 22 ? stat.starttime
                       : stat.rss_pages) = *value;
        break;
      }
      default:
        break;
    }
    // Field 25 (rsslim) must follow: else field 24 may have been cut short.
    return index < 25;
  });
  if (bad || last < 25) {
    return absl::InvalidArgumentError("stat: truncated or not numbers");
  }
  return stat;
}

absl::StatusOr<ProcStatm> ParseProcStatm(std::string_view text) {
  ProcStatm statm;
  int fields = 0;
  bool bad = false;
  ForEachField(text, 0, [&](int index, std::string_view f) {
    std::optional<uint64_t> value = ParseU64(f);
    if (!value) {
      bad = true;
      return false;
    }
    ++fields;
    if (index == 0) statm.size_pages = *value;
    if (index == 1) statm.resident_pages = *value;
    if (index == 2) statm.shared_pages = *value;
    return true;
  });
  if (bad || fields < 3) {
    return absl::InvalidArgumentError("statm: not three numbers or more");
  }
  return statm;
}

absl::StatusOr<ProcStatus> ParseProcStatus(std::string_view text) {
  ProcStatus status;
  bool have_name = false;
  bool bad = false;
  ForEachLine(text, [&](std::string_view line) {
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value[0] == '\t') value.remove_prefix(1);
    auto kb = [&](std::optional<uint64_t>* field) {
      *field = ParseKb(value);
      if (!*field) bad = true;
    };
    if (key == "Name") {
      // The name is escaped by the kernel (\n and \\); kept as printed.
      status.name = std::string(value);
      have_name = true;
    } else if (key == "State") {
      value = TrimSpace(value);
      if (value.empty()) {
        bad = true;
      } else {
        status.state = value[0];
      }
    } else if (key == "VmRSS") {
      kb(&status.vm_rss_bytes);
    } else if (key == "RssAnon") {
      kb(&status.rss_anon_bytes);
    } else if (key == "RssFile") {
      kb(&status.rss_file_bytes);
    } else if (key == "RssShmem") {
      kb(&status.rss_shmem_bytes);
    } else if (key == "VmSwap") {
      kb(&status.vm_swap_bytes);
    } else if (key == "VmPTE") {
      kb(&status.vm_pte_bytes);
    } else if (key == "Kthread") {
      status.kernel_thread = TrimSpace(value) == "1";
    } else if (key == "NSpid") {
      ForEachField(value, 0, [&](int, std::string_view f) {
        std::string_view field = TrimSpace(f);
        if (field.empty()) return true;
        std::optional<int64_t> pid = ParseI64(field);
        if (!pid) {
          bad = true;
          return false;
        }
        status.nspid.push_back(*pid);
        return true;
      });
    }
  });
  if (!have_name) return absl::InvalidArgumentError("status: no Name: line");
  if (bad) return absl::InvalidArgumentError("status: a line is not a number");
  return status;
}

absl::StatusOr<int64_t> ParseOomScore(std::string_view text) {
  std::optional<int64_t> score = ParseLoneNumber(text);
  if (!score || *score < 0) {
    return absl::InvalidArgumentError("oom_score: not a number");
  }
  return *score;
}

absl::StatusOr<int64_t> ParseOomScoreAdj(std::string_view text) {
  std::optional<int64_t> adj = ParseLoneNumber(text);
  if (!adj || *adj < kOomScoreAdjMin || *adj > 1000) {
    return absl::InvalidArgumentError("oom_score_adj: not in -1000..1000");
  }
  return *adj;
}

absl::StatusOr<std::string> ParseProcCgroup(std::string_view text) {
  std::optional<std::string_view> v1;
  std::optional<std::string_view> v2;
  ForEachLine(text, [&](std::string_view line) {
    std::size_t first = line.find(':');
    if (first == std::string_view::npos) return;
    std::size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) return;
    std::string_view hierarchy = line.substr(0, first);
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string_view path = line.substr(second + 1);
    if (hierarchy == "0" && controllers.empty()) {
      v2 = path;
      return;
    }
    while (!controllers.empty()) {
      std::size_t comma = controllers.find(',');
      if (controllers.substr(0, comma) == "memory") v1 = path;
      if (comma == std::string_view::npos) break;
      controllers.remove_prefix(comma + 1);
    }
  });
  if (v1) return std::string(*v1);
  if (v2) return std::string(*v2);
  return absl::NotFoundError("cgroup: no memory or cgroup2 line");
}

std::string CommLabel(std::string_view comm) {
  std::string out;
  out.reserve(comm.size());
  for (std::size_t i = 0; i < comm.size();) {
    std::size_t n = Utf8SequenceLength(comm, i);
    if (n > 0 && comm[i] != '\0') {
      out.append(comm.substr(i, n));
      i += n;
      continue;
    }
    char escaped[5];
    std::snprintf(escaped, sizeof(escaped), "\\x%02x",
                  static_cast<unsigned char>(comm[i]));
    out.append(escaped);
    ++i;
  }
  return out;
}

}  // namespace oom
