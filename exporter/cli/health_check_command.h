#ifndef OOM_EXPORTER_EXPORTER_CLI_HEALTH_CHECK_COMMAND_H_
#define OOM_EXPORTER_EXPORTER_CLI_HEALTH_CHECK_COMMAND_H_

// `oom_exporter --healthcheck [flags]`: checks the exporter that the same
// flags would start, for a container's HEALTHCHECK in an image without a
// shell or curl:
//   HEALTHCHECK CMD ["/usr/bin/oom_exporter", "--healthcheck"]
// It asks --web.listen-address for /healthz (exporter/http/health_check.h),
// over HTTPS when --web.config.file has tls_server_config, and waits
// --web.request-timeout for the answer. It starts no collector, opens no
// kernel file, writes no state and binds no port; of the files, it reads
// only the web config.

#include <cstdio>

#include "exporter/cli/flags.h"

namespace oom {

// Docker's HEALTHCHECK reads 0 as healthy and 1 as unhealthy, and reserves
// 2: --healthcheck exits with these two only, a bad flag included.
inline constexpr int kHealthy = 0;
inline constexpr int kUnhealthy = 1;

// Runs the check `flags` describe and prints one line saying what came of
// it: to `out` when healthy ("oom_exporter: healthy: URL answered 200"), to
// `err` otherwise ("oom_exporter: unhealthy: URL: connection refused").
// Returns kHealthy or kUnhealthy. Ignores SIGPIPE for the process.
int RunHealthCheckCommand(const Flags& flags, std::FILE* out, std::FILE* err);

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_CLI_HEALTH_CHECK_COMMAND_H_
