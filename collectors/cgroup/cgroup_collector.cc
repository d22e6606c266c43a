#include "collectors/cgroup/cgroup_collector.h"

#include <errno.h>
#include <fnmatch.h>

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collectors/base/fs.h"
#include "collectors/base/log.h"
#include "collectors/base/string_view.h"
#include "collectors/base/text.h"
#include "collectors/kernel/cgroupfs/cgroup_files.h"
#include "collectors/kernel/cgroupfs/cgroup_memory.h"
#include "collectors/kernel/cgroupfs/cgroup_path.h"
#include "collectors/kernel/cgroupfs/memory_hierarchy.h"
#include "collectors/kernel/cgroupfs/memory_stat.h"
#include "collectors/kernel/procfs/meminfo.h"
#include "collectors/kernel/procfs/mountinfo.h"
#include "collectors/kernel/procfs/pressure.h"
#include "collectors/scrape/scrape_context.h"

namespace oom {
namespace {

using prometheus::MetricType;

constexpr MetricDesc kEvents{
    "oom_cgroup_memory_events_total",
    "Memory events of the cgroup and its descendants, removed ones "
    "included: low, high, max, oom, oom_kill, oom_group_kill (v2 "
    "memory.events; v1: oom_kill from memory.oom_control and max from "
    "memory.failcnt, summed over descendants)",
    MetricType::Counter};
constexpr MetricDesc kLocalEvents{
    "oom_cgroup_memory_events_local_total",
    "Memory events of the cgroup itself, without descendants, when they "
    "differ from oom_cgroup_memory_events_total (v2 memory.events.local, "
    "Linux 5.2+; v1 memory.oom_control and memory.failcnt)",
    MetricType::Counter};
constexpr MetricDesc kUsage{
    "oom_cgroup_memory_usage_bytes",
    "Memory charged to the cgroup (v2 memory.current, v1 "
    "memory.usage_in_bytes)",
    MetricType::Gauge};
constexpr MetricDesc kWorkingSet{
    "oom_cgroup_memory_working_set_bytes",
    "Memory charged to the cgroup minus its inactive page cache, as the "
    "kubelet and cAdvisor count the working set; still counts active page "
    "cache (usage minus memory.stat inactive_file, v1 total_inactive_file)",
    MetricType::Gauge};
constexpr MetricDesc kUnreclaimable{
    "oom_cgroup_memory_unreclaimable_bytes",
    "Memory charged to the cgroup that the kernel cannot reclaim without "
    "swap or an OOM kill: anonymous, shmem and tmpfs, mlocked and kernel "
    "memory (usage minus memory.stat active_file, inactive_file and "
    "slab_reclaimable; v1 total_active_file and total_inactive_file)",
    MetricType::Gauge};
constexpr MetricDesc kLimit{
    "oom_cgroup_memory_limit_bytes",
    "Hard memory limit of the cgroup; no series when unlimited (v2 "
    "memory.max, v1 memory.limit_in_bytes)",
    MetricType::Gauge};
constexpr MetricDesc kHigh{
    "oom_cgroup_memory_high_bytes",
    "Throttling limit of the cgroup, when set (v2 memory.high)",
    MetricType::Gauge};
constexpr MetricDesc kSwap{
    "oom_cgroup_swap_usage_bytes",
    "Swap used by the cgroup, on nodes with swap (v2 memory.swap.current, v1 "
    "memory.memsw.usage_in_bytes minus memory.usage_in_bytes)",
    MetricType::Gauge};
constexpr MetricDesc kUnderOom{
    "oom_cgroup_under_oom",
    "1 while the cgroup is in OOM, its tasks waiting; no series when 0 (v1 "
    "memory.oom_control under_oom)",
    MetricType::Gauge};
constexpr MetricDesc kOomGroup{
    "oom_cgroup_oom_group",
    "1 when an OOM kill in the cgroup kills all of its tasks together; no "
    "series when 0 (v2 memory.oom.group)",
    MetricType::Gauge};
constexpr MetricDesc kWaiting{
    "oom_cgroup_memory_pressure_waiting_seconds_total",
    "Time in which at least one task of the cgroup was stalled on memory (v2 "
    "memory.pressure some total)",
    MetricType::Counter};
constexpr MetricDesc kStalled{
    "oom_cgroup_memory_pressure_stalled_seconds_total",
    "Time in which all non-idle tasks of the cgroup were stalled on memory "
    "(v2 memory.pressure full total)",
    MetricType::Counter};
constexpr MetricDesc kInfo{
    "oom_cgroup_info",
    "A constant 1 naming the workload of each exported cgroup: Kubernetes "
    "pod uid, QoS class and container id as kube-state-metrics spells them, "
    "systemd unit, LXC container (from the cgroup path)",
    MetricType::Gauge};
constexpr MetricDesc kHierarchy{
    "oom_cgroup_hierarchy_info",
    "A constant 1 naming the cgroup hierarchy that owns the memory "
    "controller (/proc/1/mountinfo, else /proc/self/mountinfo)",
    MetricType::Gauge};
constexpr MetricDesc kSkipped{
    "oom_cgroup_skipped_total",
    "Cgroups or cgroup files skipped since the exporter started, by reason",
    MetricType::Counter};
constexpr MetricDesc kExported{
    "oom_cgroup_exported",
    "Live cgroups exported in this scrape (after --collector.cgroup.max-depth, "
    "include, exclude and pod-containers)",
    MetricType::Gauge};
constexpr MetricDesc kRetained{
    "oom_cgroup_retained",
    "Removed cgroups whose event counters are still exported "
    "(--collector.cgroup.retention)",
    MetricType::Gauge};
constexpr MetricDesc kWatched{
    "oom_cgroup_watched",
    "Cgroup directories followed between scrapes (inotify, v1 OOM eventfds); "
    "0 when the watcher cannot run and short-lived cgroups may be missed",
    MetricType::Gauge};
constexpr MetricDesc kWatchFailures{
    "oom_cgroup_watch_failures_total",
    "Cgroups the watcher could not follow (descriptor or inotify limits, "
    "permissions) and inotify queue overflows",
    MetricType::Counter};

// How deep the v1 walk goes to sum descendants' counts, whatever
// --collector.cgroup.max-depth says.
constexpr std::size_t kV1SumDepth = 32;

constexpr const char* kReasonNames[] = {"vanished", "permission", "malformed",
                                        "unreadable"};

CgroupCollector::Reason ReasonOf(const absl::Status& status) {
  if (absl::IsNotFound(status)) return CgroupCollector::kVanished;
  if (absl::IsPermissionDenied(status)) return CgroupCollector::kPermission;
  if (absl::IsInvalidArgument(status)) return CgroupCollector::kMalformed;
  return CgroupCollector::kUnreadable;
}

std::size_t Components(const std::string& path) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '/' && (i == 0 || path[i - 1] == '/')) ++n;
  }
  return n;
}

