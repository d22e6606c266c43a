#include "collectors/cgroup_collector.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <unistd.h>

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collectors/sources/cgroup_files.h"
#include "collectors/sources/cgroup_path.h"
#include "collectors/sources/fs.h"
#include "collectors/sources/mountinfo.h"
#include "collectors/sources/pressure.h"
#include "collectors/sources/text.h"
#include "collectors/sources/vmstat.h"

namespace oom {
namespace {

using prometheus::MetricType;

constexpr MetricDesc kEvents{
    "oom_cgroup_memory_events_total",
    "Memory events of the cgroup and its descendants: low, high, max, oom, "
    "oom_kill, oom_group_kill (v2 memory.events; v1: oom_kill from "
    "memory.oom_control, max from memory.failcnt)",
    MetricType::Counter};
constexpr MetricDesc kLocalEvents{
    "oom_cgroup_memory_events_local_total",
    "Memory events of the cgroup itself, without descendants (v2 "
    "memory.events.local, Linux 5.2+)",
    MetricType::Counter};
constexpr MetricDesc kUsage{
    "oom_cgroup_memory_usage_bytes",
    "Memory charged to the cgroup (v2 memory.current, v1 "
    "memory.usage_in_bytes)",
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
    "Swap used by the cgroup (v2 memory.swap.current, v1 "
    "memory.memsw.usage_in_bytes minus memory.usage_in_bytes)",
    MetricType::Gauge};
constexpr MetricDesc kUnderOom{
    "oom_cgroup_under_oom",
    "Whether the cgroup is in OOM right now, its tasks waiting (v1 "
    "memory.oom_control under_oom)",
    MetricType::Gauge};
constexpr MetricDesc kOomGroup{
    "oom_cgroup_oom_group",
    "Whether an OOM kill in the cgroup kills all of its tasks together (v2 "
    "memory.oom.group)",
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
    "controller (/proc/self/mountinfo)",
    MetricType::Gauge};
constexpr MetricDesc kSkipped{
    "oom_cgroup_skipped_total",
    "Cgroups or cgroup files skipped since the exporter started, by reason",
    MetricType::Counter};
constexpr MetricDesc kExported{
    "oom_cgroup_exported",
    "Cgroups exported in this scrape (after --collector.cgroup.max-depth, "
    "include and exclude)",
    MetricType::Gauge};

constexpr const char* kReasonNames[] = {"vanished", "permission", "malformed",
                                        "unreadable"};

CgroupCollector::Reason ReasonOf(const absl::Status& status) {
  if (absl::IsNotFound(status)) return CgroupCollector::kVanished;
  if (absl::IsPermissionDenied(status)) return CgroupCollector::kPermission;
  if (absl::IsInvalidArgument(status)) return CgroupCollector::kMalformed;
  return CgroupCollector::kUnreadable;
}

}  // namespace

CgroupCollector::CgroupCollector(FsRoots roots, CgroupOptions options)
    : roots_(std::move(roots)), options_(std::move(options)) {}

absl::StatusOr<CgroupCollector::Hierarchy> CgroupCollector::Discover() const {
  absl::StatusOr<std::string> text = ReadFile(roots_.Proc("self/mountinfo"));
  if (!text.ok()) return text.status();
  absl::StatusOr<Mountinfo> mounts = ParseMountinfo(*text);
  if (!mounts.ok()) return mounts.status();
  // A mount point under /sys is read under --path.sysfs.
  auto dir_of = [this](const std::string& mount_point) {
    if (mount_point == "/sys") return roots_.sysfs;
    if (mount_point.rfind("/sys/", 0) == 0)
      return roots_.Sys(mount_point.substr(5));
    return mount_point;
  };
  for (const Mount& mount : mounts->mounts) {
    if (mount.fstype == "cgroup" &&
        HasMountOption(mount.super_options, "memory")) {
      return Hierarchy{false, mount.mount_point, dir_of(mount.mount_point),
                       mount.root};
    }
  }
  for (const Mount& mount : mounts->mounts) {
    if (mount.fstype != "cgroup2") continue;
    std::string dir = dir_of(mount.mount_point);
    absl::StatusOr<std::string> controllers =
        ReadFile(dir + "/cgroup.controllers");
    if (!controllers.ok()) continue;
    std::string_view list = TrimSpace(*controllers);
    bool memory = false;
    while (!list.empty()) {
      std::size_t space = list.find(' ');
      memory |= list.substr(0, space) == "memory";
      if (space == std::string_view::npos) break;
      list.remove_prefix(space + 1);
    }
    if (memory) return Hierarchy{true, mount.mount_point, dir, mount.root};
  }
  return absl::NotFoundError("no cgroup hierarchy with the memory controller");
}

bool CgroupCollector::Wanted(const std::string& path) const {
  auto matches = [&path](const std::vector<std::string>& patterns) {
    for (const std::string& pattern : patterns) {
      if (fnmatch(pattern.c_str(), path.c_str(), 0) == 0) return true;
    }
    return false;
  };
  return matches(options_.include) && !matches(options_.exclude);
}

absl::Status CgroupCollector::Collect(MetricSink& sink) {
  exported_ = 0;
  absl::StatusOr<Hierarchy> hierarchy = Discover();
  if (!hierarchy.ok()) {
    // No memory controller (or no cgroupfs here): no data, not a failure.
    if (absl::IsNotFound(hierarchy.status())) return absl::OkStatus();
    return hierarchy.status();
  }
  sink.Add(kHierarchy, 1,
           {{"version", hierarchy->v2 ? "v2" : "v1"},
            {"mount_point", hierarchy->mount_point}});
  Walk(*hierarchy, hierarchy->dir, NormalizeCgroupPath(hierarchy->root), 0,
       sink);
  sink.Add(kExported, static_cast<double>(exported_));
  for (int reason = 0; reason < kReasons; ++reason) {
    sink.Add(kSkipped, static_cast<double>(skipped_[reason]),
             {{"reason", kReasonNames[reason]}});
  }
  return absl::OkStatus();
}

void CgroupCollector::Walk(const Hierarchy& hierarchy, const std::string& dir,
                           const std::string& path, std::size_t depth,
                           MetricSink& sink) {
  if (Wanted(path) && CollectOne(hierarchy, dir, path, sink)) ++exported_;
  if (depth >= options_.max_depth) return;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    if (depth > 0)
      Skip(errno == ENOENT   ? kVanished
           : errno == EACCES ? kPermission
                             : kUnreadable);
    return;
  }
  std::vector<std::string> children;
  while (dirent* entry = ::readdir(handle)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == ".." || entry->d_type != DT_DIR) continue;
    children.emplace_back(name);
  }
  ::closedir(handle);
  for (const std::string& child : children) {
    Walk(hierarchy, dir + "/" + child,
         path == "/" ? "/" + child : path + "/" + child, depth + 1, sink);
  }
}

