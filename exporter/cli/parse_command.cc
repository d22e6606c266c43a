#include "exporter/cli/parse_command.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collectors/kernel/kmsg/log_line.h"
#include "collectors/oom/oom_kills.h"

namespace oom {
namespace {

struct Totals {
  uint64_t kills = 0;
  uint64_t invocations = 0;
  uint64_t unrecognized = 0;
  uint64_t panics = 0;
  std::map<std::string, uint64_t> by_scope;
  std::map<std::string, uint64_t> by_comm;
  std::map<std::string, uint64_t> by_cgroup;
};

// Reads `fd` to the end, handing each line (without '\n') to `fn`.
template <typename Fn>
bool ForEachLineOfFd(int fd, Fn&& fn) {
  std::string buffer;
  std::vector<char> chunk(1 << 16);
  while (true) {
    ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) break;
    buffer.append(chunk.data(), static_cast<std::size_t>(n));
    std::size_t start = 0;
    while (true) {
      std::size_t end = buffer.find('\n', start);
      if (end == std::string::npos) break;
      fn(std::string_view(buffer).substr(start, end - start));
      start = end + 1;
    }
    buffer.erase(0, start);
  }
  if (!buffer.empty()) fn(std::string_view(buffer));
  return true;
}

// Parses one input; prints its kills (unless summarising) and adds to totals.
bool ParseInput(int fd, bool summary, std::FILE* out, Totals* totals) {
  KillAssembler assembler;
  KillAssembler::Events events;
  LogLine line;
  bool ok = ForEachLineOfFd(fd, [&](std::string_view text) {
    ParseLogLine(text, &line);
    assembler.Add(line, &events);
    // Reaper lines and late summaries complete kills counted before: kills
    // are held until the end of the input so that their JSON is complete.
    events.ApplyLateDetails([&events](int64_t pid) -> OomKill* {
      for (auto it = events.kills.rbegin(); it != events.kills.rend(); ++it) {
        if (it->pid == pid) return &*it;
      }
      return nullptr;
    });
  });
  assembler.Flush(&events);
  for (const OomKill& kill : events.kills) {
    if (!summary) {
      std::string json = KillToJson(kill);
      json.push_back('\n');
      std::fwrite(json.data(), 1, json.size(), out);
    }
    ++totals->kills;
    std::string scope(ScopeName(kill.scope));
    ++totals->by_scope[scope.empty() ? "(unknown)" : scope];
    ++totals->by_comm[kill.comm.value_or("(unknown)")];
    ++totals->by_cgroup[kill.task_memcg  ? *kill.task_memcg
                        : kill.oom_memcg ? *kill.oom_memcg
                                         : "(unknown)"];
  }
  totals->invocations += assembler.invocations();
  totals->unrecognized += assembler.unrecognized();
  totals->panics += assembler.panics();
  return ok;
}

void PrintCounts(std::FILE* out, const char* title,
                 const std::map<std::string, uint64_t>& counts) {
  std::vector<std::pair<std::string, uint64_t>> sorted(counts.begin(),
                                                       counts.end());
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const auto& a, const auto& b) { return a.second > b.second; });
  std::fprintf(out, "%s:\n", title);
  for (const auto& [name, count] : sorted) {
    std::fprintf(out, "  %8llu  %s\n", static_cast<unsigned long long>(count),
                 name.c_str());
  }
}

}  // namespace

int RunParseCommand(const std::vector<std::string>& args, std::FILE* in,
                    std::FILE* out, std::FILE* err) {
  bool summary = false;
  std::vector<std::string> files;
  bool only_files = false;
  for (const std::string& arg : args) {
    if (!only_files && arg == "--summary") {
      summary = true;
    } else if (!only_files && (arg == "-h" || arg == "--help")) {
      std::fputs(
          "usage: oom_exporter parse [--summary] [FILE...]\n\n"
          "Reads kernel logs (dmesg, dmesg -T/-H, journalctl -k, syslog "
          "files,\n"
          "/dev/kmsg records; stdin when no FILE or \"-\") and prints one "
          "JSON\n"
          "object per OOM kill, or with --summary the counts per scope, comm\n"
          "and cgroup.\n",
          out);
      return 0;
    } else if (!only_files && arg == "--") {
      only_files = true;
    } else if (!only_files && arg.size() > 1 && arg[0] == '-') {
      std::fprintf(err, "oom_exporter parse: unknown flag %s (see --help)\n",
                   arg.c_str());
      return 2;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) files.push_back("-");

  Totals totals;
  for (const std::string& file : files) {
    int fd =
        file == "-" ? ::fileno(in) : ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(err, "oom_exporter parse: %s: %s\n", file.c_str(),
                   std::strerror(errno));
      return 1;
    }
    bool ok = ParseInput(fd, summary, out, &totals);
    int read_errno = errno;
    if (file != "-") ::close(fd);
    if (!ok) {
      std::fprintf(err, "oom_exporter parse: %s: %s\n", file.c_str(),
                   std::strerror(read_errno));
      return 1;
    }
  }
  if (summary) {
    std::fprintf(out, "kills: %llu\noom-killer invocations: %llu\n",
                 static_cast<unsigned long long>(totals.kills),
                 static_cast<unsigned long long>(totals.invocations));
    std::fprintf(out, "unrecognized OOM lines: %llu\nOOM panics: %llu\n",
                 static_cast<unsigned long long>(totals.unrecognized),
                 static_cast<unsigned long long>(totals.panics));
    PrintCounts(out, "by scope", totals.by_scope);
    PrintCounts(out, "by comm", totals.by_comm);
    PrintCounts(out, "by cgroup", totals.by_cgroup);
  }
  std::fflush(out);
  return 0;
}

}  // namespace oom