Labels InfoLabels(const std::string& path, const CgroupIdentity& id) {
  return {{"cgroup", path},
          {"uid", id.uid},
          {"qos_class", id.qos_class},
          {"container_id", id.container_id},
          {"unit", id.unit},
          {"lxc", id.lxc}};
}

// The gauges of one cgroup, kept until it is known not to have vanished
// while read.
struct CgroupGauges {
  struct Sample {
    const MetricDesc* desc;
    double value;
  };
  std::array<Sample, 10> samples;
  std::size_t size = 0;

  void Add(const MetricDesc& desc, double value) {
    samples[size++] = Sample{&desc, value};
  }
  void Add(const MetricDesc& desc, std::optional<uint64_t> bytes) {
    if (bytes) Add(desc, static_cast<double>(*bytes));
  }
  // Usage and the two measures memory.stat gives of it, when it parses.
  void AddUsage(CgroupMemoryReader& memory, std::optional<uint64_t> usage) {
    Add(kUsage, usage);
    if (!usage) return;
    if (std::optional<MemoryStat> stat = memory.Stat()) {
      Add(kWorkingSet, static_cast<double>(WorkingSetBytes(*usage, *stat)));
      Add(kUnreclaimable,
          static_cast<double>(UnreclaimableBytes(*usage, *stat)));
    }
  }
  // A 0/1 series that is left out when 0.
  void Flag(const MetricDesc& desc, std::optional<uint64_t> value) {
    if (value.value_or(0) != 0) Add(desc, 1);
  }
};

