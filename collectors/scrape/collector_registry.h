#ifndef OOM_EXPORTER_COLLECTORS_SCRAPE_COLLECTOR_REGISTRY_H_
#define OOM_EXPORTER_COLLECTORS_SCRAPE_COLLECTOR_REGISTRY_H_

// What a collector says about itself, in the manner of node_exporter: its
// name, whether it runs by default, a help line, its own flags
// (--collector.NAME.FLAG) with their help, defaults and checks, and a
// factory. Each collector defines its registration in its own folder:
//
//   OOM_COLLECTOR_REGISTRATION(kmsg) {
//     CollectorRegistration kmsg;
//     kmsg.name = "kmsg";
//     kmsg.help = "Every OOM kill in the kernel log ...";
//     kmsg.flags = {TextFlag("path", &KmsgOptions::path, "Kernel log ...")};
//     SetFactory<KmsgOptions>(&kmsg, [](const FsRoots& roots,
//                                       const KmsgOptions& options) {...});
//     return kmsg;
//   }
//
// and collectors/CMakeLists.txt's list OOM_COLLECTORS generates the one
// file that calls them all (collectors/all_collectors.h), so that none can
// be left out of the binary by the linker. The command line
// (exporter/cli/flags.h) builds --[no-]collector.NAME and every collector's
// flags from the registrations. Nothing here knows any collector.

#include <any>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collectors/base/fs.h"
#include "collectors/base/text.h"
#include "collectors/scrape/collector.h"
#include "collectors/scrape/scrape_registry.h"

namespace oom {

// A collector's options (KmsgOptions, ...), held without knowing their type.
using CollectorOptions = std::any;
// Options by collector name.
using CollectorOptionsMap =
    std::map<std::string, CollectorOptions, std::less<>>;

// How a collector flag takes its value, and how --help shows it.
enum class FlagKind {
  // --collector.NAME.FLAG=VALUE: text, checked once the whole command line
  // is read (so that a bad value does not stand in the way of --help).
  kText,
  // --collector.NAME.FLAG=N: a whole number in a range, checked at once.
  kCount,
  // --collector.NAME.FLAG (=true or =false), --no-collector.NAME.FLAG.
  kSwitch,
};

// One flag of a collector, bound to a field of its options.
struct CollectorFlag {
  std::string name;  // "state-file": --collector.kmsg.state-file
  FlagKind kind = FlagKind::kText;
  std::string help;  // one line for --help, without the default
  // Stores `value` ("true" or "false" for a switch given without one) in
  // `options`. InvalidArgument saying what is wrong with the value, without
  // naming the flag (the caller does), when it is not one.
  std::function<absl::Status(std::string_view value, CollectorOptions& options)>
      set;
  // The value in `options`, as --help shows the default.
  std::function<std::string(const CollectorOptions& options)> show;
};

struct CollectorRegistration {
  std::string name;  // "memory": --collector.memory
  bool enabled_by_default = true;
  std::string help;  // one line for --help and the landing page
  std::vector<CollectorFlag> flags;
  // The options when no flag is given.
  std::function<CollectorOptions()> defaults = [] {
    return CollectorOptions();
  };
  // Makes the collector with options that `defaults` made and `flags` set.
  std::function<std::unique_ptr<Collector>(const FsRoots& roots,
                                           const CollectorOptions& options)>
      factory;
};

// Declares or defines the function that returns the registration of the
// collector `name` (its name as an identifier). A collector defines it, in
// namespace oom, in its folder; the generated collectors/all_collectors.cc
// declares and calls it for each name of OOM_COLLECTORS.
#define OOM_COLLECTOR_REGISTRATION(name) \
  ::oom::CollectorRegistration CollectorRegistrationOf_##name()

// The collectors a binary knows.
class CollectorRegistry {
 public:
  // `registrations` in the order of --help's collector table and of each
  // scrape. `flags_order`: the collectors whose flags --help lists first, in
  // that order; the others' follow in table order.
  explicit CollectorRegistry(std::vector<CollectorRegistration> registrations,
                             const std::vector<std::string>& flags_order = {});

  const std::vector<CollectorRegistration>& collectors() const {
    return collectors_;
  }
  // The collectors in the order --help lists their flags.
  const std::vector<const CollectorRegistration*>& InFlagsOrder() const {
    return in_flags_order_;
  }
  // The collector named `name`, or nullptr.
  const CollectorRegistration* Find(std::string_view name) const;

  // Every collector's defaults, by name.
  CollectorOptionsMap Defaults() const;

  // A new ScrapeRegistry with the collectors `names` (in that order), made
  // with `roots` and their entry of `options` (their defaults without one).
  // Unknown names are a programming error and are skipped. The collectors
  // are not started (ScrapeRegistry::Start).
  std::shared_ptr<ScrapeRegistry> Build(
      const std::vector<std::string>& names, const FsRoots& roots,
      const CollectorOptionsMap& options) const;

