// oom_exporter: a Prometheus exporter for the Linux OOM killer.
//
//   oom_exporter [flags]            serve metrics
//   oom_exporter parse [FILE...]    print the OOM kills in saved kernel logs
//   oom_exporter hash-password      read a password, print its bcrypt hash
//
// Exit status: 0 after SIGINT/SIGTERM or --help/--version, 1 when the HTTP
// server cannot start, switching to --run-as-user fails (or `parse` cannot
// read its input), 2 for a bad flag or value.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
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
#include "collectors/kmsg/kmsg_options.h"
#include "collectors/scrape/collector_registry.h"
#include "collectors/scrape/scrape_registry.h"
#include "exporter/cli/flags.h"
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
  if (!flags.ok()) return UsageError(std::string(flags.status().message()));
  if (flags->help) {
    std::fputs(UsageText(AllCollectors()).c_str(), stdout);
    return 0;
  }
  if (flags->version) {
    std::printf("oom_exporter %s (revision %s)\n", Version(), Revision());
    return 0;
  }
  std::string error;
  if (!CheckDirectory("path.procfs", flags->procfs, &error) ||
      !CheckDirectory("path.sysfs", flags->sysfs, &error)) {
    return UsageError(error);
  }
  WebConfig web_config;
  if (!flags->web_config_file.empty()) {
    absl::StatusOr<WebConfig> loaded = LoadWebConfig(flags->web_config_file);
    if (!loaded.ok()) {
      return UsageError(
          absl::StrCat("--web.config.file: ", loaded.status().message()));
    }
    web_config = *std::move(loaded);
  }
  SetLogLevel(flags->log_level);
  std::optional<RunAsUser> run_as;  // set when the exporter must switch
  if (!flags->run_as_user.empty()) {
    absl::StatusOr<RunAsUser> user = ResolveUser(flags->run_as_user);
    if (!user.ok()) {
      return UsageError(
          absl::StrCat("--run-as-user: ", user.status().message()));
    }
    absl::StatusOr<bool> needed =
        NeedsSwitch(*user, ::geteuid(), EffectiveCapabilities().value_or(0));
    if (!needed.ok()) {
      return UsageError(
          absl::StrCat("--run-as-user: ", needed.status().message()));
    }
    if (*needed) {
      run_as = *user;
    } else {
      Log(LogLevel::kInfo, "already running as the --run-as-user user",
          {{"user", user->name}});
    }
  }

  // Signals are taken synchronously below; block them before any thread
  // starts so that civetweb's threads inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // A scraper that hangs up is not fatal.

  FsRoots roots;
  roots.procfs = flags->procfs;
  roots.sysfs = flags->sysfs;
  std::shared_ptr<ScrapeRegistry> registry =
      BuildScrapeRegistry(flags->collectors, roots, flags->collector_options);
  // One collection before serving: collectors that start following the
  // kernel at their first collection (the cgroup collector's watcher) do so
  // now, not at the first scrape, so that a cgroup OOM-killed and removed
  // before it still has its kill; and before a switch of user they do so as
  // root (registering v1 OOM eventfds writes cgroup.event_control).
  registry->Collect();

  HttpServerOptions options;
  options.listen_address = flags->listen_address;
  options.telemetry_path = flags->telemetry_path;
  options.web_config = web_config;
  options.web_config_file = flags->web_config_file;
  options.max_connections = static_cast<int>(flags->max_connections);
  options.request_timeout = flags->request_timeout;
  options.max_header_bytes = flags->max_header_bytes;
  // The switch to --run-as-user comes last: the collectors above opened the
  // kernel log and locked the state file, and the server binds its port and
  // loads the TLS key before it calls this, and answers no request before it
  // returns.
  std::optional<absl::Status> switched;  // set once the switch ran
  if (run_as) {
    options.before_serving = [&run_as, &switched] {
      switched = SwitchToUser(*run_as);
      return *switched;
    };
  }
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, registry);
  if (switched && !switched->ok()) {
    Log(LogLevel::kError,
        "cannot switch to the --run-as-user user; stopping rather than "
        "running half-privileged",
        {{"user", run_as->name}, {"err", FromAbsl(switched->message())}});
    return kExitFailure;
  }
  if (run_as && server.ok() && !switched) {
    Log(LogLevel::kError, "the HTTP server started before the user switch",
        {{"user", run_as->name}});
    return kExitFailure;
  }
  if (!server.ok()) {
    Log(LogLevel::kError, "cannot start the HTTP server",
        {{"err", FromAbsl(server.status().message())}});
    return kExitFailure;
  }
  std::string address = flags->listen_address;
  address = absl::StrCat(address.substr(0, address.rfind(':')), ":",
                         (*server)->port());
  if (run_as) {
    std::string uid = absl::StrCat(run_as->uid);
    std::string gid = absl::StrCat(run_as->gid);
    Log(LogLevel::kInfo, "switched user: running without privileges",
        {{"user", run_as->name}, {"uid", uid}, {"gid", gid}});
    bool kmsg = std::find(flags->collectors.begin(), flags->collectors.end(),
                          "kmsg") != flags->collectors.end();
    const std::string& state_file =
        OptionsOf<KmsgOptions>(flags->collector_options, "kmsg").state_file;
    std::string problem =
        kmsg && !state_file.empty() ? ReplaceFileProblem(state_file) : "";
    if (!problem.empty()) {
      Log(LogLevel::kWarn,
          "the kmsg state file cannot be saved as the --run-as-user user; "
          "after a restart, kills since this start are counted again from "
          "the kernel ring",
          {{"user", run_as->name}, {"file", state_file}, {"err", problem}});
    }
  }
  std::string collectors = absl::StrJoin(flags->collectors, ",");
  Log(LogLevel::kInfo, "listening",
      {{"address", address},
       {"telemetry_path", flags->telemetry_path},
       {"tls", web_config.tls ? "true" : "false"},
       {"basic_auth", web_config.basic_auth_users.empty() ? "false" : "true"},
       {"collectors", collectors},
       {"version", Version()}});

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  Log(LogLevel::kInfo, "shutting down",
      {{"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"}});
  server->reset();
  return 0;
}

}  // namespace
}  // namespace oom

int main(int argc, char** argv) { return oom::Run(argc, argv); }