CgroupGauges ReadGaugesV2(CgroupMemoryReader& memory, bool node_has_swap) {
  CgroupGauges gauges;
  gauges.AddUsage(memory, memory.Usage());
  gauges.Add(kLimit, memory.Limit());
  gauges.Add(kHigh, memory.High());
  if (node_has_swap) gauges.Add(kSwap, memory.SwapUsage(std::nullopt));
  gauges.Flag(kOomGroup, memory.OomGroup());
  if (std::optional<Pressure> pressure = memory.MemoryPressure()) {
    if (pressure->some) {
      gauges.Add(kWaiting, static_cast<double>(pressure->some->total_us) / 1e6);
    }
    if (pressure->full) {
      gauges.Add(kStalled, static_cast<double>(pressure->full->total_us) / 1e6);
    }
  }
  return gauges;
}

CgroupGauges ReadGaugesV1(CgroupMemoryReader& memory,
                          const CgroupEvents& events, bool node_has_swap) {
  CgroupGauges gauges;
  gauges.Flag(kUnderOom, events.under_oom);
  std::optional<uint64_t> usage = memory.Usage();
  gauges.AddUsage(memory, usage);
  gauges.Add(kLimit, memory.Limit());
  // memsw exists only with swap accounting; then swap = memsw - usage.
  if (node_has_swap) gauges.Add(kSwap, memory.SwapUsage(usage));
  return gauges;
}

}  // namespace

CgroupCollector::CgroupCollector(FsRoots roots, CgroupOptions options)
    : roots_(std::move(roots)), options_(std::move(options)) {}

// The watcher goes first: it writes into the ledger.
CgroupCollector::~CgroupCollector() { watcher_.reset(); }

bool CgroupCollector::Exported(const std::string& path, std::size_t depth,
                               CgroupIdentity* identity) const {
  if (depth > options_.max_depth) return false;
  auto matches = [&path](const std::vector<std::string>& patterns) {
    for (const std::string& pattern : patterns) {
      if (fnmatch(pattern.c_str(), path.c_str(), 0) == 0) return true;
    }
    return false;
  };
  if (!matches(options_.include) || matches(options_.exclude)) return false;
  CgroupIdentity id = IdentifyCgroup(path);
  bool exported = options_.pod_containers || !id.below_pod;
  if (identity != nullptr) *identity = std::move(id);
  return exported;
}

bool CgroupCollector::Tracked(const std::string& path,
                              std::size_t depth) const {
  if (ledger_ == nullptr) return false;
  return followed_[0] == '1' ? Exported(path, depth) : depth <= kV1SumDepth;
}

