// oom_exporter: a Prometheus exporter for the Linux OOM killer.
//
//   oom_exporter [flags]                serve metrics
//   oom_exporter --healthcheck [flags]  check the exporter those flags start
//   oom_exporter parse [FILE...]        the OOM kills in saved kernel logs
//   oom_exporter hash-password          a password's bcrypt hash
//
// Exit status: 0 after SIGINT/SIGTERM or --help/--version, 1 when the HTTP
// server cannot start, switching to --run-as-user fails (or `parse` cannot
// read its input), 2 for a bad flag or value. With --healthcheck: 0 when
// the exporter answers, 1 for anything else, a bad flag included (Docker
// reserves 2).

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collectors/all_collectors.h"
#include "collectors/base/fs.h"
#include "collectors/base/log.h"
#include "collectors/base/string_view.h"
#include "collectors/base/version.h"
#include "collectors/scrape/scrape_registry.h"
#include "exporter/cli/flags.h"
#include "exporter/cli/health_check_command.h"
#include "exporter/cli/parse_command.h"
#include "exporter/cli/privileges.h"
#include "exporter/http/basic_auth.h"
#include "exporter/http/http_server.h"
#include "exporter/http/web_config.h"

namespace oom {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int UsageError(const std::string& message) {
  std::fprintf(stderr, "oom_exporter: error: %s\n", message.c_str());
  return kExitUsage;
}

// A root given by --path.procfs / --path.sysfs must be a directory.
bool CheckDirectory(const char* flag, const std::string& path,
                    std::string* error) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    *error = absl::StrCat("--", flag, ": \"", path, "\": ", strerror(errno));
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    *error = absl::StrCat("--", flag, ": \"", path, "\" is not a directory");
    return false;
  }
  return true;
}

// The --web.config.file, loaded; the default (no TLS, no users) without one.
absl::StatusOr<WebConfig> LoadWebConfigFlag(const Flags& flags) {
  if (flags.web_config_file.empty()) return WebConfig();
  absl::StatusOr<WebConfig> loaded = LoadWebConfig(flags.web_config_file);
  if (!loaded.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--web.config.file: ", loaded.status().message()));
  }
  return loaded;
}

// The user to switch to (--run-as-user), or nullopt when there is none to
// switch to: none given, or the exporter already runs as that user (which
// it logs). An error (naming the flag) when the user is unknown or the
// switch impossible.
absl::StatusOr<std::optional<RunAsUser>> ResolveRunAsUser(const Flags& flags) {
  if (flags.run_as_user.empty()) return std::optional<RunAsUser>();
  absl::StatusOr<RunAsUser> user = ResolveUser(flags.run_as_user);
  if (!user.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--run-as-user: ", user.status().message()));
  }
  absl::StatusOr<bool> needed =
      NeedsSwitch(*user, ::geteuid(), EffectiveCapabilities().value_or(0));
  if (!needed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--run-as-user: ", needed.status().message()));
  }
  if (!*needed) {
    Log(LogLevel::kInfo, "already running as the --run-as-user user",
        {{"user", user->name}});
    return std::optional<RunAsUser>();
  }
  return std::optional<RunAsUser>(*user);
}

// Blocks SIGINT and SIGTERM, which WaitForStopSignal takes synchronously;
// called before any thread starts so that civetweb's threads inherit the
// mask. Returns the blocked set.
sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // A scraper that hangs up is not fatal.
  return stop_signals;
}

// The enabled collectors, made and started: the privileged step, before
// any switch of user. Start opens what needs root (the kernel log, the
// state file's lock, the cgroup watcher's v1 OOM eventfds, which write
// cgroup.event_control) and starts following the kernel, so that what
// happens between now and the first scrape is not missed (a cgroup
// OOM-killed and removed before it keeps its kill).
std::shared_ptr<ScrapeRegistry> StartCollectors(const Flags& flags) {
  FsRoots roots;
  roots.procfs = flags.procfs;
  roots.sysfs = flags.sysfs;
  std::shared_ptr<ScrapeRegistry> registry =
      BuildScrapeRegistry(flags.collectors, roots, flags.collector_options);
  registry->Start();
  return registry;
}

HttpServerOptions ServerOptions(const Flags& flags,
                                const WebConfig& web_config) {
  HttpServerOptions options;
  options.listen_address = flags.listen_address;
  options.telemetry_path = flags.telemetry_path;
  options.web_config = web_config;
  options.web_config_file = flags.web_config_file;
  options.max_connections = static_cast<int>(flags.max_connections);
  options.request_timeout = flags.request_timeout;
  options.max_header_bytes = flags.max_header_bytes;
  return options;
}

