#include "exporter/cli/flags.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <utility>

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

// The program's own flags; each collector's come from its registration.

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
};

// --help lists it after the collectors' VALUE flags, where it always was.
constexpr StringFlag kRunAsUserFlag = {
    "run-as-user", [](Flags& f) { return &f.run_as_user; },
    "When started as root, become this user (name or uid) once the kernel "
    "log, the port and the TLS key are open; empty: stay"};

struct NumberFlag {
  absl::string_view name;
  std::size_t* (*field)(Flags&);
  absl::string_view help;
  std::size_t max;
};

constexpr NumberFlag kNumberFlags[] = {
    {"web.max-connections", [](Flags& f) { return &f.max_connections; },
     "Requests served at once; more wait their turn", 1024},
    {"web.max-header-bytes", [](Flags& f) { return &f.max_header_bytes; },
     "Largest request header (request line included), in bytes", 1 << 20},
};

// A collector's flag under the name the command line gives it.
struct NamedCollectorFlag {
  std::string name;  // "collector.kmsg.path"
  const CollectorFlag* flag;
  const CollectorRegistration* collector;
};

// Every flag of the `known` collectors, in --help's order.
std::vector<NamedCollectorFlag> CollectorFlags(const CollectorRegistry& known) {
  std::vector<NamedCollectorFlag> flags;
  for (const CollectorRegistration* collector : known.InFlagsOrder()) {
    for (const CollectorFlag& flag : collector->flags) {
      flags.push_back(
          {absl::StrCat("collector.", collector->name, ".", flag.name), &flag,
           collector});
    }
  }
  return flags;
}

absl::Status FlagError(absl::string_view flag, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", what));
}

absl::Status UnknownCollector(absl::string_view flag, absl::string_view name,
                              const CollectorRegistry& known) {
  std::string names;
  for (const CollectorRegistration& collector : known.collectors()) {
    absl::StrAppend(&names, names.empty() ? "" : ", ", collector.name);
  }
  return FlagError(flag, absl::StrCat("no collector named \"", name,
                                      "\" (known: ", names, ")"));
}

// The request timeout (parsed into flags.request_timeout) and the header
// limit.
absl::Status CheckWebLimits(Flags& flags) {
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
  return absl::OkStatus();
}

// The telemetry path, the listen address and the roots.
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

// Reads a command line into Flags, one argument at a time, then finishes
// with the checks that need all of it.
class FlagParser {
 public:
  explicit FlagParser(const CollectorRegistry& known)
      : known_(known), collector_flags_(CollectorFlags(known)) {
    for (const CollectorRegistration& collector : known.collectors()) {
      enabled_.push_back(collector.enabled_by_default);
    }
    flags_.collector_options = known.Defaults();
  }

  // Reads args[*i] (and the value after it, moving *i on, when the flag
  // takes one and it is not given with '=').
  absl::Status ReadArgument(const std::vector<std::string>& args,
                            std::size_t* i);

  // Once every argument is read: the collectors to run, the collectors'
  // VALUE flags (checked now, so that --help and --version win over a bad
  // one), then the program's own checks.
  absl::StatusOr<Flags> Finish();

 private:
  // Sets `value` (none: given without one) into the flag `name`, a
  // collector's switch (`negated`: given as --no-NAME).
  absl::Status ReadSwitch(const NamedCollectorFlag& flag,
                          absl::string_view name, bool negated,
                          std::optional<absl::string_view> value);
  // --collector.NAME[=BOOL] and --no-collector.NAME, or an unknown flag.
  absl::Status ReadToggle(absl::string_view name,
                          std::optional<absl::string_view> value);
  // The switch flag called `name` (or, `negated`, no-`name`), or nullptr.
  const NamedCollectorFlag* FindSwitch(absl::string_view name,
                                       bool negated) const;
  // What stores the value of the flag `name` (a string, a count, a
  // collector's VALUE or N flag, the log level): an error without the flag's
  // name for a bad value. Empty when `name` takes no value.
  std::function<absl::Status(absl::string_view value)> FindValueFlag(
      absl::string_view name);
  void Enable(const CollectorRegistration& collector, bool on) {
    enabled_[static_cast<std::size_t>(&collector -
                                      known_.collectors().data())] = on;
  }

  const CollectorRegistry& known_;
  const std::vector<NamedCollectorFlag> collector_flags_;
  Flags flags_;
  std::vector<bool> enabled_;  // by index in known_.collectors()
  std::set<std::string, std::less<>> seen_;
  // Collectors' VALUE flags as given, set in Finish.
  std::vector<std::pair<const NamedCollectorFlag*, std::string>> pending_;
};