 private:
  std::vector<CollectorRegistration> collectors_;
  std::vector<const CollectorRegistration*> in_flags_order_;
};

// The values of count and switch flags, as the command line's own flags
// parse them too. InvalidArgument saying what is wrong, without the flag:
//   "\"0\" is not a number from 1 to 1000"
absl::StatusOr<std::size_t> ParseCountValue(std::string_view text,
                                            std::size_t max);
//   "\"maybe\" is not true or false" (true, false, 1 and 0 are)
absl::StatusOr<bool> ParseSwitchValue(std::string_view text);
// A Prometheus duration (ParseDuration):
//   "\"soon\" is not a duration such as 1h, 30m or 90s"
absl::StatusOr<std::chrono::milliseconds> ParseDurationValue(
    std::string_view text);
// "a,b,,c" -> {"a", "b", "c"}; "" -> {}.
std::vector<std::string> ParseListValue(std::string_view text);
// {"a", "b"} -> "a,b".
std::string ShowListValue(const std::vector<std::string>& list);

namespace registry_internal {

// A flag of `kind` that parses its value with `parse` and shows it with
// `show` (both on the field's type) into `field` of an Options.
template <typename Options, typename Field, typename Parse, typename Show>
CollectorFlag BindFlag(std::string name, FlagKind kind, std::string help,
                       Field Options::*field, Parse parse, Show show) {
  CollectorFlag flag;
  flag.name = std::move(name);
  flag.kind = kind;
  flag.help = std::move(help);
  flag.set = [field, parse](std::string_view value,
                            CollectorOptions& options) -> absl::Status {
    absl::StatusOr<Field> parsed = parse(value);
    if (!parsed.ok()) return parsed.status();
    std::any_cast<Options&>(options).*field = *std::move(parsed);
    return absl::OkStatus();
  };
  flag.show = [field, show](const CollectorOptions& options) {
    return show(std::any_cast<const Options&>(options).*field);
  };
  return flag;
}

}  // namespace registry_internal

// --collector.NAME.FLAG=VALUE into a string, as given.
template <typename Options>
CollectorFlag TextFlag(std::string name, std::string Options::*field,
                       std::string help) {
  return registry_internal::BindFlag(
      std::move(name), FlagKind::kText, std::move(help), field,
      [](std::string_view value) -> absl::StatusOr<std::string> {
        return std::string(value);
      },
      [](const std::string& value) { return value; });
}

// --collector.NAME.FLAG=VALUE into a list: comma-separated, empty items
// dropped.
template <typename Options>
CollectorFlag ListFlag(std::string name,
                       std::vector<std::string> Options::*field,
                       std::string help) {
  return registry_internal::BindFlag(
      std::move(name), FlagKind::kText, std::move(help), field,
      [](std::string_view value) -> absl::StatusOr<std::vector<std::string>> {
        return ParseListValue(value);
      },
      ShowListValue);
}

// --collector.NAME.FLAG=VALUE into a duration ("1h30m").
template <typename Options>
CollectorFlag DurationFlag(std::string name,
                           std::chrono::milliseconds Options::*field,
                           std::string help) {
  return registry_internal::BindFlag(std::move(name), FlagKind::kText,
                                     std::move(help), field, ParseDurationValue,
                                     FormatDuration);
}

// --collector.NAME.FLAG=N, a number from 1 to `max`.
template <typename Options>
CollectorFlag CountFlag(std::string name, std::size_t Options::*field,
                        std::string help, std::size_t max) {
  return registry_internal::BindFlag(
      std::move(name), FlagKind::kCount, std::move(help), field,
      [max](std::string_view value) { return ParseCountValue(value, max); },
      [](std::size_t value) { return std::to_string(value); });
}

// --[no-]collector.NAME.FLAG.
template <typename Options>
CollectorFlag SwitchFlag(std::string name, bool Options::*field,
                         std::string help) {
  return registry_internal::BindFlag(
      std::move(name), FlagKind::kSwitch, std::move(help), field,
      ParseSwitchValue,
      [](bool value) { return std::string(value ? "true" : "false"); });
}

// Sets the defaults (Options{}) and the factory of `registration`, whose
// collector `make(roots, options)` makes with an Options.
template <typename Options, typename Make>
void SetFactory(CollectorRegistration* registration, Make make) {
  registration->defaults = [] { return CollectorOptions(Options()); };
  registration->factory =
      [make](const FsRoots& roots,
             const CollectorOptions& options) -> std::unique_ptr<Collector> {
    return make(roots, std::any_cast<const Options&>(options));
  };
}

// The options of the collector `name` in `options`, which are an Options.
// Throws std::out_of_range or std::bad_any_cast otherwise (a programming
// error).
template <typename Options>
const Options& OptionsOf(const CollectorOptionsMap& options,
                         std::string_view name) {
  auto it = options.find(name);
  if (it == options.end()) throw std::out_of_range(std::string(name));
  return std::any_cast<const Options&>(it->second);
}

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_SCRAPE_COLLECTOR_REGISTRY_H_
