// Fuzzes the parsers of /proc files: the first input byte picks one of
// ParseMeminfo, ParseVmstat, ParsePressure and ParseSysctlInt, the rest is
// the file. Traps when a parse that succeeded breaks its header's promise.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/kernel/procfs/meminfo.h"
#include "collectors/kernel/procfs/pressure.h"
#include "collectors/kernel/procfs/sysctl.h"
#include "collectors/kernel/procfs/vmstat.h"

namespace {

int CountLines(std::string_view text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      absl::StatusOr<oom::Meminfo> meminfo = oom::ParseMeminfo(text);
      if (!meminfo.ok()) break;
      if (meminfo->values.empty()) __builtin_trap();
      if (meminfo->malformed_lines + static_cast<int>(meminfo->values.size()) >
          CountLines(text)) {
        __builtin_trap();
      }
      break;
    }
    case 1: {
      absl::StatusOr<oom::Vmstat> vmstat = oom::ParseVmstat(text);
      if (!vmstat.ok()) break;
      if (vmstat->values.empty()) __builtin_trap();
      if (vmstat->malformed_lines + static_cast<int>(vmstat->values.size()) >
          CountLines(text)) {
        __builtin_trap();
      }
      break;
    }
    case 2: {
      absl::StatusOr<oom::Pressure> pressure = oom::ParsePressure(text);
      if (!pressure.ok()) break;
      if (!pressure->some && !pressure->full) __builtin_trap();
      for (const auto& line : {pressure->some, pressure->full}) {
        if (line &&
            !(line->avg10 >= 0 && line->avg60 >= 0 && line->avg300 >= 0)) {
          __builtin_trap();  // also NaN
        }
      }
      break;
    }
    case 3: {
      absl::StatusOr<int64_t> value = oom::ParseSysctlInt(text);
      if (!value.ok()) break;
      // What it read prints back as a number it reads the same.
      absl::StatusOr<int64_t> again =
          oom::ParseSysctlInt(std::to_string(*value));
      if (!again.ok() || *again != *value) __builtin_trap();
      break;
    }
  }
  return 0;
}