void CgroupCollector::Follow(const MemoryHierarchy& hierarchy) {
  std::string key = absl::StrCat(hierarchy.v2 ? "1" : "0", hierarchy.dir, "\n",
                                 hierarchy.root);
  if (key == followed_) return;
  watcher_.reset();
  followed_ = key;
  ledger_ = std::make_unique<CgroupLedger>(!hierarchy.v2, options_.retention);
  if (!options_.watch) return;
  CgroupWatcher::Target target;
  target.dir = hierarchy.dir;
  target.root_path = NormalizeCgroupPath(hierarchy.root);
  target.v2 = hierarchy.v2;
  target.max_depth = hierarchy.v2 ? options_.max_depth : kV1SumDepth;
  target.tracked = [this](const std::string& path, std::size_t depth) {
    return Tracked(path, depth);
  };
  absl::StatusOr<std::unique_ptr<CgroupWatcher>> watcher =
      CgroupWatcher::Start(std::move(target), ledger_.get());
  if (watcher.ok()) {
    watcher_ = *std::move(watcher);
  } else {
    ++watch_failures_;
    Log(LogLevel::kWarn,
        "cannot follow cgroups between scrapes; short-lived cgroups may be "
        "missed",
        {{"collector", "cgroup"},
         {"err", FromAbsl(watcher.status().message())}});
  }
}

void CgroupCollector::Start() {
  absl::StatusOr<MemoryHierarchy> hierarchy = DiscoverMemoryHierarchy(roots_);
  // No hierarchy (yet): Collect says why, and follows it once there is one.
  if (hierarchy.ok()) Follow(*hierarchy);
}

absl::Status CgroupCollector::Collect(MetricSink& sink) {
  ScrapeContext scrape;
  return CollectInScrape(sink, scrape);
}

absl::Status CgroupCollector::CollectInScrape(MetricSink& sink,
                                              ScrapeContext& scrape) {
  exported_ = 0;
  exported_paths_.clear();
  retained_ = 0;
  walk_complete_ = true;
  const absl::StatusOr<MemoryHierarchy>& hierarchy = scrape.HierarchyOf(roots_);
  if (!hierarchy.ok()) {
    // No memory controller (or no cgroupfs here): no data, not a failure.
    if (absl::IsNotFound(hierarchy.status())) return absl::OkStatus();
    return hierarchy.status();
  }
  Follow(*hierarchy);
  // Swap series only mean something on a node with swap.
  const absl::StatusOr<Meminfo>& meminfo = scrape.MeminfoOf(roots_);
  node_has_swap_ = !meminfo.ok() || meminfo->Get("SwapTotal").value_or(1) > 0;
  sink.Add(kHierarchy, 1,
           {{"version", hierarchy->v2 ? "v2" : "v1"},
            {"mount_point", hierarchy->mount_point}});
  CgroupLedger::Clock::time_point start = CgroupLedger::Clock::now();
  Walk(*hierarchy, hierarchy->dir, NormalizeCgroupPath(hierarchy->root), 0,
       sink);
  CgroupLedger::Clock::time_point now = CgroupLedger::Clock::now();
  // A cgroup the watcher missed going away is seen missing by the walk.
  if (walk_complete_) ledger_->MarkUnseenRemoved(start, now);
  ledger_->Expire(now);
  AddCounters(*hierarchy, sink);
  AddTotals(sink);
  return absl::OkStatus();
}

void CgroupCollector::AddTotals(MetricSink& sink) {
  sink.Add(kExported, static_cast<double>(exported_));
  sink.Add(kRetained, static_cast<double>(retained_));
  sink.Add(kWatched,
           static_cast<double>(watcher_ != nullptr ? watcher_->watched() : 0));
  sink.Add(
      kWatchFailures,
      static_cast<double>(watch_failures_ +
                          (watcher_ != nullptr ? watcher_->failures() : 0)));
  for (int reason = 0; reason < kReasons; ++reason) {
    sink.Add(kSkipped, static_cast<double>(skipped_[reason]),
             {{"reason", kReasonNames[reason]}});
  }
}

