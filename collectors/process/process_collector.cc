#include "collectors/process/process_collector.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collectors/base/fs.h"
#include "collectors/base/log.h"
#include "collectors/base/status_macros.h"
#include "collectors/base/text.h"
#include "collectors/kernel/cgroupfs/cgroup_files.h"
#include "collectors/kernel/cgroupfs/cgroup_path.h"
#include "collectors/kernel/procfs/meminfo.h"
#include "collectors/kernel/procfs/mountinfo.h"

namespace oom {
namespace {

using prometheus::MetricType;

constexpr MetricDesc kScore{
    "oom_process_score",
    "The kernel's OOM score of a tracked process, as it prints it; its "
    "meaning changed in Linux 5.9, see oom_process_badness_ratio "
    "(/proc/<pid>/oom_score)",
    MetricType::Gauge};
constexpr MetricDesc kScoreAdj{
    "oom_process_score_adj",
    "OOM score adjustment of a tracked process, -1000 (never kill) to 1000 "
    "(/proc/<pid>/oom_score_adj)",
    MetricType::Gauge};
constexpr MetricDesc kResident{
    "oom_process_resident_memory_bytes",
    "Resident memory of a tracked process: anon + file + shmem "
    "(/proc/<pid>/status VmRSS)",
    MetricType::Gauge};
constexpr MetricDesc kSwap{
    "oom_process_swap_bytes",
    "Swap used by a tracked process (/proc/<pid>/status VmSwap)",
    MetricType::Gauge};
constexpr MetricDesc kBadnessRatio{
    "oom_process_badness_ratio",
    "The kernel's OOM badness of a tracked process over RAM + swap: (rss + "
    "swap + page tables + oom_score_adj * totalpages / 1000) / totalpages, "
    "the same on every kernel version (/proc/<pid>/status, "
    "/proc/<pid>/oom_score_adj, /proc/meminfo)",
    MetricType::Gauge};
constexpr MetricDesc kProcesses{
    "oom_processes",
    "Processes procfs lists, kernel threads and zombies included, that "
    "could be read (/proc)",
    MetricType::Gauge};
constexpr MetricDesc kProtected{
    "oom_processes_protected",
    "Processes the OOM killer never chooses: oom_score_adj -1000 "
    "(/proc/<pid>/oom_score_adj of processes whose oom_score is 0)",
    MetricType::Gauge};
constexpr MetricDesc kScoreMax{
    "oom_process_score_max",
    "Highest oom_score of any process, as the kernel prints it "
    "(/proc/<pid>/oom_score)",
    MetricType::Gauge};
constexpr MetricDesc kHidepid{
    "oom_process_hidepid",
    "The hidepid option procfs is mounted with: 0 none, 1 noaccess, 2 "
    "invisible, 4 ptraceable; without CAP_SYS_PTRACE the exporter then sees "
    "only some processes (/proc/self/mountinfo)",
    MetricType::Gauge};
constexpr MetricDesc kSkipped{
    "oom_process_skipped_total",
    "Processes or process files skipped since the exporter started, by "
    "reason: vanished (exited while read), permission, malformed, unreadable",
    MetricType::Counter};
constexpr MetricDesc kNextVictim{
    "oom_cgroup_next_victim_score",
    "For each memory cgroup above 80 % of its limit, the process the kernel "
    "would kill if the limit were hit, with its badness * 1000 / the "
    "cgroup's limit in pages (+ allowed swap), as the kernel scores it "
    "(memory.limit_in_bytes or memory.max, cgroup.procs, /proc/<pid>/status)",
    MetricType::Gauge};

constexpr const char* kReasonNames[] = {"vanished", "permission", "malformed",
                                        "unreadable"};

// Candidates read in full per scrape, beyond K, to step over processes that
// cannot be chosen (unkillable, exited meanwhile).
constexpr std::size_t kExtraCandidates = 16;
constexpr int kMaxCgroupDepth = 16;

// The hidepid= value of the procfs mount at `procfs`; 0 when none.
int HidepidOf(const Mountinfo& mounts, std::string procfs) {
  while (procfs.size() > 1 && procfs.back() == '/') procfs.pop_back();
  for (const Mount& mount : mounts.mounts) {
    if (mount.fstype != "proc" || mount.mount_point != procfs) continue;
    std::string_view options = mount.super_options;
    while (!options.empty()) {
      std::size_t comma = options.find(',');
      std::string_view option = options.substr(0, comma);
      if (option.substr(0, 8) == "hidepid=") {
        std::string_view value = option.substr(8);
        if (value == "noaccess") return 1;
        if (value == "invisible") return 2;
        if (value == "ptraceable") return 4;
        std::optional<uint64_t> number = ParseU64(value);
        return number && *number <= 4 ? static_cast<int>(*number) : 0;
      }
      if (comma == std::string_view::npos) break;
      options.remove_prefix(comma + 1);
    }
    return 0;
  }
  return 0;
}

}  // namespace

ProcessCollector::ProcessCollector(FsRoots roots, ProcessOptions options)
    : roots_(std::move(roots)),
      options_(std::move(options)),
      page_size_(static_cast<uint64_t>(::sysconf(_SC_PAGESIZE))) {}

void ProcessCollector::SkipErrno(int err) {
  if (err == ENOENT || err == ESRCH) {
    ++skipped_[kVanished];
  } else if (err == EACCES || err == EPERM) {
    ++skipped_[kPermission];
  } else {
    ++skipped_[kUnreadable];
  }
}

bool ProcessCollector::ReadDetails(ProcReader& reader, int32_t pid, bool full,
                                   Details* out) {
  int dir = reader.OpenPidDir(pid);
  if (dir < 0) {
    SkipErrno(-dir);
    return false;
  }
  auto fail = [&](int err) {
    ProcReader::CloseDir(dir);
    if (err == 0) {
      ++skipped_[kMalformed];
    } else {
      SkipErrno(err);
    }
    return false;
  };
  out->pid = pid;
  int result = ProcReader::ReadAt(dir, "stat", &buffer_);
  if (result < 0) return fail(-result);
  absl::StatusOr<ProcStat> stat = ParseProcStat(buffer_);
  if (!stat.ok()) return fail(0);
  out->stat = *std::move(stat);
  if (out->stat.exited() || out->stat.kernel_thread()) {
    // Nothing more to learn: the kernel cannot choose it.
    ProcReader::CloseDir(dir);
    return true;
  }
  result = ProcReader::ReadAt(dir, "status", &buffer_);
  if (result < 0) return fail(-result);
  absl::StatusOr<ProcStatus> status = ParseProcStatus(buffer_);
  if (!status.ok()) return fail(0);
  out->status = *std::move(status);
  result = ProcReader::ReadAt(dir, "oom_score_adj", &buffer_);
  if (result < 0) return fail(-result);
  absl::StatusOr<int64_t> adj = ParseOomScoreAdj(buffer_);
  if (!adj.ok()) return fail(0);
  out->adj = *adj;
  if (full) {
    result = ProcReader::ReadAt(dir, "oom_score", &buffer_);
    if (result < 0) return fail(-result);
    absl::StatusOr<int64_t> score = ParseOomScore(buffer_);
    if (!score.ok()) return fail(0);
    out->score = *score;
    out->cgroup.clear();
    if (ProcReader::ReadAt(dir, "cgroup", &buffer_) == 0) {
      absl::StatusOr<std::string> cgroup = ParseProcCgroup(buffer_);
      if (cgroup.ok()) out->cgroup = NormalizeCgroupPath(*cgroup);
    }
  }
  ProcReader::CloseDir(dir);
  return true;
}

bool ProcessCollector::Killable(const Details& details) {
  return !details.stat.exited() && !details.stat.kernel_thread() &&
         !details.status.kernel_thread &&
         details.status.vm_rss_bytes.has_value() &&
         details.adj > kOomScoreAdjMin;
}

void ProcessCollector::Export(const Details& details, uint64_t totalpages,
                              MetricSink& sink) {
  Labels labels = {{"pid", absl::StrCat(details.pid)},
                   {"comm", CommLabel(details.stat.comm)},
                   {"cgroup", details.cgroup}};
  sink.Add(kScore, static_cast<double>(details.score), labels);
  sink.Add(kScoreAdj, static_cast<double>(details.adj), labels);
  uint64_t rss = details.status.vm_rss_bytes.value_or(0);
  uint64_t swap = details.status.vm_swap_bytes.value_or(0);
  sink.Add(kResident, static_cast<double>(rss), labels);
  if (details.status.vm_swap_bytes) {
    sink.Add(kSwap, static_cast<double>(swap), labels);
  }
  if (totalpages > 0) {
    int64_t badness = OomBadness(rss / page_size_, swap / page_size_,
                                 details.status.vm_pte_bytes.value_or(0),
                                 details.adj, totalpages, page_size_);
    sink.Add(kBadnessRatio,
             static_cast<double>(badness) / static_cast<double>(totalpages),
             std::move(labels));
  }
}

absl::Status ProcessCollector::Collect(MetricSink& sink) {
  std::vector<std::string> errors;

  // totalpages as the kernel computes it for a global OOM: RAM + swap.
  uint64_t totalpages = 0;
  uint64_t swap_total_pages = 0;
  {
    std::string path = roots_.Proc("meminfo");
    absl::StatusOr<std::string> text = ReadFile(path);
    absl::StatusOr<Meminfo> meminfo =
        text.ok() ? ParseMeminfo(*text)
                  : absl::StatusOr<Meminfo>(text.status());
    if (meminfo.ok() && meminfo->Get("MemTotal")) {
      swap_total_pages = meminfo->Get("SwapTotal").value_or(0) / page_size_;
      totalpages = *meminfo->Get("MemTotal") / page_size_ + swap_total_pages;
    } else {
      errors.push_back(absl::StrCat(path, ": no MemTotal"));
    }
  }

  std::optional<Mountinfo> mounts;
  if (absl::StatusOr<std::string> text =
          ReadFile(roots_.Proc("self/mountinfo"));
      text.ok()) {
    if (absl::StatusOr<Mountinfo> parsed = ParseMountinfo(*text); parsed.ok()) {
      mounts = *std::move(parsed);
    }
  }
  sink.Add(kHidepid, mounts ? HidepidOf(*mounts, roots_.procfs) : 0);

  OOM_ASSIGN_OR_RETURN(ProcReader reader, ProcReader::Open(roots_.procfs));
  if (absl::Status listed = reader.ListPids(&pids_); !listed.ok()) {
    return absl::Status(listed.code(),
                        absl::StrCat(roots_.procfs, ": ", listed.message()));
  }

  // The scan: one small read per process.
  scan_.clear();
  included_.clear();
  uint64_t processes = 0;
  uint64_t protected_processes = 0;
  int64_t score_max = -1;
  char buf[64];
  for (int32_t pid : pids_) {
    ssize_t n = reader.ReadSmall(pid, "oom_score", buf, sizeof(buf));
    if (n < 0) {
      SkipErrno(static_cast<int>(-n));
      continue;
    }
    absl::StatusOr<int64_t> score =
        ParseOomScore(std::string_view(buf, static_cast<std::size_t>(n)));
    if (!score.ok()) {
      ++skipped_[kMalformed];
      continue;
    }
    ++processes;
    score_max = std::max(score_max, *score);
    if (*score == 0) {
      // Unkillable (or, before 5.9, small): is it protected by -1000?
      n = reader.ReadSmall(pid, "oom_score_adj", buf, sizeof(buf));
      if (n > 0) {
        absl::StatusOr<int64_t> adj = ParseOomScoreAdj(
            std::string_view(buf, static_cast<std::size_t>(n)));
        if (adj.ok() && *adj == kOomScoreAdjMin) ++protected_processes;
      }
    }
    if (!options_.include.empty()) {
      n = reader.ReadSmall(pid, "comm", buf, sizeof(buf) - 1);
      if (n > 0) {
        if (buf[n - 1] == '\n') --n;
        buf[n] = '\0';
        for (const std::string& pattern : options_.include) {
          if (fnmatch(pattern.c_str(), buf, 0) == 0) {
            included_.push_back(pid);
            break;
          }
        }
      }
    }
    int32_t clamped = static_cast<int32_t>(
        std::min<int64_t>(*score, std::numeric_limits<int32_t>::max()));
    scan_.push_back({pid, clamped, tracked_.contains(pid)});
  }
  sink.Add(kProcesses, static_cast<double>(processes));
  sink.Add(kProtected, static_cast<double>(protected_processes));
  if (score_max >= 0) sink.Add(kScoreMax, static_cast<double>(score_max));

  // The candidates, best first.
  const std::size_t k = std::max<std::size_t>(options_.top_k, 1);
  order_.assign(scan_.begin(), scan_.end());
  auto before = [](const ScanEntry& a, const ScanEntry& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.tracked != b.tracked) return a.tracked;
    return a.pid < b.pid;
  };
  std::size_t examine = std::min(order_.size(), 4 * k + kExtraCandidates);
  std::partial_sort(order_.begin(), order_.begin() + examine, order_.end(),
                    before);
  // Rank <= 2K exactly when the score is at least the 2K-th highest.
  int32_t keep_threshold = order_.size() > 2 * k
                               ? order_[2 * k - 1].score
                               : std::numeric_limits<int32_t>::min();

