#ifndef OOM_EXPORTER_COLLECTORS_KMSG_KMSG_STATE_H_
#define OOM_EXPORTER_COLLECTORS_KMSG_KMSG_STATE_H_

// What the kmsg collector has counted since boot, and its persistence: a
// small text file written atomically (temporary file, fsync, rename), so
// that after a restart no kill is counted twice and none is lost while the
// kernel's ring still holds it. A file of another boot is ignored: counters
// mean "since boot", like /proc/vmstat.

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "absl/status/statusor.h"
#include "collectors/oom/oom_kills.h"

namespace oom {

// Upper bounds of oom_killed_process_memory_bytes: 1 MiB to 64 GiB by 4.
inline constexpr std::array<double, 9> kKilledMemoryBuckets = {
    1.0 * (1 << 20),  4.0 * (1 << 20),   16.0 * (1 << 20),
    64.0 * (1 << 20), 256.0 * (1 << 20), 1.0 * (1 << 30),
    4.0 * (1 << 30),  16.0 * (1 << 30),  64.0 * (1 << 30)};

struct MemoryHistogram {
  std::array<uint64_t, kKilledMemoryBuckets.size()> buckets{};  // cumulative
  uint64_t count = 0;
  double sum = 0;

  void Observe(double bytes);
};

// A counted kill as the collector keeps it for the recent-kills table and
// /api/v1/kills.
struct RecordedKill {
  OomKill kill;
  std::optional<double> time;  // Unix seconds, when known
};

struct KmsgCounters {
  std::string boot_id;
  std::optional<uint64_t> last_sequence;  // last kmsg record processed
  uint64_t records = 0;
  uint64_t lost = 0;
  uint64_t unrecognized = 0;
  uint64_t invocations = 0;
  // Kill lines printed again for a process the same OOM had already killed
  // (KillAssembler::repeated_kills).
  uint64_t repeated_kills = 0;
  // False when the state came from a file without a "repeated_kills" line
  // (written before the exporter counted them): repeated_kills loads as 0,
  // and the run that wrote the file did not count the repeats it read.
  bool repeated_kills_counted = true;
  uint64_t panics = 0;
  std::optional<double> last_kill_time;
  // oom_kills_total by (scope, cgroup, comm).
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> kills;
  std::map<std::string, MemoryHistogram> memory;  // by scope
  std::deque<RecordedKill> recent;                // oldest first
};

// The kmsg records lost before the record `sequence` (overwritten in the
// ring before they were read): those after `last_seen`, the last record this
// run read (which must be below `sequence`); before the first record of a
// run, those after `counted_through`, the last record the state file counted
// (none when `sequence` is not above it); without either, every record
// before `sequence` (numbered from 0).
uint64_t LostRecordsBefore(uint64_t sequence, std::optional<uint64_t> last_seen,
                           std::optional<uint64_t> counted_through);

// Serialises `counters` (format version 1, ends with an "end" line).
std::string SerializeKmsgState(const KmsgCounters& counters);

// Parses what SerializeKmsgState wrote. A truncated or corrupt file is an
// InvalidArgument error naming the line.
absl::StatusOr<KmsgCounters> ParseKmsgState(std::string_view text);

// One "recent" line of the state file, without its newline: the time, then
// the kill's fields in the order of kOomKillFields (kKillFieldInState).
std::string SerializeRecentKill(const RecordedKill& recorded);

// Parses a line SerializeRecentKill wrote; nullopt when it has not exactly
// its fields, or one of them is malformed (garbage where a number or null
// belongs, a null pid, scope or reaped).
std::optional<RecordedKill> ParseRecentKill(std::string_view line);

// Writes `content` to `path` atomically: `path`.tmp, fsync, rename, fsync of
// the directory. The old file stays intact on any failure (a full disk).
absl::Status WriteFileAtomically(const std::string& path,
                                 std::string_view content);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KMSG_KMSG_STATE_H_
