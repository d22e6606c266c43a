#include "collectors/kernel/cgroupfs/cgroup_memory.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "collectors/base/text.h"

namespace oom {

std::optional<std::string_view> CgroupMemoryReader::Text(const char* name) {
  absl::StatusOr<std::optional<std::string_view>> text = dir_.Read(name);
  if (text.ok()) return *text;
  if (absl::IsNotFound(text.status())) {
    vanished_ = true;
  } else {
    errors_.push_back(text.status());
  }
  return std::nullopt;
}

void CgroupMemoryReader::Malformed(const char* name,
                                   const absl::Status& status) {
  errors_.push_back(absl::InvalidArgumentError(
      absl::StrCat(dir_.path(), "/", name, ": ", status.message())));
}

std::optional<uint64_t> CgroupMemoryReader::Bytes(const char* name) {
  std::optional<std::string_view> text = Text(name);
  if (!text) return std::nullopt;
  absl::StatusOr<uint64_t> value = ParseCgroupBytes(*text);
  if (!value.ok()) {
    Malformed(name, value.status());
    return std::nullopt;
  }
  return *value;
}

std::optional<std::optional<uint64_t>> CgroupMemoryReader::LimitOf(
    const char* name) {
  std::optional<std::string_view> text = Text(name);
  if (!text) return std::nullopt;
  absl::StatusOr<std::optional<uint64_t>> value = ParseCgroupLimit(*text);
  if (!value.ok()) {
    Malformed(name, value.status());
    return std::nullopt;
  }
  return *value;
}

std::optional<uint64_t> CgroupMemoryReader::Usage() {
  return Bytes(v2_ ? "memory.current" : "memory.usage_in_bytes");
}

std::optional<MemoryStat> CgroupMemoryReader::Stat() {
  std::optional<std::string_view> text = Text("memory.stat");
  if (!text) return std::nullopt;
  absl::StatusOr<MemoryStat> stat = ParseMemoryStat(*text, v2_);
  if (!stat.ok()) {
    Malformed("memory.stat", stat.status());
    return std::nullopt;
  }
  return *stat;
}

std::optional<uint64_t> CgroupMemoryReader::Limit() {
  return LimitOf(v2_ ? "memory.max" : "memory.limit_in_bytes")
      .value_or(std::nullopt);
}

std::optional<uint64_t> CgroupMemoryReader::High() {
  if (!v2_) return std::nullopt;
  return LimitOf("memory.high").value_or(std::nullopt);
}

std::optional<uint64_t> CgroupMemoryReader::SwapUsage(
    std::optional<uint64_t> usage) {
  if (v2_) return Bytes("memory.swap.current");
  std::optional<uint64_t> memsw = Bytes("memory.memsw.usage_in_bytes");
  if (!memsw || !usage) return std::nullopt;
  return *memsw > *usage ? *memsw - *usage : 0;
}

std::optional<uint64_t> CgroupMemoryReader::SwapLimit(uint64_t limit) {
  if (v2_) return LimitOf("memory.swap.max").value_or(std::nullopt);
  std::optional<uint64_t> memsw =
      LimitOf("memory.memsw.limit_in_bytes").value_or(std::nullopt);
  if (!memsw) return std::nullopt;
  return *memsw > limit ? *memsw - limit : 0;
}

std::optional<uint64_t> CgroupMemoryReader::Swappiness() {
  if (v2_) return std::nullopt;
  std::optional<std::string_view> text = Text("memory.swappiness");
  if (!text) return std::nullopt;
  std::optional<uint64_t> value = ParseU64(TrimSpace(*text));
  if (!value) {
    Malformed("memory.swappiness", absl::InvalidArgumentError("not a number"));
  }
  return value;
}

std::optional<uint64_t> CgroupMemoryReader::OomGroup() {
  if (!v2_) return std::nullopt;
  return Bytes("memory.oom.group");
}

std::optional<Pressure> CgroupMemoryReader::MemoryPressure() {
  if (!v2_) return std::nullopt;
  std::optional<std::string_view> text = Text("memory.pressure");
  if (!text) return std::nullopt;
  absl::StatusOr<Pressure> pressure = ParsePressure(*text);
  if (!pressure.ok()) {
    Malformed("memory.pressure", pressure.status());
    return std::nullopt;
  }
  return *std::move(pressure);
}

}  // namespace oom
