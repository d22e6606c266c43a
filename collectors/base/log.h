#ifndef OOM_EXPORTER_COLLECTORS_BASE_LOG_H_
#define OOM_EXPORTER_COLLECTORS_BASE_LOG_H_

// The exporter's one logger: logfmt lines on stderr, one line per event, e.g.
//   ts=2026-11-22T02:03:04.123Z level=warn msg="collector failed"
//   collector=memory err="/proc/meminfo: no MemTotal line"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace oom {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug", "info", "warn" or "error". Returns false for anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);

// Lines below `level` are dropped. The default is kInfo.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Where lines go: stderr by default. Tests pass a capture function; nullptr
// restores stderr. Not thread-safe against concurrent Log() calls.
using LogSink = void (*)(std::string_view line);
void SetLogSinkForTesting(LogSink sink);

using LogField = std::pair<std::string_view, std::string_view>;

// Writes one line if `level` is enabled. Thread-safe; values are quoted and
// escaped as logfmt requires.
void Log(LogLevel level, std::string_view msg,
         std::initializer_list<LogField> fields = {});

// Renders one logfmt line without the timestamp (exposed for tests).
std::string FormatLogLine(LogLevel level, std::string_view msg,
                          std::initializer_list<LogField> fields);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_BASE_LOG_H_
