#include "collectors/process/process_collector.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collectors/base/fs.h"
#include "collectors/base/log.h"
#include "collectors/base/status_macros.h"
#include "collectors/base/text.h"
#include "collectors/kernel/cgroupfs/cgroup_files.h"
#include "collectors/kernel/cgroupfs/cgroup_memory.h"
#include "collectors/kernel/cgroupfs/cgroup_path.h"
#include "collectors/kernel/cgroupfs/memory_stat.h"
#include "collectors/kernel/procfs/meminfo.h"
#include "collectors/kernel/procfs/mountinfo.h"
#include "collectors/oom/badness.h"
#include "collectors/scrape/scrape_context.h"

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
    "For each memory cgroup whose unreclaimable memory is above 80 % of its "
    "limit, the process the kernel would kill if the limit were hit, with "
    "its badness * 1000 / the cgroup's limit in pages (+ allowed swap), as "
    "the kernel scores it (memory.limit_in_bytes or memory.max, memory.stat, "
    "cgroup.procs, /proc/<pid>/status)",
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
      page_size_(static_cast<uint64_t>(::sysconf(_SC_PAGESIZE))),
      top_k_(options_.top_k) {}

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
  ScrapeContext scrape;
  return CollectInScrape(sink, scrape);
}

absl::Status ProcessCollector::CollectInScrape(MetricSink& sink,
                                               ScrapeContext& scrape) {
  std::vector<std::string> errors;
  std::optional<NodePages> pages = PagesOf(scrape.MeminfoOf(roots_));
  if (!pages) {
    errors.push_back(absl::StrCat(roots_.Proc("meminfo"), ": no MemTotal"));
  }
  AddHidepid(sink);

  OOM_ASSIGN_OR_RETURN(ProcReader reader, ProcReader::Open(roots_.procfs));
  if (absl::Status listed = reader.ListPids(&pids_); !listed.ok()) {
    return absl::Status(listed.code(),
                        absl::StrCat(roots_.procfs, ": ", listed.message()));
  }
  ScanCounts counts = Scan(reader);
  sink.Add(kProcesses, static_cast<double>(counts.processes));
  sink.Add(kProtected, static_cast<double>(counts.protected_processes));
  if (counts.score_max >= 0) {
    sink.Add(kScoreMax, static_cast<double>(counts.score_max));
  }

  NodePages node = pages.value_or(NodePages());
  for (const Details& details : Choose(reader)) {
    Export(details, node.total, sink);
  }
  if (const absl::StatusOr<MemoryHierarchy>& hierarchy =
          scrape.HierarchyOf(roots_);
      hierarchy.ok()) {
    CollectNextVictims(*hierarchy, reader, node.swap, sink);
  }

  for (int reason = 0; reason < kReasons; ++reason) {
    sink.Add(kSkipped, static_cast<double>(skipped_[reason]),
             {{"reason", kReasonNames[reason]}});
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrJoin(errors, "; "));
}

std::optional<ProcessCollector::NodePages> ProcessCollector::PagesOf(
    const absl::StatusOr<Meminfo>& meminfo) const {
  if (!meminfo.ok() || !meminfo->Get("MemTotal")) return std::nullopt;
  NodePages pages;
  pages.swap = meminfo->Get("SwapTotal").value_or(0) / page_size_;
  pages.total = *meminfo->Get("MemTotal") / page_size_ + pages.swap;
  return pages;
}

void ProcessCollector::AddHidepid(MetricSink& sink) const {
  std::optional<Mountinfo> mounts;
  if (absl::StatusOr<std::string> text =
          ReadFile(roots_.Proc("self/mountinfo"));
      text.ok()) {
    if (absl::StatusOr<Mountinfo> parsed = ParseMountinfo(*text); parsed.ok()) {
      mounts = *std::move(parsed);
    }
  }
  sink.Add(kHidepid, mounts ? HidepidOf(*mounts, roots_.procfs) : 0);
}

ProcessCollector::ScanCounts ProcessCollector::Scan(ProcReader& reader) {
  scan_.clear();
  included_.clear();
  ScanCounts counts;
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
    ++counts.processes;
    counts.score_max = std::max(counts.score_max, *score);
    if (*score == 0) {
      // Unkillable (or, before 5.9, small): is it protected by -1000?
      n = reader.ReadSmall(pid, "oom_score_adj", buf, sizeof(buf));
      if (n > 0) {
        absl::StatusOr<int64_t> adj = ParseOomScoreAdj(
            std::string_view(buf, static_cast<std::size_t>(n)));
        if (adj.ok() && *adj == kOomScoreAdjMin) ++counts.protected_processes;
      }
    }
    if (!options_.include.empty() && Included(reader, pid)) {
      included_.push_back(pid);
    }
    int32_t clamped = static_cast<int32_t>(
        std::min<int64_t>(*score, std::numeric_limits<int32_t>::max()));
    scan_.push_back({pid, clamped});
  }
  return counts;
}

bool ProcessCollector::Included(ProcReader& reader, int32_t pid) {
  char buf[64];
  ssize_t n = reader.ReadSmall(pid, "comm", buf, sizeof(buf) - 1);
  if (n <= 0) return false;
  if (buf[n - 1] == '\n') --n;
  buf[n] = '\0';
  for (const std::string& pattern : options_.include) {
    if (fnmatch(pattern.c_str(), buf, 0) == 0) return true;
  }
  return false;
}

