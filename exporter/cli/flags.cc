#include "exporter/cli/flags.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "collectors/base/status_macros.h"
#include "collectors/base/string_view.h"
#include "collectors/base/text.h"
#include "exporter/http/listen_address.h"

namespace oom {
namespace {

struct StringFlag {
  absl::string_view name;
  std::string* (*field)(Flags&);
  absl::string_view help;
};

constexpr StringFlag kStringFlags[] = {
    {"web.listen-address", [](Flags& f) { return &f.listen_address; },
     "Address to listen on for the web interface and telemetry"},
    {"web.telemetry-path", [](Flags& f) { return &f.telemetry_path; },
     "Path under which to expose metrics"},
    {"web.config.file", [](Flags& f) { return &f.web_config_file; },
     "Web config file (YAML): TLS and basic authentication"},
    {"web.request-timeout", [](Flags& f) { return &f.request_timeout_text; },
     "Time a client has to send its whole request"},
    {"path.procfs", [](Flags& f) { return &f.procfs; }, "procfs mountpoint"},
    {"path.sysfs", [](Flags& f) { return &f.sysfs; }, "sysfs mountpoint"},
    {"collector.kmsg.path", [](Flags& f) { return &f.kmsg.path; },
     "Kernel log device (or a file of /dev/kmsg records)"},
    {"collector.kmsg.state-file", [](Flags& f) { return &f.kmsg.state_file; },
     "Where kill counts survive restarts; empty disables"},
    {"collector.cgroup.include", [](Flags& f) { return &f.cgroup_include; },
     "Comma-separated shell patterns of cgroup paths to export"},
    {"collector.cgroup.exclude", [](Flags& f) { return &f.cgroup_exclude; },
     "Comma-separated shell patterns of cgroup paths not to export"},
    {"collector.cgroup.retention", [](Flags& f) { return &f.cgroup_retention; },
     "How long a removed cgroup's event counters stay exported"},
    {"collector.process.include", [](Flags& f) { return &f.process_include; },
     "Comma-separated shell patterns of process names (comm) to export "
     "whatever their rank"},
    {"run-as-user", [](Flags& f) { return &f.run_as_user; },
     "When started as root, become this user (name or uid) once the kernel "
     "log, the port and the TLS key are open; empty: stay"},
};

struct BoolFlag {
  absl::string_view name;
  bool* (*field)(Flags&);
  absl::string_view help;
};

constexpr BoolFlag kBoolFlags[] = {
    {"collector.cgroup.pod-containers",
     [](Flags& f) { return &f.cgroup.pod_containers; },
     "Export the cgroups of Kubernetes containers, inside their pods'"},
};

struct CountFlag {
  absl::string_view name;
  std::size_t* (*field)(Flags&);
  absl::string_view help;
  std::size_t max;
};

constexpr CountFlag kCountFlags[] = {
    {"web.max-connections", [](Flags& f) { return &f.max_connections; },
     "Requests served at once; more wait their turn", 1024},
    {"web.max-header-bytes", [](Flags& f) { return &f.max_header_bytes; },
     "Largest request header (request line included), in bytes", 1 << 20},
    {"collector.kmsg.max-series", [](Flags& f) { return &f.kmsg.max_series; },
     "Most oom_kills_total label sets; more fold into (other)", 100000},
    {"collector.kmsg.recent-kills",
     [](Flags& f) { return &f.kmsg.recent_kills; },
     "Kills shown in oom_recent_kill_timestamp_seconds", 1000},
    {"collector.kmsg.api-kills", [](Flags& f) { return &f.kmsg.api_kills; },
     "Kills listed by /api/v1/kills", 100000},
    {"collector.cgroup.max-depth", [](Flags& f) { return &f.cgroup.max_depth; },
     "Deepest cgroup level exported below the root", 64},
    {"collector.process.top-k", [](Flags& f) { return &f.process.top_k; },
     "Processes exported by oom_score rank (a tracked one stays until rank "
     "2K)",
     1000},
};

absl::Status FlagError(absl::string_view flag, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", what));
}

std::optional<bool> ParseBool(absl::string_view text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  return std::nullopt;
}

const CollectorInfo* Find(const std::vector<CollectorInfo>& known,
                          absl::string_view name) {
  for (const CollectorInfo& info : known) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

absl::Status UnknownCollector(absl::string_view flag, absl::string_view name,
                              const std::vector<CollectorInfo>& known) {
  std::string names;
  for (const CollectorInfo& info : known) {
    absl::StrAppend(&names, names.empty() ? "" : ", ", info.name);
  }
  return FlagError(flag, absl::StrCat("no collector named \"", name,
                                      "\" (known: ", names, ")"));
}

// "a,b,,c" -> {"a", "b", "c"}.
std::vector<std::string> SplitPatterns(const std::string& list) {
  std::vector<std::string> patterns;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) patterns.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return patterns;
}

absl::Status Validate(const Flags& flags) {
  const std::string& path = flags.telemetry_path;
  if (path.empty() || path[0] != '/') {
    return FlagError("web.telemetry-path",
                     absl::StrCat("\"", path, "\" must start with '/'"));
  }
  if (path == "/" || path == "/healthz") {
    return FlagError("web.telemetry-path",
                     absl::StrCat("\"", path,
                                  "\" is taken by the landing page or the "
                                  "health check"));
  }
  if (std::any_of(path.begin(), path.end(), [](unsigned char c) {
        return c <= ' ' || c == '?' || c == '#' || c == 0x7f;
      })) {
    return FlagError(
        "web.telemetry-path",
        absl::StrCat("\"", path, "\" must not hold spaces, '?' or '#'"));
  }
  absl::StatusOr<std::string> civet =
      ToCivetListeningPort(flags.listen_address);
  if (!civet.ok())
    return FlagError("web.listen-address", civet.status().message());
  if (flags.procfs.empty())
    return FlagError("path.procfs", "must not be empty");
  if (flags.sysfs.empty()) return FlagError("path.sysfs", "must not be empty");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args,
                                 const std::vector<CollectorInfo>& known) {
  Flags flags;
  std::vector<bool> enabled;
  for (const CollectorInfo& info : known)
    enabled.push_back(info.enabled_by_default);
  std::set<std::string, std::less<>> seen;

  for (std::size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "-h") {
      flags.help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--") || arg.size() == 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg, "\""));
    }
    arg.remove_prefix(2);
    std::size_t eq = arg.find('=');
    absl::string_view name = arg.substr(0, eq);
    std::optional<absl::string_view> value;
    if (eq != absl::string_view::npos) value = arg.substr(eq + 1);

