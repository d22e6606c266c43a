#ifndef OOM_EXPORTER_COLLECTORS_KMSG_KMSG_OPTIONS_H_
#define OOM_EXPORTER_COLLECTORS_KMSG_KMSG_OPTIONS_H_

// The kmsg collector's options; kmsg_registration.cc binds each to its flag
// (--collector.kmsg.*), whose default is the value here.

#include <cstddef>
#include <string>

namespace oom {

struct KmsgOptions {
  std::string path = "/dev/kmsg";
  // Where counts survive restarts; empty: nowhere.
  std::string state_file = "/var/lib/oom_exporter/kmsg.state";
  std::size_t max_series = 1000;  // oom_kills_total label sets
  std::size_t recent_kills = 10;  // oom_recent_kill_timestamp_seconds
  std::size_t api_kills = 100;    // /api/v1/kills
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KMSG_KMSG_OPTIONS_H_
