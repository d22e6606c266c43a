#include "exporter/cli/health_check_command.h"

#include <signal.h>

#include <string>

#include "absl/status/statusor.h"
#include "exporter/http/health_check.h"
#include "exporter/http/web_config.h"

namespace oom {

int RunHealthCheckCommand(const Flags& flags, std::FILE* out, std::FILE* err) {
  // A server that hangs up while the request is written must end in a
  // line saying so, not in death by signal.
  ::signal(SIGPIPE, SIG_IGN);
  HealthCheckOptions options;
  options.listen_address = flags.listen_address;
  options.timeout = flags.request_timeout;
  if (!flags.web_config_file.empty()) {
    absl::StatusOr<WebConfig> web = LoadWebConfig(flags.web_config_file);
    if (!web.ok()) {
      std::fprintf(err,
                   "oom_exporter: unhealthy: cannot check: "
                   "--web.config.file: %s\n",
                   std::string(web.status().message()).c_str());
      return kUnhealthy;
    }
    options.tls = web->tls.has_value();
  }
  HealthCheckResult result = CheckHealth(options);
  if (result.healthy) {
    std::fprintf(out, "oom_exporter: healthy: %s %s\n", result.url.c_str(),
                 result.detail.c_str());
    return kHealthy;
  }
  std::fprintf(err, "oom_exporter: unhealthy: %s: %s\n",
               result.url.empty() ? "--web.listen-address" : result.url.c_str(),
               result.detail.c_str());
  return kUnhealthy;
}

}  // namespace oom