  std::vector<Details> exported;
  absl::flat_hash_map<int32_t, uint64_t> next_tracked;
  for (std::size_t i = 0; i < examine && next_tracked.size() < k; ++i) {
    Details details;
    if (!ReadDetails(reader, order_[i].pid, true, &details)) continue;
    if (!Killable(details) || (details.pid == 1 && details.score == 0)) {
      continue;
    }
    next_tracked[details.pid] = details.stat.starttime;
    exported.push_back(std::move(details));
  }
  // Hysteresis: the previous set stays while within rank 2K and the same
  // process (a reused pid has another start time).
  std::vector<std::pair<int32_t, uint64_t>> previous(tracked_.begin(),
                                                     tracked_.end());
  std::sort(previous.begin(), previous.end());
  std::size_t fresh = exported.size();
  for (const auto& [pid, starttime] : previous) {
    if (next_tracked.contains(pid)) continue;
    auto it = std::lower_bound(scan_.begin(), scan_.end(), pid,
                               [](const ScanEntry& entry, int32_t value) {
                                 return entry.pid < value;
                               });
    if (it == scan_.end() || it->pid != pid || it->score < keep_threshold) {
      continue;
    }
    Details details;
    if (!ReadDetails(reader, pid, true, &details)) continue;
    if (details.stat.starttime != starttime || !Killable(details)) continue;
    next_tracked[pid] = starttime;
    exported.push_back(std::move(details));
  }
  if (next_tracked.size() > 2 * k) {
    std::sort(exported.begin() + static_cast<std::ptrdiff_t>(fresh),
              exported.end(), [](const Details& a, const Details& b) {
                if (a.score != b.score) return a.score > b.score;
                return a.pid < b.pid;
              });
    while (exported.size() > 2 * k) {
      next_tracked.erase(exported.back().pid);
      exported.pop_back();
    }
  }
  tracked_ = std::move(next_tracked);
  // Processes named by --collector.process.include, whatever their rank.
  for (int32_t pid : included_) {
    if (tracked_.contains(pid)) continue;
    Details details;
    if (!ReadDetails(reader, pid, true, &details)) continue;
    if (details.stat.exited() || details.stat.kernel_thread()) continue;
    exported.push_back(std::move(details));
  }
  for (const Details& details : exported) Export(details, totalpages, sink);

