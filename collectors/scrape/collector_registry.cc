#include "collectors/scrape/collector_registry.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collectors/base/string_view.h"
#include "collectors/base/text.h"

namespace oom {

CollectorRegistry::CollectorRegistry(
    std::vector<CollectorRegistration> registrations,
    const std::vector<std::string>& flags_order)
    : collectors_(std::move(registrations)) {
  for (const std::string& name : flags_order) {
    if (const CollectorRegistration* first = Find(name)) {
      in_flags_order_.push_back(first);
    }
  }
  for (const CollectorRegistration& collector : collectors_) {
    if (std::find(in_flags_order_.begin(), in_flags_order_.end(), &collector) ==
        in_flags_order_.end()) {
      in_flags_order_.push_back(&collector);
    }
  }
}

const CollectorRegistration* CollectorRegistry::Find(
    std::string_view name) const {
  for (const CollectorRegistration& collector : collectors_) {
    if (collector.name == name) return &collector;
  }
  return nullptr;
}

CollectorOptionsMap CollectorRegistry::Defaults() const {
  CollectorOptionsMap options;
  for (const CollectorRegistration& collector : collectors_) {
    options[collector.name] = collector.defaults();
  }
  return options;
}

std::shared_ptr<ScrapeRegistry> CollectorRegistry::Build(
    const std::vector<std::string>& names, const FsRoots& roots,
    const CollectorOptionsMap& options) const {
  auto registry = std::make_shared<ScrapeRegistry>();
  for (const std::string& name : names) {
    const CollectorRegistration* collector = Find(name);
    if (collector == nullptr) continue;
    auto given = options.find(name);
    registry->Add(name, collector->factory(roots, given != options.end()
                                                      ? given->second
                                                      : collector->defaults()));
  }
  return registry;
}

absl::StatusOr<std::size_t> ParseCountValue(std::string_view text,
                                            std::size_t max) {
  std::optional<uint64_t> count = ParseU64(text);
  if (!count || *count < 1 || *count > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", ToAbsl(text), "\" is not a number from 1 to ", max));
  }
  return static_cast<std::size_t>(*count);
}

absl::StatusOr<bool> ParseSwitchValue(std::string_view text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("\"", ToAbsl(text), "\" is not true or false"));
}

absl::StatusOr<std::chrono::milliseconds> ParseDurationValue(
    std::string_view text) {
  std::optional<std::chrono::milliseconds> duration = ParseDuration(text);
  if (!duration) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", ToAbsl(text), "\" is not a duration such as 1h, 30m or 90s"));
  }
  return *duration;
}

std::vector<std::string> ParseListValue(std::string_view text) {
  return absl::StrSplit(ToAbsl(text), ',', absl::SkipEmpty());
}

std::string ShowListValue(const std::vector<std::string>& list) {
  return absl::StrJoin(list, ",");
}

}  // namespace oom