    if (name == "help" || name == "version") {
      if (value) return FlagError(name, "takes no value");
      (name == "help" ? flags.help : flags.version) = true;
      continue;
    }

    const BoolFlag* bool_flag = nullptr;
    bool negated = absl::StartsWith(name, "no-");
    for (const BoolFlag& candidate : kBoolFlags) {
      if (candidate.name == (negated ? name.substr(3) : name)) {
        bool_flag = &candidate;
      }
    }
    if (bool_flag != nullptr) {
      if (!seen.insert(std::string(bool_flag->name)).second) {
        return FlagError(name, "given more than once");
      }
      bool on = !negated;
      if (value) {
        std::optional<bool> parsed = ParseBool(*value);
        if (negated || !parsed) {
          return FlagError(name, negated ? "takes no value"
                                         : absl::StrCat("\"", *value,
                                                        "\" is not true or "
                                                        "false"));
        }
        on = *parsed;
      }
      *bool_flag->field(flags) = on;
      continue;
    }

    const StringFlag* string_flag = nullptr;
    for (const StringFlag& candidate : kStringFlags) {
      if (candidate.name == name) string_flag = &candidate;
    }
    const CountFlag* count_flag = nullptr;
    for (const CountFlag& candidate : kCountFlags) {
      if (candidate.name == name) count_flag = &candidate;
    }
    if (string_flag == nullptr && count_flag == nullptr &&
        name != "log.level") {
      if (absl::StartsWith(name, "no-collector.")) {
        absl::string_view collector = name.substr(13);
        const CollectorInfo* info = Find(known, collector);
        if (info == nullptr) return UnknownCollector(name, collector, known);
        if (value) return FlagError(name, "takes no value");
        enabled[static_cast<std::size_t>(info - known.data())] = false;
        continue;
      }
      if (absl::StartsWith(name, "collector.") &&
          name.find('.', 10) == absl::string_view::npos) {
        absl::string_view collector = name.substr(10);
        const CollectorInfo* info = Find(known, collector);
        if (info == nullptr) return UnknownCollector(name, collector, known);
        bool on = true;
        if (value) {
          std::optional<bool> parsed = ParseBool(*value);
          if (!parsed) {
            return FlagError(
                name, absl::StrCat("\"", *value, "\" is not true or false"));
          }
          on = *parsed;
        }
        enabled[static_cast<std::size_t>(info - known.data())] = on;
        continue;
      }

      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!seen.insert(std::string(name)).second) {
      return FlagError(name, "given more than once");
    }
    if (!value) {
      if (i + 1 >= args.size() || absl::StartsWith(args[i + 1], "--")) {
        return FlagError(name, "needs a value");
      }
      value = args[++i];
    }
    if (string_flag != nullptr) {
      *string_flag->field(flags) = std::string(*value);
    } else if (count_flag != nullptr) {
      std::optional<uint64_t> count = ParseU64(FromAbsl(*value));
      if (!count || *count < 1 || *count > count_flag->max) {
        return FlagError(
            name, absl::StrCat("\"", *value, "\" is not a number from 1 to ",
                               count_flag->max));
      }
      *count_flag->field(flags) = static_cast<std::size_t>(*count);
    } else if (!ParseLogLevel(FromAbsl(*value), &flags.log_level)) {
      return FlagError(name, absl::StrCat("\"", *value,
                                          "\" is not one of debug, info, "
                                          "warn, error"));
    }
  }

  for (std::size_t i = 0; i < known.size(); ++i) {
    if (enabled[i]) flags.collectors.push_back(known[i].name);
  }
  flags.cgroup.include = SplitPatterns(flags.cgroup_include);
  flags.cgroup.exclude = SplitPatterns(flags.cgroup_exclude);
  flags.process.include = SplitPatterns(flags.process_include);
  if (flags.help || flags.version) return flags;
  std::optional<std::chrono::milliseconds> retention =
      ParseDuration(flags.cgroup_retention);
  if (!retention) {
    return FlagError("collector.cgroup.retention",
                     absl::StrCat("\"", flags.cgroup_retention,
                                  "\" is not a duration such as 1h, 30m or "
                                  "90s"));
  }
  flags.cgroup.retention = *retention;
  std::optional<std::chrono::milliseconds> timeout =
      ParseDuration(flags.request_timeout_text);
  if (!timeout || *timeout < std::chrono::milliseconds(100) ||
      *timeout > std::chrono::minutes(10)) {
    return FlagError("web.request-timeout",
                     absl::StrCat("\"", flags.request_timeout_text,
                                  "\" is not a duration from 100ms to 10m"));
  }
  flags.request_timeout = *timeout;
  if (flags.max_header_bytes < 1024) {
    return FlagError(
        "web.max-header-bytes",
        absl::StrCat("\"", flags.max_header_bytes, "\" is below 1024"));
  }
  OOM_RETURN_IF_ERROR(Validate(flags));
  return flags;
}

