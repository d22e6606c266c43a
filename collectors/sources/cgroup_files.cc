#include "collectors/sources/cgroup_files.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/sources/text.h"
#include "collectors/util/string_view.h"

namespace oom {

absl::StatusOr<uint64_t> ParseCgroupBytes(std::string_view text) {
  std::string_view trimmed = TrimSpace(text);
  std::optional<uint64_t> value = ParseU64(trimmed);
  if (!value) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a byte count: \"", ToAbsl(trimmed.substr(0, 32)), "\""));
  }
  return *value;
}

absl::StatusOr<std::optional<uint64_t>> ParseCgroupLimit(
    std::string_view text) {
  constexpr uint64_t kUnlimited = uint64_t{1} << 62;
  if (TrimSpace(text) == "max") return std::optional<uint64_t>();
  absl::StatusOr<uint64_t> bytes = ParseCgroupBytes(text);
  if (!bytes.ok()) return bytes.status();
  if (*bytes >= kUnlimited) return std::optional<uint64_t>();
  return std::optional<uint64_t>(*bytes);
}

}  // namespace oom
