// Fuzzes the parsers of /proc/<pid> files: the first input byte picks one of
// ParseProcStat, ParseProcStatm, ParseProcStatus, ParseOomScore,
// ParseOomScoreAdj, ParseProcCgroup and CommLabel, the rest is the file.
// Traps when a parse that succeeded breaks its header's promise.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/kernel/procfs/proc_pid.h"

namespace {

// True when `text` is well-formed UTF-8 without NUL bytes.
bool CleanUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0) return false;
    std::size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (c >= 0x80 && c < 0xc2) return false;
    if (i + n > text.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80)
        return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 7) {
    case 0: {
      absl::StatusOr<oom::ProcStat> stat = oom::ParseProcStat(text);
      if (!stat.ok()) break;
      // The comm lies between the first '(' and the last ')'.
      if (stat->pid <= 0 || stat->comm.size() + 2 > text.size()) {
        __builtin_trap();
      }
      if (text.find(stat->comm) == std::string_view::npos) __builtin_trap();
      break;
    }
    case 1: {
      absl::StatusOr<oom::ProcStatm> statm = oom::ParseProcStatm(text);
      (void)statm;
      break;
    }
    case 2: {
      absl::StatusOr<oom::ProcStatus> status = oom::ParseProcStatus(text);
      if (!status.ok()) break;
      for (const auto& bytes : {status->vm_rss_bytes, status->vm_swap_bytes,
                                status->vm_pte_bytes}) {
        if (bytes && *bytes % 1024 != 0) __builtin_trap();  // kB in bytes
      }
      break;
    }
    case 3: {
      absl::StatusOr<int64_t> score = oom::ParseOomScore(text);
      if (score.ok() && *score < 0) __builtin_trap();
      break;
    }
    case 4: {
      absl::StatusOr<int64_t> adj = oom::ParseOomScoreAdj(text);
      if (adj.ok() && (*adj < -1000 || *adj > 1000)) __builtin_trap();
      break;
    }
    case 5: {
      absl::StatusOr<std::string> path = oom::ParseProcCgroup(text);
      if (path.ok() && text.find(*path) == std::string_view::npos) {
        __builtin_trap();
      }
      break;
    }
    case 6: {
      std::string label = oom::CommLabel(text);
      if (!CleanUtf8(label) || label.size() < text.size()) __builtin_trap();
      break;
    }
  }
  return 0;
}