std::string UsageText(const std::vector<CollectorInfo>& known) {
  Flags defaults;
  std::string out =
      "usage: oom_exporter [<flags>]\n\n"
      "A Prometheus exporter for the Linux OOM killer: which processes it\n"
      "killed, which it would kill next, and how close the node and its\n"
      "cgroups are to it.\n\nFlags:\n";
  auto line = [&out](absl::string_view flag, absl::string_view help) {
    absl::StrAppendFormat(&out, "  %-34s %s\n", flag, help);
  };
  line("-h, --help", "Show this help and exit");
  line("--version", "Show the version and exit");
  for (const StringFlag& flag : kStringFlags) {
    line(absl::StrCat("--", flag.name, "=VALUE"),
         absl::StrCat(flag.help, " (default: ", *flag.field(defaults), ")"));
  }
  for (const CountFlag& flag : kCountFlags) {
    line(absl::StrCat("--", flag.name, "=N"),
         absl::StrCat(flag.help, " (default: ", *flag.field(defaults), ")"));
  }
  for (const BoolFlag& flag : kBoolFlags) {
    line(absl::StrCat("--", flag.name),
         absl::StrCat(flag.help, "; --no-", flag.name,
                      " turns it off (default: ",
                      *flag.field(defaults) ? "true" : "false", ")"));
  }
  line("--log.level=LEVEL",
       "Only log messages at or above LEVEL: debug, info, warn, error "
       "(default: info)");
  out +=
      "\nCollectors (--collector.NAME enables, --no-collector.NAME "
      "disables):\n";
  for (const CollectorInfo& info : known) {
    line(absl::StrCat("--[no-]collector.", info.name),
         absl::StrCat(info.help, " (default: ",
                      info.enabled_by_default ? "enabled" : "disabled", ")"));
  }
  return out;
}

}  // namespace oom
