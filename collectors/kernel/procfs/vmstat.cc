#include "collectors/kernel/procfs/vmstat.h"

#include "absl/status/status.h"
#include "collectors/base/string_view.h"
#include "collectors/base/text.h"

namespace oom {

std::optional<uint64_t> Vmstat::Get(std::string_view name) const {
  auto it = values.find(ToAbsl(name));
  if (it == values.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<Vmstat> ParseVmstat(std::string_view text) {
  Vmstat vmstat;
  ForEachLine(text, [&](std::string_view line) {
    std::size_t space = line.find(' ');
    if (space == 0 || space == std::string_view::npos) {
      ++vmstat.malformed_lines;
      return;
    }
    std::optional<uint64_t> value = ParseU64(line.substr(space + 1));
    if (!value) {
      ++vmstat.malformed_lines;
      return;
    }
    vmstat.values[std::string(line.substr(0, space))] = *value;
  });
  if (vmstat.values.empty()) {
    return absl::InvalidArgumentError("no \"name value\" line in vmstat");
  }
  return vmstat;
}

}  // namespace oom
