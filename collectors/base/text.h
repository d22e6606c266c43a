#ifndef OOM_EXPORTER_COLLECTORS_BASE_TEXT_H_
#define OOM_EXPORTER_COLLECTORS_BASE_TEXT_H_

// Small locale-independent helpers shared by the parsers of kernel text.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oom {

// A decimal unsigned integer filling all of `text` ("42"; not "+42", "4 2",
// "0x2a" or "-1"); nullopt on anything else or on overflow.
std::optional<uint64_t> ParseU64(std::string_view text);

// As ParseU64, with an optional leading '-'.
std::optional<int64_t> ParseI64(std::string_view text);

// A decimal number with an optional fraction ("0.72", "12"); nullopt on
// anything else. Never depends on the locale.
std::optional<double> ParseDouble(std::string_view text);

// `text` without leading and trailing spaces, tabs and newlines.
std::string_view TrimSpace(std::string_view text);

// A duration as Prometheus spells them: "90s", "1h30m", "500ms", "0s", "0";
// units ms, s, m, h, d, w, each at most once and from long to short.
// nullopt when it is not one (or beyond 2^50 ms).
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// `duration` (not negative) spelt so that ParseDuration reads it back, with
// the longest units first: 1h -> "1h", 90 min -> "1h30m", 500 ms -> "500ms",
// 0 -> "0s".
std::string FormatDuration(std::chrono::milliseconds duration);

// Calls `fn(line)` for every line of `text` (without its '\n'); a last line
// without '\n' is passed too, empty lines are skipped.
template <typename Fn>
void ForEachLine(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty()) fn(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_BASE_TEXT_H_
