#include "collectors/kernel/procfs/pressure.h"

#include <array>

#include "absl/status/status.h"
#include "collectors/base/text.h"

namespace oom {
namespace {

// "avg10=0.72 avg60=0.13 avg300=0.02 total=90651": each of the four keys
// exactly once. Fields are taken in any order and unknown "key=value" fields
// are ignored, so that a kernel adding a field does not break the exporter.
std::optional<PressureLine> ParseFields(std::string_view fields) {
  constexpr std::array<std::string_view, 4> kKeys = {"avg10", "avg60", "avg300",
                                                     "total"};
  std::array<std::optional<std::string_view>, 4> values;
  while (!fields.empty()) {
    std::size_t space = fields.find(' ');
    std::string_view field = fields.substr(0, space);
    fields = space == std::string_view::npos ? std::string_view()
                                             : fields.substr(space + 1);
    if (field.empty()) continue;
    std::size_t eq = field.find('=');
    if (eq == 0 || eq == std::string_view::npos) return std::nullopt;
    std::string_view key = field.substr(0, eq);
    for (std::size_t i = 0; i < kKeys.size(); ++i) {
      if (key != kKeys[i]) continue;
      if (values[i]) return std::nullopt;  // The same key twice.
      values[i] = field.substr(eq + 1);
    }
  }
  for (const auto& value : values) {
    if (!value) return std::nullopt;
  }
  std::optional<double> avg10 = ParseDouble(*values[0]);
  std::optional<double> avg60 = ParseDouble(*values[1]);
  std::optional<double> avg300 = ParseDouble(*values[2]);
  std::optional<uint64_t> total = ParseU64(*values[3]);
  if (!avg10 || !avg60 || !avg300 || !total) return std::nullopt;
  return PressureLine{*avg10, *avg60, *avg300, *total};
}

}  // namespace

absl::StatusOr<Pressure> ParsePressure(std::string_view text) {
  Pressure pressure;
  ForEachLine(text, [&](std::string_view line) {
    std::optional<PressureLine>* slot = nullptr;
    if (line.substr(0, 5) == "some ") {
      slot = &pressure.some;
    } else if (line.substr(0, 5) == "full ") {
      slot = &pressure.full;
    }
    std::optional<PressureLine> parsed;
    if (slot != nullptr) parsed = ParseFields(line.substr(5));
    if (!parsed) {
      ++pressure.malformed_lines;
      return;
    }
    *slot = parsed;
  });
  if (!pressure.some && !pressure.full) {
    return absl::InvalidArgumentError(
        "no \"some\" or \"full\" line in PSI file");
  }
  return pressure;
}

}  // namespace oom