bool CgroupCollector::CollectOne(const Hierarchy& hierarchy,
                                 const std::string& dir,
                                 const std::string& path, MetricSink& sink) {
  MetricSink own;  // appended only when the cgroup did not vanish meanwhile
  bool vanished = false;
  // Reads one file; an absent file is a feature this kernel or cgroup lacks
  // (the v2 root has no memory.current), anything else is counted.
  auto read = [&](const char* name) -> std::optional<std::string> {
    absl::StatusOr<std::string> text = ReadFile(dir + "/" + name);
    if (text.ok()) return *std::move(text);
    if (absl::IsNotFound(text.status())) {
      if (::access(dir.c_str(), F_OK) != 0) vanished = true;
    } else {
      Skip(ReasonOf(text.status()));
    }
    return std::nullopt;
  };
  Labels cgroup = {{"cgroup", path}};
  auto with = [&cgroup](std::string name, std::string value) {
    Labels labels = cgroup;
    labels.emplace_back(std::move(name), std::move(value));
    return labels;
  };
  auto bytes = [&](const MetricDesc& desc,
                   const char* file) -> std::optional<uint64_t> {
    std::optional<std::string> text = read(file);
    if (!text) return std::nullopt;
    absl::StatusOr<uint64_t> value = ParseCgroupBytes(*text);
    if (!value.ok()) {
      Skip(kMalformed);
      return std::nullopt;
    }
    if (desc.name != std::string_view())
      own.Add(desc, static_cast<double>(*value), cgroup);
    return *value;
  };
  auto limit = [&](const MetricDesc& desc, const char* file) {
    std::optional<std::string> text = read(file);
    if (!text) return;
    absl::StatusOr<std::optional<uint64_t>> value = ParseCgroupLimit(*text);
    if (!value.ok()) return Skip(kMalformed);
    if (*value) own.Add(desc, static_cast<double>(**value), cgroup);
  };
  auto events = [&](const MetricDesc& desc, const char* file) {
    std::optional<std::string> text = read(file);
    if (!text) return;
    absl::StatusOr<Vmstat> parsed = ParseVmstat(*text);
    if (!parsed.ok()) return Skip(kMalformed);
    for (const char* event :
         {"low", "high", "max", "oom", "oom_kill", "oom_group_kill"}) {
      if (std::optional<uint64_t> count = parsed->Get(event)) {
        own.Add(desc, static_cast<double>(*count), with("event", event));
      }
    }
  };

  if (hierarchy.v2) {
    events(kEvents, "memory.events");
    events(kLocalEvents, "memory.events.local");
    bytes(kUsage, "memory.current");
    limit(kLimit, "memory.max");
    limit(kHigh, "memory.high");
    bytes(kSwap, "memory.swap.current");
    if (std::optional<std::string> text = read("memory.oom.group")) {
      absl::StatusOr<uint64_t> group = ParseCgroupBytes(*text);
      if (group.ok()) {
        own.Add(kOomGroup, static_cast<double>(*group), cgroup);
      } else {
        Skip(kMalformed);
      }
    }
    if (std::optional<std::string> text = read("memory.pressure")) {
      absl::StatusOr<Pressure> pressure = ParsePressure(*text);
      if (!pressure.ok()) {
        Skip(kMalformed);
      } else {
        if (pressure->some) {
          own.Add(kWaiting, static_cast<double>(pressure->some->total_us) / 1e6,
                  cgroup);
        }
        if (pressure->full) {
          own.Add(kStalled, static_cast<double>(pressure->full->total_us) / 1e6,
                  cgroup);
        }
      }
    }
  } else {
    if (std::optional<std::string> text = read("memory.oom_control")) {
      absl::StatusOr<Vmstat> control = ParseVmstat(*text);
      if (!control.ok()) {
        Skip(kMalformed);
      } else {
        if (std::optional<uint64_t> kills = control->Get("oom_kill")) {
          own.Add(kEvents, static_cast<double>(*kills),
                  with("event", "oom_kill"));
        }
        if (std::optional<uint64_t> under = control->Get("under_oom")) {
          own.Add(kUnderOom, static_cast<double>(*under), cgroup);
        }
      }
    }
    if (std::optional<uint64_t> failcnt =
            bytes(MetricDesc{}, "memory.failcnt")) {
      own.Add(kEvents, static_cast<double>(*failcnt), with("event", "max"));
    }
    std::optional<uint64_t> usage = bytes(kUsage, "memory.usage_in_bytes");
    limit(kLimit, "memory.limit_in_bytes");
    // memsw exists only with swap accounting; then swap = memsw - usage.
    if (::access((dir + "/memory.memsw.usage_in_bytes").c_str(), F_OK) == 0) {
      std::optional<uint64_t> memsw =
          bytes(MetricDesc{}, "memory.memsw.usage_in_bytes");
      if (memsw && usage) {
        own.Add(kSwap,
                static_cast<double>(*memsw > *usage ? *memsw - *usage : 0),
                cgroup);
      }
    }
  }
  if (vanished) {
    Skip(kVanished);
    return false;
  }
  CgroupIdentity id = IdentifyCgroup(path);
  own.Add(kInfo, 1,
          {{"cgroup", path},
           {"uid", id.uid},
           {"qos_class", id.qos_class},
           {"container_id", id.container_id},
           {"unit", id.unit},
           {"lxc", id.lxc}});
  sink.Append(own.TakeFamilies());
  return true;
}

}  // namespace oom
