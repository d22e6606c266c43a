#ifndef OOM_EXPORTER_COLLECTORS_BASE_STRING_VIEW_H_
#define OOM_EXPORTER_COLLECTORS_BASE_STRING_VIEW_H_

// abseil 20220623 as Debian builds it has its own absl::string_view, distinct
// from std::string_view. The project uses std::string_view and converts at
// the boundary with this.

#include <string_view>

#include "absl/strings/string_view.h"

namespace oom {

inline absl::string_view ToAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

inline std::string_view FromAbsl(absl::string_view text) {
  return std::string_view(text.data(), text.size());
}

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_BASE_STRING_VIEW_H_
