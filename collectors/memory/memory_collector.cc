#include "collectors/memory/memory_collector.h"

#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collectors/base/log.h"
#include "collectors/base/status_macros.h"
#include "collectors/base/string_view.h"
#include "collectors/kernel/procfs/meminfo.h"
#include "collectors/kernel/procfs/pressure.h"
#include "collectors/kernel/procfs/sysctl.h"
#include "collectors/kernel/procfs/vmstat.h"
#include "collectors/scrape/scrape_context.h"

namespace oom {
namespace {

using prometheus::MetricType;

constexpr MetricDesc kKernelKills{
    "oom_kernel_kills_total",
    "Processes killed by the kernel OOM killer since boot (/proc/vmstat "
    "oom_kill)",
    MetricType::Counter};
constexpr MetricDesc kPressureWaiting{
    "oom_memory_pressure_waiting_seconds_total",
    "Time in which at least one task was stalled on memory, since boot "
    "(/proc/pressure/memory some total)",
    MetricType::Counter};
constexpr MetricDesc kPressureStalled{
    "oom_memory_pressure_stalled_seconds_total",
    "Time in which all non-idle tasks were stalled on memory at once, since "
    "boot (/proc/pressure/memory full total)",
    MetricType::Counter};
constexpr MetricDesc kMalformedLines{
    "oom_exporter_malformed_lines_total",
    "Lines of kernel text the exporter could not parse and skipped, since it "
    "started",
    MetricType::Counter};

struct MeminfoMetric {
  std::string_view key;
  MetricDesc desc;
};
constexpr MeminfoMetric kMeminfoMetrics[] = {
    {"MemTotal",
     {"oom_memory_total_bytes", "Usable RAM (/proc/meminfo MemTotal)",
      MetricType::Gauge}},
    {"MemAvailable",
     {"oom_memory_available_bytes",
      "Memory available to new allocations without swapping, as the kernel "
      "estimates it (/proc/meminfo MemAvailable)",
      MetricType::Gauge}},
    {"SwapTotal",
     {"oom_swap_total_bytes", "Swap space in total (/proc/meminfo SwapTotal)",
      MetricType::Gauge}},
    {"SwapFree",
     {"oom_swap_free_bytes", "Unused swap space (/proc/meminfo SwapFree)",
      MetricType::Gauge}},
    {"Committed_AS",
     {"oom_memory_committed_bytes",
      "Memory allocated by all processes, used or not (/proc/meminfo "
      "Committed_AS)",
      MetricType::Gauge}},
    {"CommitLimit",
     {"oom_memory_commit_limit_bytes",
      "Total the kernel lets processes allocate when vm.overcommit_memory is "
      "2 (/proc/meminfo CommitLimit)",
      MetricType::Gauge}},
};

struct SysctlMetric {
  std::string_view file;  // under /proc/sys/vm
  MetricDesc desc;
};
constexpr SysctlMetric kSysctlMetrics[] = {
    {"overcommit_memory",
     {"oom_vm_overcommit_memory",
      "Overcommit policy: 0 heuristic, 1 always allow, 2 refuse beyond the "
      "commit limit (/proc/sys/vm/overcommit_memory)",
      MetricType::Gauge}},
    {"overcommit_ratio",
     {"oom_vm_overcommit_ratio",
      "Percentage of RAM counted in the commit limit when overcommit_memory "
      "is 2 (/proc/sys/vm/overcommit_ratio)",
      MetricType::Gauge}},
    {"panic_on_oom",
     {"oom_vm_panic_on_oom",
      "Whether an OOM panics the kernel instead of killing: 0 never, 1 "
      "system-wide OOMs, 2 every OOM (/proc/sys/vm/panic_on_oom)",
      MetricType::Gauge}},
    {"oom_kill_allocating_task",
     {"oom_vm_oom_kill_allocating_task",
      "Whether the OOM killer kills the allocating task instead of the "
      "worst-scored one: 0 no, 1 yes (/proc/sys/vm/oom_kill_allocating_task)",
      MetricType::Gauge}},
};

// Indexes into MemoryCollector::malformed_.
constexpr std::size_t kVmstat = 0;
constexpr std::size_t kPressure = 1;
constexpr std::size_t kMeminfo = 2;
constexpr std::string_view kSourceNames[] = {"vmstat", "pressure/memory",
                                             "meminfo"};

constexpr double kMicrosecondsPerSecond = 1e6;

absl::Status WithContext(const absl::Status& status, std::string_view path) {
  return absl::Status(status.code(),
                      absl::StrCat(ToAbsl(path), ": ", status.message()));
}

}  // namespace

MemoryCollector::MemoryCollector(FsRoots roots) : roots_(std::move(roots)) {}

absl::Status MemoryCollector::Collect(MetricSink& sink) {
  ScrapeContext scrape;
  return CollectInScrape(sink, scrape);
}

absl::Status MemoryCollector::CollectInScrape(MetricSink& sink,
                                              ScrapeContext& scrape) {
  std::vector<std::string> errors;
  for (absl::Status status :
       {CollectVmstat(sink), CollectPressure(sink),
        CollectMeminfo(scrape, sink), CollectSysctls(sink)}) {
    if (!status.ok()) errors.emplace_back(status.message());
  }
  for (std::size_t i = 0; i < malformed_.size(); ++i) {
    sink.Add(
        kMalformedLines, static_cast<double>(malformed_[i]),
        {{"collector", "memory"}, {"source", std::string(kSourceNames[i])}});
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrJoin(errors, "; "));
}

void MemoryCollector::CountMalformed(std::size_t index, int count) {
  if (count <= 0) return;
  if (malformed_[index] == 0) {
    // Once per source for the life of the collector: a kernel that prints
    // something new should be noticed, not repeated every scrape.
    Log(LogLevel::kWarn, "skipped malformed lines",
        {{"collector", "memory"},
         {"source", kSourceNames[index]},
         {"lines", absl::StrCat(count)}});
  }
  malformed_[index] += static_cast<uint64_t>(count);
}

absl::Status MemoryCollector::CollectVmstat(MetricSink& sink) {
  std::string path = roots_.Proc("vmstat");
  OOM_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  absl::StatusOr<Vmstat> vmstat = ParseVmstat(text);
  if (!vmstat.ok()) return WithContext(vmstat.status(), path);
  CountMalformed(kVmstat, vmstat->malformed_lines);
  // No oom_kill line before Linux 4.13: no series, not a failure.
  if (std::optional<uint64_t> kills = vmstat->Get("oom_kill")) {
    sink.Add(kKernelKills, static_cast<double>(*kills));
  }
  return absl::OkStatus();
}

absl::Status MemoryCollector::CollectPressure(MetricSink& sink) {
  std::string path = roots_.Proc("pressure/memory");
  absl::StatusOr<std::string> text = ReadFile(path);
  // No file before 4.20 or without CONFIG_PSI; EOPNOTSUPP with psi=0.
  if (IsAbsent(text.status())) return absl::OkStatus();
  if (!text.ok()) return text.status();
  absl::StatusOr<Pressure> pressure = ParsePressure(*text);
  if (!pressure.ok()) return WithContext(pressure.status(), path);
  CountMalformed(kPressure, pressure->malformed_lines);
  if (pressure->some) {
    sink.Add(kPressureWaiting, static_cast<double>(pressure->some->total_us) /
                                   kMicrosecondsPerSecond);
  }
  if (pressure->full) {
    sink.Add(kPressureStalled, static_cast<double>(pressure->full->total_us) /
                                   kMicrosecondsPerSecond);
  }
  return absl::OkStatus();
}

absl::Status MemoryCollector::CollectMeminfo(ScrapeContext& scrape,
                                             MetricSink& sink) {
  // ReadMeminfo's errors name the file.
  const absl::StatusOr<Meminfo>& meminfo = scrape.MeminfoOf(roots_);
  if (!meminfo.ok()) return meminfo.status();
  CountMalformed(kMeminfo, meminfo->malformed_lines);
  for (const MeminfoMetric& metric : kMeminfoMetrics) {
    // MemAvailable arrived in 3.14; an older kernel simply has no series.
    if (std::optional<uint64_t> bytes = meminfo->Get(metric.key)) {
      sink.Add(metric.desc, static_cast<double>(*bytes));
    }
  }
  if (!meminfo->Get("MemTotal")) {
    return absl::DataLossError(
        absl::StrCat(roots_.Proc("meminfo"), ": no MemTotal line"));
  }
  return absl::OkStatus();
}

absl::Status MemoryCollector::CollectSysctls(MetricSink& sink) {
  std::vector<std::string> errors;
  for (const SysctlMetric& metric : kSysctlMetrics) {
    std::string path =
        roots_.Proc(absl::StrCat("sys/vm/", ToAbsl(metric.file)));
    absl::StatusOr<std::string> text = ReadFile(path);
    if (IsAbsent(text.status())) continue;  // /proc/sys hidden or too old.
    if (!text.ok()) {
      errors.emplace_back(text.status().message());
      continue;
    }
    absl::StatusOr<int64_t> value = ParseSysctlInt(*text);
    if (!value.ok()) {
      errors.push_back(absl::StrCat(path, ": ", value.status().message()));
      continue;
    }
    sink.Add(metric.desc, static_cast<double>(*value));
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrJoin(errors, "; "));
}

}  // namespace oom
