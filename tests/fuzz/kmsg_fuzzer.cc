// Fuzzes the kernel-log path of `oom_exporter parse` and of the kmsg
// collector: the input, split into lines, goes through ParseLogLine and
// KillAssembler::Add, then Flush, and every kill through KillToJson. Traps
// when an invariant breaks:
//  - each kill's JSON is one object: starts with {"pid": and ends with };
//  - the JSON holds no raw control byte and is valid UTF-8 (AppendJsonString
//    promises both, whatever bytes the log carried);
//  - nothing is pending after Flush;
//  - one line yields at most two kills (a pending summary and a kill line).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/kernel/kmsg/log_line.h"
#include "collectors/oom/oom_kills.h"

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Whether `s` is valid UTF-8 without control bytes (< 0x20, 0x7f).
bool IsCleanUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    std::size_t n = c < 0x80                 ? 1
                    : c >= 0xc2 && c <= 0xdf ? 2
                    : c >= 0xe0 && c <= 0xef ? 3
                    : c >= 0xf0 && c <= 0xf4 ? 4
                                             : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

void CheckKill(const oom::OomKill& kill) {
  std::string json = oom::KillToJson(kill);
  if (!StartsWith(json, "{\"pid\":") || json.back() != '}') __builtin_trap();
  if (!IsCleanUtf8(json)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  oom::KillAssembler assembler;
  oom::KillAssembler::Events events;
  oom::LogLine line;  // reused, as `parse` and the collector do
  while (!input.empty()) {
    std::size_t end = input.find('\n');
    std::string_view text = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);

    std::size_t before = events.kills.size();
    oom::ParseLogLine(text, &line);
    assembler.Add(line, &events);
    if (events.kills.size() > before + 2) __builtin_trap();
    // What `parse` does with the other events.
    for (const oom::OomKill& amendment : events.amendments)
      CheckKill(amendment);
    events.ApplyLateDetails([&events](int64_t pid) -> oom::OomKill* {
      for (auto it = events.kills.rbegin(); it != events.kills.rend(); ++it) {
        if (it->pid == pid) return &*it;
      }
      return nullptr;
    });
  }
  assembler.Flush(&events);
  if (assembler.has_pending()) __builtin_trap();
  for (const oom::OomKill& kill : events.kills) CheckKill(kill);
  return 0;
}
