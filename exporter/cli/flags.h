#ifndef OOM_EXPORTER_EXPORTER_CLI_FLAGS_H_
#define OOM_EXPORTER_EXPORTER_CLI_FLAGS_H_

// The command line, spelled as Prometheus exporters spell it:
//   --web.listen-address=:9968 --web.telemetry-path=/metrics
//   --web.config.file=FILE --web.max-connections=8
//   --web.request-timeout=10s --web.max-header-bytes=16384
//   --path.procfs=/proc --path.sysfs=/sys
//   --collector.NAME / --no-collector.NAME   --log.level=info
//   --collector.NAME.FLAG=VALUE, --[no-]collector.NAME.FLAG: each
//     collector's own flags, from its registration
//     (collectors/scrape/collector_registry.h)
//   --run-as-user=USER
//   --healthcheck (check the running exporter the flags describe, and exit)
//   --version  --help
// Values may follow as "--flag=value" or "--flag value".

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collectors/base/log.h"
#include "collectors/scrape/collector_registry.h"

namespace oom {

inline constexpr char kDefaultListenAddress[] = ":9968";

struct Flags {
  std::string listen_address = kDefaultListenAddress;
  std::string telemetry_path = "/metrics";
  std::string web_config_file;  // empty: none
  std::size_t max_connections = 8;
  std::string request_timeout_text = "10s";
  std::chrono::milliseconds request_timeout{10000};
  std::size_t max_header_bytes = 16384;
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  LogLevel log_level = LogLevel::kInfo;
  std::string run_as_user;  // empty: stay who started the exporter
  // Names of the collectors to run, in the order of the known ones.
  std::vector<std::string> collectors;
  // Every known collector's options (an entry per collector, enabled or
  // not), as its flags set them: the argument of its factory.
  CollectorOptionsMap collector_options;
  bool help = false;
  bool version = false;
  // Ask the exporter on listen_address (over TLS when the web config sets
  // it) for /healthz, instead of serving (exporter/cli/health_check_command.h).
  bool healthcheck = false;
};

// Parses the arguments after the program name against the `known`
// collectors, whose registrations give --[no-]collector.NAME and their own
// flags. Errors (InvalidArgument) name the offending flag and say what is
// wrong: an unknown flag, a missing or bad value (a collector flag's own
// check among them), an unknown collector, a telemetry
// path that is not absolute or clashes with "/" or "/healthz", a stray
// argument, a request timeout outside 100ms..10m, a header limit below 1024.
// The web config file is read and --run-as-user looked up later (main), not
// here.
absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args,
                                 const CollectorRegistry& known);

// The --help text: the program's flags, the `known` collectors' flags
// (grouped with the program's of the same kind), then the collectors.
std::string UsageText(const CollectorRegistry& known);

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_CLI_FLAGS_H_