absl::Status FlagParser::ReadArgument(const std::vector<std::string>& args,
                                      std::size_t* i) {
  absl::string_view arg = args[*i];
  if (arg == "-h") {
    flags_.help = true;
    return absl::OkStatus();
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

  if (name == "help" || name == "version" || name == "healthcheck") {
    if (value) return FlagError(name, "takes no value");
    (name == "help"      ? flags_.help
     : name == "version" ? flags_.version
                         : flags_.healthcheck) = true;
    return absl::OkStatus();
  }
  bool negated = absl::StartsWith(name, "no-");
  if (const NamedCollectorFlag* flag = FindSwitch(name, negated)) {
    return ReadSwitch(*flag, name, negated, value);
  }
  std::function<absl::Status(absl::string_view)> set = FindValueFlag(name);
  if (!set) return ReadToggle(name, value);
  if (!seen_.insert(std::string(name)).second) {
    return FlagError(name, "given more than once");
  }
  if (!value) {
    if (*i + 1 >= args.size() || absl::StartsWith(args[*i + 1], "--")) {
      return FlagError(name, "needs a value");
    }
    value = args[++*i];
  }
  absl::Status status = set(*value);
  if (!status.ok()) return FlagError(name, status.message());
  return absl::OkStatus();
}

const NamedCollectorFlag* FlagParser::FindSwitch(absl::string_view name,
                                                 bool negated) const {
  absl::string_view plain = negated ? name.substr(3) : name;
  for (const NamedCollectorFlag& flag : collector_flags_) {
    if (flag.flag->kind == FlagKind::kSwitch && flag.name == plain) {
      return &flag;
    }
  }
  return nullptr;
}

absl::Status FlagParser::ReadSwitch(const NamedCollectorFlag& flag,
                                    absl::string_view name, bool negated,
                                    std::optional<absl::string_view> value) {
  if (!seen_.insert(flag.name).second) {
    return FlagError(name, "given more than once");
  }
  if (value && negated) return FlagError(name, "takes no value");
  absl::Status status =
      flag.flag->set(value     ? FromAbsl(*value)
                     : negated ? "false"
                               : "true",
                     flags_.collector_options[flag.collector->name]);
  if (!status.ok()) return FlagError(name, status.message());
  return absl::OkStatus();
}

std::function<absl::Status(absl::string_view value)> FlagParser::FindValueFlag(
    absl::string_view name) {
  auto text = [this](const StringFlag& flag) {
    return [this, &flag](absl::string_view value) {
      *flag.field(flags_) = std::string(value);
      return absl::OkStatus();
    };
  };
  for (const StringFlag& flag : kStringFlags) {
    if (flag.name == name) return text(flag);
  }
  if (kRunAsUserFlag.name == name) return text(kRunAsUserFlag);
  for (const NumberFlag& flag : kNumberFlags) {
    if (flag.name != name) continue;
    return [this, &flag](absl::string_view value) -> absl::Status {
      OOM_ASSIGN_OR_RETURN(*flag.field(flags_),
                           ParseCountValue(FromAbsl(value), flag.max));
      return absl::OkStatus();
    };
  }
  for (const NamedCollectorFlag& flag : collector_flags_) {
    if (flag.name != name || flag.flag->kind == FlagKind::kSwitch) continue;
    if (flag.flag->kind == FlagKind::kText) {
      return [this, &flag](absl::string_view value) {
        pending_.emplace_back(&flag, std::string(value));
        return absl::OkStatus();
      };
    }
    return [this, &flag](absl::string_view value) {
      return flag.flag->set(FromAbsl(value),
                            flags_.collector_options[flag.collector->name]);
    };
  }
  if (name == "log.level") {
    return [this](absl::string_view value) -> absl::Status {
      if (ParseLogLevel(FromAbsl(value), &flags_.log_level)) {
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", value, "\" is not one of debug, info, warn, error"));
    };
  }
  return nullptr;
}

absl::Status FlagParser::ReadToggle(absl::string_view name,
                                    std::optional<absl::string_view> value) {
  if (absl::StartsWith(name, "no-collector.")) {
    absl::string_view collector = name.substr(13);
    const CollectorRegistration* info = known_.Find(FromAbsl(collector));
    if (info == nullptr) return UnknownCollector(name, collector, known_);
    if (value) return FlagError(name, "takes no value");
    Enable(*info, false);
    return absl::OkStatus();
  }
  if (absl::StartsWith(name, "collector.") &&
      name.find('.', 10) == absl::string_view::npos) {
    absl::string_view collector = name.substr(10);
    const CollectorRegistration* info = known_.Find(FromAbsl(collector));
    if (info == nullptr) return UnknownCollector(name, collector, known_);
    bool on = true;
    if (value) {
      absl::StatusOr<bool> parsed = ParseSwitchValue(FromAbsl(*value));
      if (!parsed.ok()) return FlagError(name, parsed.status().message());
      on = *parsed;
    }
    Enable(*info, on);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown flag --", name, " (see --help)"));
}

absl::StatusOr<Flags> FlagParser::Finish() {
  for (std::size_t i = 0; i < enabled_.size(); ++i) {
    if (enabled_[i]) flags_.collectors.push_back(known_.collectors()[i].name);
  }
  absl::Status pending = absl::OkStatus();
  for (const auto& [flag, value] : pending_) {
    absl::Status status =
        flag->flag->set(value, flags_.collector_options[flag->collector->name]);
    if (!status.ok() && pending.ok()) {
      pending = FlagError(flag->name, status.message());
    }
  }
  if (flags_.help || flags_.version) return std::move(flags_);
  OOM_RETURN_IF_ERROR(pending);
  OOM_RETURN_IF_ERROR(CheckWebLimits(flags_));
  OOM_RETURN_IF_ERROR(Validate(flags_));
  return std::move(flags_);
}

}  // namespace

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args,
                                 const CollectorRegistry& known) {
  FlagParser parser(known);
  for (std::size_t i = 0; i < args.size(); ++i) {
    OOM_RETURN_IF_ERROR(parser.ReadArgument(args, &i));
  }
  return parser.Finish();
}

