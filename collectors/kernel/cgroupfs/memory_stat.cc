#include "collectors/kernel/cgroupfs/memory_stat.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/base/string_view.h"
#include "collectors/base/text.h"

namespace oom {
namespace {

// A key of memory.stat and where its value goes.
struct Field {
  std::string_view key;
  uint64_t MemoryStat::*member;
  bool required;
};

constexpr Field kV2Fields[] = {
    {"active_file", &MemoryStat::active_file, true},
    {"inactive_file", &MemoryStat::inactive_file, true},
    {"slab_reclaimable", &MemoryStat::slab_reclaimable, false},
};
constexpr Field kV1Fields[] = {
    {"total_active_file", &MemoryStat::active_file, true},
    {"total_inactive_file", &MemoryStat::inactive_file, true},
};

template <std::size_t N>
absl::StatusOr<MemoryStat> ParseFields(std::string_view text,
                                       const Field (&fields)[N]) {
  MemoryStat stat;
  bool seen[N] = {};
  absl::Status error;
  ForEachLine(text, [&](std::string_view line) {
    std::size_t space = line.find(' ');
    if (space == std::string_view::npos) return;
    std::string_view key = line.substr(0, space);
    for (std::size_t i = 0; i < N; ++i) {
      if (key != fields[i].key || seen[i]) continue;
      std::optional<uint64_t> value = ParseU64(TrimSpace(line.substr(space)));
      if (!value) {
        error = absl::InvalidArgumentError(
            absl::StrCat("not a number: \"", ToAbsl(line), "\""));
        return;
      }
      stat.*fields[i].member = *value;
      seen[i] = true;
    }
  });
  if (!error.ok()) return error;
  for (std::size_t i = 0; i < N; ++i) {
    if (fields[i].required && !seen[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat("no ", ToAbsl(fields[i].key), " line"));
    }
  }
  return stat;
}

uint64_t Minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

}  // namespace

absl::StatusOr<MemoryStat> ParseMemoryStat(std::string_view text, bool v2) {
  return v2 ? ParseFields(text, kV2Fields) : ParseFields(text, kV1Fields);
}

uint64_t WorkingSetBytes(uint64_t usage, const MemoryStat& stat) {
  return Minus(usage, stat.inactive_file);
}

uint64_t UnreclaimableBytes(uint64_t usage, const MemoryStat& stat) {
  return Minus(Minus(Minus(usage, stat.active_file), stat.inactive_file),
               stat.slab_reclaimable);
}

}  // namespace oom