  if (absl::StatusOr<MemoryHierarchy> hierarchy =
          DiscoverMemoryHierarchy(roots_);
      hierarchy.ok()) {
    CollectNextVictims(*hierarchy, reader, swap_total_pages, sink);
  }

  for (int reason = 0; reason < kReasons; ++reason) {
    sink.Add(kSkipped, static_cast<double>(skipped_[reason]),
             {{"reason", kReasonNames[reason]}});
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrJoin(errors, "; "));
}

void ProcessCollector::CollectNextVictims(const MemoryHierarchy& hierarchy,
                                          ProcReader& reader,
                                          uint64_t swap_total_pages,
                                          MetricSink& sink) {
  WalkCgroups(hierarchy, reader, hierarchy.dir,
              NormalizeCgroupPath(hierarchy.root), 0, swap_total_pages, sink);
}

void ProcessCollector::WalkCgroups(const MemoryHierarchy& hierarchy,
                                   ProcReader& reader, const std::string& dir,
                                   const std::string& path, int depth,
                                   uint64_t swap_total_pages,
                                   MetricSink& sink) {
  auto read_limit = [&](const char* name) -> std::optional<uint64_t> {
    absl::StatusOr<std::string> text = ReadFile(dir + "/" + name);
    if (!text.ok()) return std::nullopt;
    absl::StatusOr<std::optional<uint64_t>> value = ParseCgroupLimit(*text);
    if (!value.ok()) return std::nullopt;
    return *value;
  };
  std::optional<uint64_t> limit =
      read_limit(hierarchy.v2 ? "memory.max" : "memory.limit_in_bytes");
  std::optional<uint64_t> usage;
  if (limit) {
    absl::StatusOr<std::string> text = ReadFile(
        dir + (hierarchy.v2 ? "/memory.current" : "/memory.usage_in_bytes"));
    if (text.ok()) {
      absl::StatusOr<uint64_t> value = ParseCgroupBytes(*text);
      if (value.ok()) usage = *value;
    }
  }
  if (limit && usage && *limit >= page_size_ &&
      static_cast<double>(*usage) > 0.8 * static_cast<double>(*limit)) {
    // mem_cgroup_get_max(): the limit plus the swap the cgroup may use,
    // at most all swap, when its swappiness is not 0.
    uint64_t totalpages = *limit / page_size_;
    if (swap_total_pages > 0) {
      uint64_t swap_pages = swap_total_pages;
      std::optional<uint64_t> swappiness;
      if (hierarchy.v2) {
        if (std::optional<uint64_t> swap_max = read_limit("memory.swap.max"))
          swap_pages = *swap_max / page_size_;
        absl::StatusOr<std::string> text =
            ReadFile(roots_.Proc("sys/vm/swappiness"));
        if (text.ok()) swappiness = ParseU64(TrimSpace(*text));
      } else {
        std::optional<uint64_t> memsw =
            read_limit("memory.memsw.limit_in_bytes");
        if (memsw)
          swap_pages = *memsw > *limit ? (*memsw - *limit) / page_size_ : 0;
        absl::StatusOr<std::string> text = ReadFile(dir + "/memory.swappiness");
        if (text.ok()) swappiness = ParseU64(TrimSpace(*text));
      }
      if (swappiness.value_or(1) != 0) {
        totalpages += std::min(swap_pages, swap_total_pages);
      }
    }
    std::vector<int32_t> pids;
    SubtreePids(dir, depth, &pids);
    std::optional<Details> victim;
    int64_t victim_points = 0;
    for (int32_t pid : pids) {
      if (pid <= 1) continue;  // 0: outside our pid namespace; 1: init
      Details details;
      if (!ReadDetails(reader, pid, false, &details) || !Killable(details)) {
        continue;
      }
      int64_t points =
          OomBadness(details.status.vm_rss_bytes.value_or(0) / page_size_,
                     details.status.vm_swap_bytes.value_or(0) / page_size_,
                     details.status.vm_pte_bytes.value_or(0), details.adj,
                     totalpages, page_size_);
      if (!victim || points > victim_points) {
        victim = std::move(details);
        victim_points = points;
      }
    }
    if (victim) {
      sink.Add(kNextVictim,
               static_cast<double>(victim_points * 1000 /
                                   static_cast<int64_t>(totalpages)),
               {{"cgroup", path},
                {"pid", absl::StrCat(victim->pid)},
                {"comm", CommLabel(victim->stat.comm)}});
    }
  }
  if (depth >= kMaxCgroupDepth) return;
  std::vector<std::string> children = ListSubdirectories(dir);
  std::sort(children.begin(), children.end());
  for (const std::string& child : children) {
    WalkCgroups(hierarchy, reader, dir + "/" + child,
                path == "/" ? "/" + child : path + "/" + child, depth + 1,
                swap_total_pages, sink);
  }
}

void ProcessCollector::SubtreePids(const std::string& dir, int depth,
                                   std::vector<int32_t>* pids) {
  if (absl::StatusOr<std::string> text = ReadFile(dir + "/cgroup.procs");
      text.ok()) {
    ForEachLine(*text, [&](std::string_view line) {
      std::optional<uint64_t> pid = ParseU64(TrimSpace(line));
      if (pid &&
          *pid <= static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
        pids->push_back(static_cast<int32_t>(*pid));
      }
    });
  }
  if (depth >= kMaxCgroupDepth) return;
  std::vector<std::string> children = ListSubdirectories(dir);
  for (const std::string& child : children) {
    SubtreePids(dir + "/" + child, depth + 1, pids);
  }
}

}  // namespace oom