// Starts the HTTP server and, with `run_as`, switches to that user in
// between: the server binds its port and loads the TLS key, then calls the
// switch, and answers no request before it returns. nullptr, after logging
// why, when the server cannot start or the switch failed (the exporter must
// not run half-privileged) or did not run.
std::unique_ptr<HttpServer> ServeAndSwitchUser(
    HttpServerOptions options, std::shared_ptr<ScrapeRegistry> registry,
    const std::optional<RunAsUser>& run_as) {
  // Set once the switch ran; shared with the server, which keeps the
  // callback.
  auto ran = std::make_shared<std::optional<absl::Status>>();
  if (run_as) {
    options.before_serving = [user = *run_as, ran] {
      *ran = SwitchToUser(user);
      return **ran;
    };
  }
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, std::move(registry));
  const std::optional<absl::Status>& switched = *ran;
  if (switched && !switched->ok()) {
    Log(LogLevel::kError,
        "cannot switch to the --run-as-user user; stopping rather than "
        "running half-privileged",
        {{"user", run_as->name}, {"err", FromAbsl(switched->message())}});
    return nullptr;
  }
  if (run_as && server.ok() && !switched) {
    Log(LogLevel::kError, "the HTTP server started before the user switch",
        {{"user", run_as->name}});
    return nullptr;
  }
  if (!server.ok()) {
    Log(LogLevel::kError, "cannot start the HTTP server",
        {{"err", FromAbsl(server.status().message())}});
    return nullptr;
  }
  return *std::move(server);
}

// Says who the exporter runs as now, and lets each collector say what it
// cannot do as that user (the kmsg collector: save its state file).
void AfterUserSwitch(const RunAsUser& user, ScrapeRegistry& registry) {
  std::string uid = absl::StrCat(user.uid);
  std::string gid = absl::StrCat(user.gid);
  Log(LogLevel::kInfo, "switched user: running without privileges",
      {{"user", user.name}, {"uid", uid}, {"gid", gid}});
  registry.AfterUserSwitch(user.name);
}

void LogListening(const Flags& flags, const WebConfig& web_config, int port) {
  std::string address = flags.listen_address;
  address = absl::StrCat(address.substr(0, address.rfind(':')), ":", port);
  std::string collectors = absl::StrJoin(flags.collectors, ",");
  Log(LogLevel::kInfo, "listening",
      {{"address", address},
       {"telemetry_path", flags.telemetry_path},
       {"tls", web_config.tls ? "true" : "false"},
       {"basic_auth", web_config.basic_auth_users.empty() ? "false" : "true"},
       {"collectors", collectors},
       {"version", Version()}});
}

// Waits for SIGINT or SIGTERM (blocked in `stop_signals`), then stops the
// server. Returns the exit status, 0.
int WaitForStopSignal(const sigset_t& stop_signals,
                      std::unique_ptr<HttpServer> server) {
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  Log(LogLevel::kInfo, "shutting down",
      {{"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"}});
  server.reset();
  return 0;
}

// Serves metrics as `flags` say: everything checked that can be before
// anything starts, then the collectors started (privileged), then the
// server started and the user switched, until a stop signal.
int Serve(const Flags& flags) {
  std::string error;
  if (!CheckDirectory("path.procfs", flags.procfs, &error) ||
      !CheckDirectory("path.sysfs", flags.sysfs, &error)) {
    return UsageError(error);
  }
  absl::StatusOr<WebConfig> web_config = LoadWebConfigFlag(flags);
  if (!web_config.ok()) {
    return UsageError(std::string(web_config.status().message()));
  }
  SetLogLevel(flags.log_level);
  absl::StatusOr<std::optional<RunAsUser>> run_as = ResolveRunAsUser(flags);
  if (!run_as.ok()) return UsageError(std::string(run_as.status().message()));

  sigset_t stop_signals = BlockStopSignals();
  std::shared_ptr<ScrapeRegistry> registry = StartCollectors(flags);
  std::unique_ptr<HttpServer> server =
      ServeAndSwitchUser(ServerOptions(flags, *web_config), registry, *run_as);
  if (server == nullptr) return kExitFailure;
  if (*run_as) AfterUserSwitch(**run_as, *registry);
  LogListening(flags, *web_config, server->port());
  return WaitForStopSignal(stop_signals, std::move(server));
}

// The subcommands, else the flags: --help and --version print and end here.
int Run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "hash-password") {
    return RunHashPasswordCommand(argc - 2, argv + 2);
  }
  if (!args.empty() && args[0] == "parse") {
    args.erase(args.begin());
    return RunParseCommand(args, stdin, stdout, stderr);
  }
  absl::StatusOr<Flags> flags = ParseFlags(args, AllCollectors());
  if (!flags.ok()) {
    int status = UsageError(std::string(flags.status().message()));
    bool healthcheck =
        std::find(args.begin(), args.end(), "--healthcheck") != args.end();
    return healthcheck ? kUnhealthy : status;
  }
  if (flags->help) {
    std::fputs(UsageText(AllCollectors()).c_str(), stdout);
    return 0;
  }
  if (flags->version) {
    std::printf("oom_exporter %s (revision %s)\n", Version(), Revision());
    return 0;
  }
  if (flags->healthcheck) return RunHealthCheckCommand(*flags, stdout, stderr);
  return Serve(*flags);
}

}  // namespace
}  // namespace oom

int main(int argc, char** argv) { return oom::Run(argc, argv); }
