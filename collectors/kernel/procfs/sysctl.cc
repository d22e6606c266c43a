#include "collectors/kernel/procfs/sysctl.h"

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/base/string_view.h"
#include "collectors/base/text.h"

namespace oom {

absl::StatusOr<int64_t> ParseSysctlInt(std::string_view text) {
  std::string_view trimmed = TrimSpace(text);
  std::optional<int64_t> value = ParseI64(trimmed);
  if (!value) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not an integer: \"", ToAbsl(trimmed.substr(0, 32)), "\""));
  }
  return *value;
}

}  // namespace oom
