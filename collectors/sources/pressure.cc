#include "collectors/sources/pressure.h"

#include <array>

#include "absl/status/status.h"
#include "collectors/sources/text.h"

namespace oom {
namespace {

// "avg10=0.72 avg60=0.13 avg300=0.02 total=90651": all four, in that order.
std::optional<PressureLine> ParseFields(std::string_view fields) {
  std::array<std::string_view, 4> parts;
  std::size_t n = 0;
  while (!fields.empty()) {
    std::size_t space = fields.find(' ');
    std::string_view part = fields.substr(0, space);
    if (!part.empty()) {
      if (n == parts.size()) return std::nullopt;
      parts[n++] = part;
    }
    if (space == std::string_view::npos) break;
    fields.remove_prefix(space + 1);
  }
  if (n != parts.size()) return std::nullopt;
  constexpr std::array<std::string_view, 4> kKeys = {
      "avg10=", "avg60=", "avg300=", "total="};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].substr(0, kKeys[i].size()) != kKeys[i]) return std::nullopt;
    parts[i].remove_prefix(kKeys[i].size());
  }
  std::optional<double> avg10 = ParseDouble(parts[0]);
  std::optional<double> avg60 = ParseDouble(parts[1]);
  std::optional<double> avg300 = ParseDouble(parts[2]);
  std::optional<uint64_t> total = ParseU64(parts[3]);
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
