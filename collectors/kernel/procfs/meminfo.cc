#include "collectors/kernel/procfs/meminfo.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/base/status_macros.h"
#include "collectors/base/string_view.h"
#include "collectors/base/text.h"

namespace oom {

std::optional<uint64_t> Meminfo::Get(std::string_view key) const {
  auto it = values.find(ToAbsl(key));
  if (it == values.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<Meminfo> ParseMeminfo(std::string_view text) {
  Meminfo info;
  ForEachLine(text, [&](std::string_view line) {
    std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
      ++info.malformed_lines;
      return;
    }
    std::string_view key = line.substr(0, colon);
    std::string_view rest = TrimSpace(line.substr(colon + 1));
    uint64_t multiplier = 1;
    if (rest.size() > 3 && rest.substr(rest.size() - 3) == " kB") {
      multiplier = 1024;
      rest = TrimSpace(rest.substr(0, rest.size() - 3));
    }
    std::optional<uint64_t> value = ParseU64(rest);
    if (!value || *value > std::numeric_limits<uint64_t>::max() / multiplier) {
      ++info.malformed_lines;
      return;
    }
    info.values[std::string(key)] = *value * multiplier;
  });
  if (info.values.empty()) {
    return absl::InvalidArgumentError("no \"Key: value\" line in meminfo");
  }
  return info;
}

absl::StatusOr<Meminfo> ReadMeminfo(const FsRoots& roots) {
  std::string path = roots.Proc("meminfo");
  OOM_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  absl::StatusOr<Meminfo> meminfo = ParseMeminfo(text);
  if (!meminfo.ok()) {
    return absl::Status(meminfo.status().code(),
                        absl::StrCat(path, ": ", meminfo.status().message()));
  }
  return meminfo;
}

}  // namespace oom