void CgroupCollector::Walk(const MemoryHierarchy& hierarchy,
                           const std::string& dir, const std::string& path,
                           std::size_t depth, MetricSink& sink) {
  absl::StatusOr<CgroupDir> cgroup = CgroupDir::Open(dir);
  if (!cgroup.ok()) {
    Reason reason = ReasonOf(cgroup.status());
    // A root that cannot be read is the whole walk missing, not one cgroup.
    if (reason != kVanished || depth == 0) walk_complete_ = false;
    return Skip(reason);
  }
  CgroupIdentity id;
  bool exported = Exported(path, depth, &id);
  if (exported) exported_paths_.insert(path);
  bool tracked = hierarchy.v2 ? exported : depth <= kV1SumDepth;
  if (exported || tracked) {
    CollectOne(hierarchy, *cgroup, path, exported ? &id : nullptr, sink);
  }
  if (depth >= (hierarchy.v2 ? options_.max_depth : kV1SumDepth)) return;
  absl::StatusOr<std::vector<std::string>> children = cgroup->Children();
  if (!children.ok()) {
    Reason reason = ReasonOf(children.status());
    if (reason != kVanished) walk_complete_ = false;
    return Skip(reason);
  }
  for (const std::string& child : *children) {
    Walk(hierarchy, dir + "/" + child,
         path == "/" ? "/" + child : path + "/" + child, depth + 1, sink);
  }
}

std::optional<CgroupEvents> CgroupCollector::RecordEvents(
    const MemoryHierarchy& hierarchy, CgroupDir& dir, const std::string& path) {
  CgroupLedger::Clock::time_point now = CgroupLedger::Clock::now();
  absl::StatusOr<CgroupEvents> events = ReadCgroupEvents(dir, hierarchy.v2);
  if (!events.ok()) {
    if (absl::IsNotFound(events.status())) {
      Skip(kVanished);
      return std::nullopt;
    }
    Skip(ReasonOf(events.status()));
    events = CgroupEvents();
  }
  // Even a failed read says the cgroup is still there.
  ledger_->Record(path, dir.inode(), *events, now);
  return *events;
}

void CgroupCollector::CollectOne(const MemoryHierarchy& hierarchy,
                                 CgroupDir& dir, const std::string& path,
                                 const CgroupIdentity* exported,
                                 MetricSink& sink) {
  std::optional<CgroupEvents> events = RecordEvents(hierarchy, dir, path);
  if (!events || exported == nullptr) return;
  CgroupMemoryReader memory(dir, hierarchy.v2);
  CgroupGauges gauges = hierarchy.v2
                            ? ReadGaugesV2(memory, node_has_swap_)
                            : ReadGaugesV1(memory, *events, node_has_swap_);
  for (const absl::Status& error : memory.errors()) Skip(ReasonOf(error));
  // Added to the sink only when the cgroup did not vanish meanwhile.
  if (memory.vanished()) return Skip(kVanished);
  Labels cgroup = {{"cgroup", path}};
  for (std::size_t i = 0; i < gauges.size; ++i) {
    sink.Add(*gauges.samples[i].desc, gauges.samples[i].value, cgroup);
  }
  sink.Add(kInfo, 1, InfoLabels(path, *exported));
  ++exported_;
}

void CgroupCollector::AddCounters(const MemoryHierarchy& hierarchy,
                                  MetricSink& sink) {
  std::size_t root_depth = Components(NormalizeCgroupPath(hierarchy.root));
  for (const CgroupLedger::Row& row : ledger_->Rows()) {
    std::size_t depth = Components(row.path) - root_depth;
    CgroupIdentity id;
    bool exported = row.removed ? Exported(row.path, depth, &id)
                                : exported_paths_.count(row.path) > 0;
    if (!exported) continue;
    for (std::size_t e = 0; e < kCgroupEvents; ++e) {
      Labels labels = {{"cgroup", row.path},
                       {"event", std::string(kCgroupEventNames[e])}};
      if (row.total[e] >= 0) {
        sink.Add(kEvents, static_cast<double>(row.total[e]), labels);
      }
      if (row.local[e] >= 0 && row.local[e] != row.total[e]) {
        sink.Add(kLocalEvents, static_cast<double>(row.local[e]), labels);
      }
    }
    if (row.removed) {
      ++retained_;
      sink.Add(kInfo, 1, InfoLabels(row.path, id));
    }
  }
}

}  // namespace oom
