#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_PRESSURE_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_PRESSURE_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"

namespace oom {

// One line of a PSI file: running averages in percent and the total stall
// time in microseconds.
struct PressureLine {
  double avg10 = 0;
  double avg60 = 0;
  double avg300 = 0;
  uint64_t total_us = 0;
};

// A PSI file: /proc/pressure/memory or a cgroup's memory.pressure.
struct Pressure {
  std::optional<PressureLine> some;  // some task stalled on memory
  std::optional<PressureLine> full;  // all non-idle tasks stalled
  int malformed_lines = 0;
};

// Parses PSI text, skipping and counting malformed lines. Fails when neither
// a "some" nor a "full" line can be read. Sample (Linux 6.18, after one
// memcg OOM kill):
//   some avg10=0.72 avg60=0.13 avg300=0.02 total=90651
//   full avg10=0.72 avg60=0.13 avg300=0.02 total=90537
absl::StatusOr<Pressure> ParsePressure(std::string_view text);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_PRESSURE_H_