namespace {

// One line of --help: the flag, then its help from column 38.
void AppendUsageLine(std::string* out, absl::string_view flag,
                     absl::string_view help) {
  absl::StrAppendFormat(out, "  %-34s %s\n", flag, help);
}

std::string WithDefault(absl::string_view help, absl::string_view value) {
  return absl::StrCat(help, " (default: ", value, ")");
}

// The lines of the `known` collectors' flags of `kind`, in --help's order,
// with their defaults.
void AppendCollectorFlagLines(std::string* out, const CollectorRegistry& known,
                              FlagKind kind) {
  CollectorOptionsMap defaults = known.Defaults();
  for (const NamedCollectorFlag& flag : CollectorFlags(known)) {
    if (flag.flag->kind != kind) continue;
    std::string value = flag.flag->show(defaults[flag.collector->name]);
    switch (kind) {
      case FlagKind::kText:
        AppendUsageLine(out, absl::StrCat("--", flag.name, "=VALUE"),
                        WithDefault(flag.flag->help, value));
        break;
      case FlagKind::kCount:
        AppendUsageLine(out, absl::StrCat("--", flag.name, "=N"),
                        WithDefault(flag.flag->help, value));
        break;
      case FlagKind::kSwitch:
        AppendUsageLine(out, absl::StrCat("--", flag.name),
                        WithDefault(absl::StrCat(flag.flag->help, "; --no-",
                                                 flag.name, " turns it off"),
                                    value));
        break;
    }
  }
}

}  // namespace

std::string UsageText(const CollectorRegistry& known) {
  Flags defaults;
  std::string out =
      "usage: oom_exporter [<flags>]\n\n"
      "A Prometheus exporter for the Linux OOM killer: which processes it\n"
      "killed, which it would kill next, and how close the node and its\n"
      "cgroups are to it.\n\nFlags:\n";
  AppendUsageLine(&out, "-h, --help", "Show this help and exit");
  AppendUsageLine(&out, "--version", "Show the version and exit");
  AppendUsageLine(&out, "--healthcheck",
                  "Serve nothing: ask the exporter at --web.listen-address "
                  "for /healthz and exit 0 if it answers 200 within "
                  "--web.request-timeout, else 1; over HTTPS when "
                  "--web.config.file sets TLS, without verifying the "
                  "certificate (it checks this host's exporter is alive)");
  // Each kind of flag: the program's, then the collectors'.
  for (const StringFlag& flag : kStringFlags) {
    AppendUsageLine(&out, absl::StrCat("--", flag.name, "=VALUE"),
                    WithDefault(flag.help, *flag.field(defaults)));
  }
  AppendCollectorFlagLines(&out, known, FlagKind::kText);
  AppendUsageLine(
      &out, absl::StrCat("--", kRunAsUserFlag.name, "=VALUE"),
      WithDefault(kRunAsUserFlag.help, *kRunAsUserFlag.field(defaults)));
  for (const NumberFlag& flag : kNumberFlags) {
    AppendUsageLine(
        &out, absl::StrCat("--", flag.name, "=N"),
        WithDefault(flag.help, absl::StrCat(*flag.field(defaults))));
  }
  AppendCollectorFlagLines(&out, known, FlagKind::kCount);
  AppendCollectorFlagLines(&out, known, FlagKind::kSwitch);
  AppendUsageLine(&out, "--log.level=LEVEL",
                  "Only log messages at or above LEVEL: debug, info, warn, "
                  "error (default: info)");
  out +=
      "\nCollectors (--collector.NAME enables, --no-collector.NAME "
      "disables):\n";
  for (const CollectorRegistration& collector : known.collectors()) {
    AppendUsageLine(
        &out, absl::StrCat("--[no-]collector.", collector.name),
        WithDefault(collector.help,
                    collector.enabled_by_default ? "enabled" : "disabled"));
  }
  return out;
}

}  // namespace oom
