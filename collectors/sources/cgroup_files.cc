#include "collectors/sources/cgroup_files.h"

#include <unistd.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/sources/fs.h"
#include "collectors/sources/text.h"
#include "collectors/sources/vmstat.h"
#include "collectors/util/string_view.h"

namespace oom {

absl::StatusOr<uint64_t> ParseCgroupBytes(std::string_view text) {
  std::string_view trimmed = TrimSpace(text);
  std::optional<uint64_t> value = ParseU64(trimmed);
  if (!value) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a byte count: \"", ToAbsl(trimmed.substr(0, 32)), "\""));
  }
  return *value;
}

absl::StatusOr<std::optional<uint64_t>> ParseCgroupLimit(
    std::string_view text) {
  constexpr uint64_t kUnlimited = uint64_t{1} << 62;
  if (TrimSpace(text) == "max") return std::optional<uint64_t>();
  absl::StatusOr<uint64_t> bytes = ParseCgroupBytes(text);
  if (!bytes.ok()) return bytes.status();
  if (*bytes >= kUnlimited) return std::optional<uint64_t>();
  return std::optional<uint64_t>(*bytes);
}

absl::StatusOr<CgroupEventCounts> ParseCgroupEventCounts(
    std::string_view text) {
  absl::StatusOr<Vmstat> parsed = ParseVmstat(text);
  if (!parsed.ok()) return parsed.status();
  CgroupEventCounts counts = kNoCgroupEvents;
  for (std::size_t i = 0; i < kCgroupEvents; ++i) {
    if (std::optional<uint64_t> count = parsed->Get(kCgroupEventNames[i])) {
      counts[i] = static_cast<int64_t>(*count);
    }
  }
  return counts;
}

namespace {

// Reads `dir`/`name`; nullopt when the kernel lacks the file, NotFound when
// the whole cgroup is gone.
absl::StatusOr<std::optional<std::string>> ReadCgroupFile(
    const std::string& dir, const char* name) {
  absl::StatusOr<std::string> text = ReadFile(dir + "/" + name);
  if (text.ok()) return std::optional<std::string>(*std::move(text));
  if (absl::IsNotFound(text.status()) && ::access(dir.c_str(), F_OK) == 0) {
    return std::optional<std::string>();
  }
  return text.status();
}

absl::Status Malformed(const std::string& dir, const char* name,
                       const absl::Status& status) {
  return absl::InvalidArgumentError(
      absl::StrCat(dir, "/", name, ": ", status.message()));
}

}  // namespace

absl::StatusOr<CgroupEvents> ReadCgroupEvents(const std::string& dir, bool v2) {
  CgroupEvents events;
  if (v2) {
    for (auto [name, counts] :
         {std::pair{"memory.events", &events.total},
          std::pair{"memory.events.local", &events.local}}) {
      absl::StatusOr<std::optional<std::string>> text =
          ReadCgroupFile(dir, name);
      if (!text.ok()) return text.status();
      if (!*text) continue;
      absl::StatusOr<CgroupEventCounts> parsed = ParseCgroupEventCounts(**text);
      if (!parsed.ok()) return Malformed(dir, name, parsed.status());
      *counts = *parsed;
    }
    return events;
  }
  absl::StatusOr<std::optional<std::string>> control =
      ReadCgroupFile(dir, "memory.oom_control");
  if (!control.ok()) return control.status();
  if (*control) {
    absl::StatusOr<Vmstat> parsed = ParseVmstat(**control);
    if (!parsed.ok()) {
      return Malformed(dir, "memory.oom_control", parsed.status());
    }
    if (std::optional<uint64_t> kills = parsed->Get("oom_kill")) {
      events.local[kCgroupEventOomKill] = static_cast<int64_t>(*kills);
    }
    events.under_oom = parsed->Get("under_oom");
  }
  absl::StatusOr<std::optional<std::string>> failcnt =
      ReadCgroupFile(dir, "memory.failcnt");
  if (!failcnt.ok()) return failcnt.status();
  if (*failcnt) {
    absl::StatusOr<uint64_t> count = ParseCgroupBytes(**failcnt);
    if (!count.ok()) return Malformed(dir, "memory.failcnt", count.status());
    events.local[kCgroupEventMax] = static_cast<int64_t>(*count);
  }
  return events;
}

}  // namespace oom
