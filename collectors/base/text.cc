#include "collectors/base/text.h"

#include <charconv>
#include <iterator>

namespace oom {

std::optional<uint64_t> ParseU64(std::string_view text) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::optional<int64_t> ParseI64(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  if (digits.empty() || digits[0] < '0' || digits[0] > '9') return std::nullopt;
  int64_t value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::optional<double> ParseDouble(std::string_view text) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(),
                                   value, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::string_view TrimSpace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r";
  std::size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  std::size_t end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

namespace {

struct DurationUnit {
  std::string_view name;
  int64_t ms;
};
// Longest first; "ms" before "m", so that the longer name wins.
constexpr DurationUnit kDurationUnits[] = {
    {"w", 7 * 86400 * 1000}, {"d", 86400 * 1000}, {"h", 3600 * 1000}, {"ms", 1},
    {"m", 60 * 1000},        {"s", 1000}};
// The same units by size, longest first.
constexpr std::size_t kUnitsBySize[] = {0, 1, 2, 4, 5, 3};

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  std::optional<int64_t> last_unit_ms;  // units must go from long to short
  while (!text.empty()) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
      ++digits;
    std::optional<uint64_t> number = ParseU64(text.substr(0, digits));
    if (!number || *number > (uint64_t{1} << 40)) return std::nullopt;
    text.remove_prefix(digits);
    const DurationUnit* unit = nullptr;
    for (const DurationUnit& candidate : kDurationUnits) {
      if (text.substr(0, candidate.name.size()) == candidate.name) {
        unit = &candidate;
        break;
      }
    }
    if (unit == nullptr || (last_unit_ms && unit->ms >= *last_unit_ms)) {
      return std::nullopt;
    }
    text.remove_prefix(unit->name.size());
    total += static_cast<int64_t>(*number) * unit->ms;
    if (total > (int64_t{1} << 50)) return std::nullopt;
    last_unit_ms = unit->ms;
  }
  return std::chrono::milliseconds(total);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  int64_t left = duration.count();
  if (left <= 0) return "0s";
  std::string out;
  for (std::size_t index : kUnitsBySize) {
    const DurationUnit& unit = kDurationUnits[index];
    if (left >= unit.ms) {
      out += std::to_string(left / unit.ms);
      out += unit.name;
      left %= unit.ms;
    }
  }
  return out;
}

}  // namespace oom