std::vector<ProcessCollector::Details> ProcessCollector::Choose(
    ProcReader& reader) {
  read_.clear();
  std::vector<int32_t> chosen =
      top_k_.Select(scan_, [&](int32_t pid) -> std::optional<ProcessProbe> {
        Details details;
        if (!ReadDetails(reader, pid, true, &details)) return std::nullopt;
        ProcessProbe probe{details.score, details.stat.starttime,
                           Killable(details)};
        read_[pid] = std::move(details);
        return probe;
      });
  std::vector<Details> exported;
  exported.reserve(chosen.size());
  for (int32_t pid : chosen) exported.push_back(std::move(read_[pid]));
  // Processes named by --collector.process.include, whatever their rank.
  for (int32_t pid : included_) {
    if (top_k_.tracked(pid)) continue;
    Details details;
    if (!ReadDetails(reader, pid, true, &details)) continue;
    if (details.stat.exited() || details.stat.kernel_thread()) continue;
    exported.push_back(std::move(details));
  }
  return exported;
}

void ProcessCollector::CollectNextVictims(const MemoryHierarchy& hierarchy,
                                          ProcReader& reader,
                                          uint64_t swap_total_pages,
                                          MetricSink& sink) {
  VictimWalk walk{&hierarchy, &reader, swap_total_pages, std::nullopt};
  WalkCgroups(walk, hierarchy.dir, NormalizeCgroupPath(hierarchy.root), 0,
              sink);
}

void ProcessCollector::WalkCgroups(VictimWalk& walk, const std::string& dir,
                                   const std::string& path, int depth,
                                   MetricSink& sink) {
  absl::StatusOr<CgroupDir> cgroup = CgroupDir::Open(dir);
  if (!cgroup.ok()) return;
  if (std::optional<uint64_t> totalpages = HotCgroupPages(walk, *cgroup)) {
    std::vector<int32_t> pids;
    SubtreePids(dir, depth, &pids);
    if (std::optional<std::pair<Details, int64_t>> victim =
            WorstOf(*walk.reader, pids, *totalpages)) {
      const auto& [details, points] = *victim;
      sink.Add(kNextVictim,
               static_cast<double>(points * 1000 /
                                   static_cast<int64_t>(*totalpages)),
               {{"cgroup", path},
                {"pid", absl::StrCat(details.pid)},
                {"comm", CommLabel(details.stat.comm)}});
    }
  }
  if (depth >= kMaxCgroupDepth) return;
  absl::StatusOr<std::vector<std::string>> children = cgroup->Children();
  if (!children.ok()) return;
  std::sort(children->begin(), children->end());
  for (const std::string& child : *children) {
    WalkCgroups(walk, dir + "/" + child,
                path == "/" ? "/" + child : path + "/" + child, depth + 1,
                sink);
  }
}

std::optional<uint64_t> ProcessCollector::HotCgroupPages(VictimWalk& walk,
                                                         CgroupDir& cgroup) {
  CgroupMemoryReader memory(cgroup, walk.hierarchy->v2);
  std::optional<uint64_t> limit = memory.Limit();
  if (!limit) return std::nullopt;
  // Hot: what the kernel cannot reclaim is above 80 % of the limit. Usage
  // bounds it from above, so memory.stat is read only when usage is above
  // too; without memory.stat usage decides.
  auto above = [&](uint64_t bytes) {
    return static_cast<double>(bytes) > 0.8 * static_cast<double>(*limit);
  };
  std::optional<uint64_t> usage = memory.Usage();
  if (!usage || *limit < page_size_ || !above(*usage)) return std::nullopt;
  if (std::optional<MemoryStat> stat = memory.Stat()) {
    if (!above(UnreclaimableBytes(*usage, *stat))) return std::nullopt;
  }
  // mem_cgroup_get_max(): the limit plus the swap the cgroup may use, at
  // most all swap, when its swappiness is not 0.
  uint64_t totalpages = *limit / page_size_;
  if (walk.swap_total_pages == 0) return totalpages;
  uint64_t swap_pages = walk.swap_total_pages;
  if (std::optional<uint64_t> swap_limit = memory.SwapLimit(*limit)) {
    swap_pages = *swap_limit / page_size_;
  }
  std::optional<uint64_t> swappiness = memory.Swappiness();
  if (walk.hierarchy->v2) {
    // v2 has no swappiness per cgroup: the node's applies.
    if (!walk.node_swappiness) {
      absl::StatusOr<std::string> text =
          ReadFile(roots_.Proc("sys/vm/swappiness"));
      walk.node_swappiness.emplace(text.ok() ? ParseU64(TrimSpace(*text))
                                             : std::nullopt);
    }
    swappiness = *walk.node_swappiness;
  }
  if (swappiness.value_or(1) != 0) {
    totalpages += std::min(swap_pages, walk.swap_total_pages);
  }
  return totalpages;
}

std::optional<std::pair<ProcessCollector::Details, int64_t>>
ProcessCollector::WorstOf(ProcReader& reader, const std::vector<int32_t>& pids,
                          uint64_t totalpages) {
  std::optional<std::pair<Details, int64_t>> worst;
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
    if (!worst || points > worst->second) {
      worst.emplace(std::move(details), points);
    }
  }
  return worst;
}

void ProcessCollector::SubtreePids(const std::string& dir, int depth,
                                   std::vector<int32_t>* pids) {
  absl::StatusOr<CgroupDir> cgroup = CgroupDir::Open(dir);
  if (!cgroup.ok()) return;
  if (absl::StatusOr<std::optional<std::string_view>> text =
          cgroup->Read("cgroup.procs");
      text.ok() && text->has_value()) {
    ParseCgroupProcs(**text, pids);
  }
  if (depth >= kMaxCgroupDepth) return;
  absl::StatusOr<std::vector<std::string>> children = cgroup->Children();
  if (!children.ok()) return;
  for (const std::string& child : *children) {
    SubtreePids(dir + "/" + child, depth + 1, pids);
  }
}

}  // namespace oom
