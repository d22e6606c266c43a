#include "collectors/kmsg/kmsg_collector.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collectors/base/fs.h"
#include "collectors/base/log.h"
#include "collectors/base/string_view.h"
#include "collectors/base/text.h"
#include "collectors/kernel/cgroupfs/cgroup_path.h"
#include "collectors/kernel/kmsg/log_line.h"
#include "collectors/kernel/procfs/vmstat.h"

namespace oom {
namespace {

using prometheus::MetricType;

constexpr MetricDesc kKills{
    "oom_kills_total",
    "OOM kills found in the kernel log since boot, by scope, the victim's "
    "memory cgroup and comm (/dev/kmsg); label sets beyond "
    "--collector.kmsg.max-series are folded into cgroup=\"(other)\", "
    "comm=\"(other)\"",
    MetricType::Counter};
constexpr MetricDesc kLoggedKills{
    "oom_logged_kills_total",
    "OOM kills found in the kernel log since boot, by scope; every scope "
    "starts at 0 (/dev/kmsg)",
    MetricType::Counter};
constexpr MetricDesc kUnlogged{
    "oom_kills_unlogged",
    "Kills the kernel counted since boot (/proc/vmstat oom_kill) that the "
    "kernel log does not show: oom_kill minus the kills in the log and minus "
    "the kill lines printed again for a process already killed "
    "(oom_kmsg_repeated_kills_total); can read 1 for a moment while a kill is "
    "being logged",
    MetricType::Gauge};
constexpr MetricDesc kInvocations{
    "oom_killer_invocations_total",
    "Times the OOM killer ran since boot, from its headers and from kills "
    "whose header the kernel rate-limited (/dev/kmsg)",
    MetricType::Counter};
constexpr MetricDesc kLastKill{
    "oom_kill_last_timestamp_seconds",
    "Unix time of the latest OOM kill in the kernel log (/dev/kmsg)",
    MetricType::Gauge};
constexpr MetricDesc kRecentKill{
    "oom_recent_kill_timestamp_seconds",
    "Unix time of each of the latest OOM kills, one series per kill, at most "
    "--collector.kmsg.recent-kills (/dev/kmsg)",
    MetricType::Gauge};
constexpr MetricDesc kRecentKillMemory{
    "oom_recent_kill_memory_bytes",
    "Resident memory (anon + file + shmem rss) of each of the latest OOM "
    "victims when it was killed, with the labels of "
    "oom_recent_kill_timestamp_seconds (/dev/kmsg)",
    MetricType::Gauge};
constexpr MetricDesc kKilledMemory{
    "oom_killed_process_memory_bytes",
    "Resident memory (anon + file + shmem rss) of each OOM victim when it "
    "was killed (/dev/kmsg)",
    MetricType::Histogram};
constexpr MetricDesc kRecords{
    "oom_kmsg_records_total",
    "Kernel log records the exporter read since boot (/dev/kmsg)",
    MetricType::Counter};
constexpr MetricDesc kLost{
    "oom_kmsg_lost_records_total",
    "Kernel log records overwritten in the ring before the exporter could "
    "read them, since boot (/dev/kmsg sequence gaps)",
    MetricType::Counter};
constexpr MetricDesc kRepeatedKills{
    "oom_kmsg_repeated_kills_total",
    "Kill lines the kernel printed again since boot for a process the same "
    "OOM had already killed (memory.oom.group kills its chosen victim "
    "twice), which /proc/vmstat oom_kill and memory.events oom_kill count as "
    "kills too (/dev/kmsg)",
    MetricType::Counter};
constexpr MetricDesc kUnrecognized{
    "oom_kmsg_unrecognized_records_total",
    "Kernel log records that look like OOM-killer output but could not be "
    "parsed, since boot (/dev/kmsg)",
    MetricType::Counter};

constexpr std::string_view kOther = "(other)";
constexpr int kQuietFlushMs = 1000;  // a summary waits this long for its kill
constexpr int kSaveEveryMs = 60000;  // state is saved at least this often

// The victim's memory cgroup in the form every cgroup series uses
// (NormalizeCgroupPath), so that kills join with cgroup series; "" when the
// log does not say (old kernels' global kills).
std::string CgroupOf(const OomKill& kill) {
  if (kill.task_memcg) return NormalizeCgroupPath(*kill.task_memcg);
  if (kill.scope == OomScope::kMemcg && kill.oom_memcg) {
    return NormalizeCgroupPath(*kill.oom_memcg);
  }
  return "";
}

std::string ScopeLabel(std::optional<OomScope> scope) {
  std::string_view name = ScopeName(scope);
  return name.empty() ? "unknown" : std::string(name);
}

double ClockSeconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The boot's id (/proc/sys/kernel/random/boot_id), or "" when unreadable.
std::string ReadBootId(const FsRoots& roots) {
  absl::StatusOr<std::string> text =
      ReadFile(roots.Proc("sys/kernel/random/boot_id"));
  if (!text.ok()) return "";
  return std::string(TrimSpace(*text));
}

// The kills the kernel counted since boot (/proc/vmstat oom_kill), or
// nullopt when it does not say.
std::optional<uint64_t> KernelKills(const FsRoots& roots) {
  absl::StatusOr<std::string> text = ReadFile(roots.Proc("vmstat"));
  if (!text.ok()) return std::nullopt;
  absl::StatusOr<Vmstat> vmstat = ParseVmstat(*text);
  if (!vmstat.ok()) return std::nullopt;
  return vmstat->Get("oom_kill");
}

// Adds oom_kills_total for every label set and oom_logged_kills_total for
// every scope (each of global, memcg, unknown, at 0 when none); returns the
// sum of the kills.
uint64_t AddKillSeries(
    const std::map<std::tuple<std::string, std::string, std::string>, uint64_t>&
        kills,
    MetricSink& sink) {
  std::map<std::string, uint64_t> by_scope = {
      {"global", 0}, {"memcg", 0}, {"unknown", 0}};
  uint64_t logged = 0;
  for (const auto& [labels, count] : kills) {
    sink.Add(kKills, static_cast<double>(count),
             {{"scope", std::get<0>(labels)},
              {"cgroup", std::get<1>(labels)},
              {"comm", std::get<2>(labels)}});
    by_scope[std::get<0>(labels)] += count;
    logged += count;
  }
  for (const auto& [scope, count] : by_scope) {
    sink.Add(kLoggedKills, static_cast<double>(count), {{"scope", scope}});
  }
  return logged;
}

// Adds oom_recent_kill_timestamp_seconds and oom_recent_kill_memory_bytes
// for the newest `max_kills` kills of `recent` (oldest first) that have a
// time: one series per label set, the newest kill's.
void AddRecentKillSeries(const std::deque<RecordedKill>& recent,
                         std::size_t max_kills, MetricSink& sink) {
  std::size_t skip = recent.size() > max_kills ? recent.size() - max_kills : 0;
  std::set<std::string> seen;  // one series per label set, latest wins
  for (auto it = recent.rbegin(); it != recent.rend() - static_cast<long>(skip);
       ++it) {
    if (!it->time) continue;
    const OomKill& kill = it->kill;
    Labels labels = {{"pid", absl::StrCat(kill.pid)},
                     {"comm", kill.comm.value_or("")},
                     {"cgroup", CgroupOf(kill)},
                     {"scope", ScopeLabel(kill.scope)},
                     {"constraint", kill.constraint.value_or("")}};
    std::string key;
    for (const auto& [name, value] : labels) absl::StrAppend(&key, value, "\n");
    if (!seen.insert(key).second) continue;
    if (std::optional<uint64_t> bytes = kill.RssBytes()) {
      sink.Add(kRecentKillMemory, static_cast<double>(*bytes), labels);
    }
    sink.Add(kRecentKill, *it->time, std::move(labels));
  }
}

// Adds oom_killed_process_memory_bytes for the scopes global and memcg,
// empty where `memory` has none.
void AddMemoryHistograms(const std::map<std::string, MemoryHistogram>& memory,
                         MetricSink& sink) {
  std::vector<double> bounds(kKilledMemoryBuckets.begin(),
                             kKilledMemoryBuckets.end());
  for (const char* scope : {"global", "memcg"}) {
    auto found = memory.find(scope);
    MemoryHistogram histogram =
        found == memory.end() ? MemoryHistogram() : found->second;
    sink.AddHistogram(kKilledMemory, bounds,
                      std::vector<uint64_t>(histogram.buckets.begin(),
                                            histogram.buckets.end()),
                      histogram.sum, histogram.count, {{"scope", scope}});
  }
}

}  // namespace

KmsgCollector::KmsgCollector(FsRoots roots, KmsgOptions options)
    : roots_(std::move(roots)),
      options_(std::move(options)),
      state_file_given_(options_.state_file) {}

void KmsgCollector::Start() {
  open_status_ = absl::OkStatus();
  const std::string boot_id = ReadBootId(roots_);
  if (!options_.state_file.empty() && !LockStateFile())
    options_.state_file.clear();
  KmsgCounters loaded = LoadState(boot_id);

  absl::StatusOr<std::unique_ptr<KmsgReader>> reader =
      KmsgReader::Open(options_.path);
  if (!reader.ok()) {
    open_status_ = reader.status();
    return;
  }
  reader_ = std::move(*reader);
  {
    std::lock_guard<std::mutex> lock(mu_);
    counters_ = std::move(loaded);
    std::vector<std::string> lines;
    while (reader_->Read(0, &lines) == KmsgReader::Result::kLines) {
      Process(&lines);
      lines.clear();
    }
    counters_.repeated_kills_counted = true;  // the replay is over
  }
  SaveState();
  thread_ = std::thread([this] { Run(); });
}

KmsgCounters KmsgCollector::LoadState(const std::string& boot_id) {
  KmsgCounters fresh;
  fresh.boot_id = boot_id;
  if (options_.state_file.empty()) return fresh;
  absl::StatusOr<std::string> text = ReadFile(options_.state_file);
  if (!text.ok()) {
    if (!absl::IsNotFound(text.status())) {
      Log(LogLevel::kWarn,
          "cannot read kmsg state file; counting again from the kernel ring",
          {{"file", options_.state_file},
           {"err", FromAbsl(text.status().message())}});
    }
    return fresh;
  }
  absl::StatusOr<KmsgCounters> state = ParseKmsgState(*text);
  if (!state.ok()) {
    Log(LogLevel::kWarn,
        "kmsg state file unusable; counting again from the kernel ring",
        {{"file", options_.state_file},
         {"err", FromAbsl(state.status().message())}});
    return fresh;
  }
  if (state->boot_id != boot_id) {
    Log(LogLevel::kInfo,
        "kmsg state file is from another boot; counters start at zero",
        {{"file", options_.state_file}});
    return fresh;
  }
  counted_through_ = state->last_sequence;
  return std::move(*state);
}

KmsgCollector::~KmsgCollector() {
  if (reader_ != nullptr) {
    reader_->Stop();
    if (thread_.joinable()) thread_.join();
    SaveState();
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void KmsgCollector::AfterUserSwitch(const std::string& user) {
  std::string problem =
      state_file_given_.empty() ? "" : ReplaceFileProblem(state_file_given_);
  if (problem.empty()) return;
  Log(LogLevel::kWarn,
      "the kmsg state file cannot be saved as the --run-as-user user; after "
      "a restart, kills since this start are counted again from the kernel "
      "ring",
      {{"user", user}, {"file", state_file_given_}, {"err", problem}});
}

bool KmsgCollector::LockStateFile() {
  std::size_t slash = options_.state_file.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    ::mkdir(options_.state_file.substr(0, slash).c_str(), 0755);
  }
  std::string lock_path = options_.state_file + ".lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    Log(LogLevel::kWarn,
        "kmsg state file unavailable; after a restart, kills are counted "
        "again from the kernel ring",
        {{"file", options_.state_file}, {"err", strerror(errno)}});
    return false;
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    Log(LogLevel::kError,
        "another oom_exporter uses this kmsg state file; running without it",
        {{"file", options_.state_file}});
    ::close(lock_fd_);
    lock_fd_ = -1;
    return false;
  }
  return true;
}

double KmsgCollector::WallTime(uint64_t timestamp_us) const {
  // printk stamps come from the monotonic clock (which stops in suspend).
  return ClockSeconds(CLOCK_REALTIME) - ClockSeconds(CLOCK_MONOTONIC) +
         static_cast<double>(timestamp_us) / 1e6;
}

void KmsgCollector::Run() {
  std::vector<std::string> lines;
  bool dirty = false;
  while (true) {
    bool pending;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending = assembler_.has_pending();
    }
    KmsgReader::Result result =
        reader_->Read(pending ? kQuietFlushMs : kSaveEveryMs, &lines);
    if (result == KmsgReader::Result::kStopped) break;
    bool counted = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (result == KmsgReader::Result::kLines) {
        counted = Process(&lines);
        dirty = true;
      } else {
        // Quiet: a summary whose kill line never came is a kill by itself.
        KillAssembler::Events events;
        assembler_.Flush(&events);
        for (OomKill& kill : events.kills) Count(std::move(kill));
        counted = !events.kills.empty();
      }
    }
    lines.clear();
    if (counted || (dirty && result == KmsgReader::Result::kTimeout)) {
      SaveState();
      dirty = false;
    }
  }
}

bool KmsgCollector::Process(std::vector<std::string>* lines) {
  LogLine line;
  KillAssembler::Events events;
  for (const std::string& raw : *lines) {
    ParseLogLine(raw, &line);
    if (!line.is_kernel && line.text.empty()) continue;  // dictionary line
    bool replay_only = false;
    if (line.kmsg && !TrackSequence(line.kmsg->sequence, &replay_only)) {
      continue;  // seen already
    }
    Assemble(line, replay_only, &events);
  }
  return CountNewKills(&events);
}

bool KmsgCollector::TrackSequence(uint64_t sequence, bool* replay_only) {
  if (last_sequence_seen_ && sequence <= *last_sequence_seen_) return false;
  counters_.lost +=
      LostRecordsBefore(sequence, last_sequence_seen_, counted_through_);
  last_sequence_seen_ = sequence;
  *replay_only = counted_through_ && sequence <= *counted_through_;
  if (!*replay_only) counters_.last_sequence = sequence;
  return true;
}

void KmsgCollector::Assemble(const LogLine& line, bool replay_only,
                             KillAssembler::Events* events) {
  uint64_t invocations = assembler_.invocations();
  uint64_t repeated_kills = assembler_.repeated_kills();
  uint64_t unrecognized = assembler_.unrecognized();
  uint64_t panics = assembler_.panics();
  assembler_.Add(line, events);
  uint64_t repeats = assembler_.repeated_kills() - repeated_kills;
  if (replay_only) {
    // A state file of an exporter that did not count repeated kill lines:
    // the ones it read are counted now, while the ring still holds them.
    if (!counters_.repeated_kills_counted) {
      counters_.repeated_kills += repeats;
    }
    return;
  }
  ++counters_.records;
  counters_.invocations += assembler_.invocations() - invocations;
  counters_.repeated_kills += repeats;
  counters_.unrecognized += assembler_.unrecognized() - unrecognized;
  counters_.panics += assembler_.panics() - panics;
}

bool KmsgCollector::CountNewKills(KillAssembler::Events* events) {
  bool counted = false;
  for (OomKill& kill : events->kills) {
    if (kill.kmsg_sequence && counted_through_ &&
        *kill.kmsg_sequence <= *counted_through_) {
      continue;  // an earlier run counted it
    }
    Count(std::move(kill));
    counted = true;
  }
  // Counters keep the labels they were counted with; the table and the API
  // get the late details (reaped, a summary printed after its kill line).
  events->ApplyLateDetails([this](int64_t pid) -> OomKill* {
    for (auto it = counters_.recent.rbegin(); it != counters_.recent.rend();
         ++it) {
      if (it->kill.pid == pid) return &it->kill;
    }
    return nullptr;
  });
  return counted;
}

void KmsgCollector::Count(OomKill kill) {
  std::string scope = ScopeLabel(kill.scope);
  std::tuple<std::string, std::string, std::string> labels{
      scope, CgroupOf(kill), kill.comm.value_or("")};
  if (counters_.kills.find(labels) == counters_.kills.end()) {
    std::size_t series = 0;
    for (const auto& [key, count] : counters_.kills)
      series += std::get<2>(key) != kOther;
    if (series >= options_.max_series) {
      labels = {scope, std::string(kOther), std::string(kOther)};
    }
  }
  ++counters_.kills[labels];
  if (std::optional<uint64_t> bytes = kill.RssBytes()) {
    counters_.memory[scope].Observe(static_cast<double>(*bytes));
  }
  RecordedKill recorded;
  if (kill.kmsg_timestamp_us) recorded.time = WallTime(*kill.kmsg_timestamp_us);
  if (recorded.time) counters_.last_kill_time = recorded.time;
  Log(LogLevel::kInfo, "OOM kill",
      {{"pid", absl::StrCat(kill.pid)},
       {"comm", kill.comm.value_or("")},
       {"scope", scope},
       {"cgroup", std::get<1>(labels)}});
  recorded.kill = std::move(kill);
  counters_.recent.push_back(std::move(recorded));
  std::size_t keep = std::max(options_.recent_kills, options_.api_kills);
  while (counters_.recent.size() > keep) counters_.recent.pop_front();
}

void KmsgCollector::SaveState() {
  if (options_.state_file.empty()) return;
  std::string content;
  {
    std::lock_guard<std::mutex> lock(mu_);
    content = SerializeKmsgState(counters_);
  }
  absl::Status status = WriteFileAtomically(options_.state_file, content);
  std::lock_guard<std::mutex> lock(mu_);
  std::string error(status.message());
  if (error != last_save_error_) {
    if (!status.ok()) {
      Log(LogLevel::kWarn,
          "cannot save kmsg state; after a restart, kills are counted again "
          "from the kernel ring",
          {{"file", options_.state_file}, {"err", error}});
    } else {
      Log(LogLevel::kInfo, "kmsg state saved again",
          {{"file", options_.state_file}});
    }
    last_save_error_ = error;
  }
}

absl::Status KmsgCollector::Collect(MetricSink& sink) {
  if (!open_status_.ok()) return open_status_;
  // vmstat first: the kernel counts a kill just before it logs it, so this
  // order can only under-, never over-state the unlogged kills. vmstat counts
  // every kill line, a repeated one too (a memory.oom.group victim is killed
  // twice), so the repeats are not unlogged kills.
  std::optional<uint64_t> kernel_kills = KernelKills(roots_);
  std::lock_guard<std::mutex> lock(mu_);
  const KmsgCounters& c = counters_;
  uint64_t logged = AddKillSeries(c.kills, sink);
  if (kernel_kills) {
    uint64_t explained = logged + c.repeated_kills;
    sink.Add(kUnlogged, *kernel_kills > explained
                            ? static_cast<double>(*kernel_kills - explained)
                            : 0);
  }
  sink.Add(kInvocations, static_cast<double>(c.invocations));
  if (c.last_kill_time) sink.Add(kLastKill, *c.last_kill_time);
  AddRecentKillSeries(c.recent, options_.recent_kills, sink);
  AddMemoryHistograms(c.memory, sink);
  sink.Add(kRecords, static_cast<double>(c.records));
  sink.Add(kLost, static_cast<double>(c.lost));
  sink.Add(kRepeatedKills, static_cast<double>(c.repeated_kills));
  sink.Add(kUnrecognized, static_cast<double>(c.unrecognized));
  return absl::OkStatus();
}

std::string KmsgCollector::KillsJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out = "{\"boot_id\":";
  AppendJsonString(&out, counters_.boot_id);
  out.append(",\"kills\":[");
  std::size_t skip = counters_.recent.size() > options_.api_kills
                         ? counters_.recent.size() - options_.api_kills
                         : 0;
  bool first = true;
  for (std::size_t i = skip; i < counters_.recent.size(); ++i) {
    const RecordedKill& recorded = counters_.recent[i];
    std::string kill = KillToJson(recorded.kill);
    kill.pop_back();  // '}'
    absl::StrAppend(&kill, ",\"cgroup\":");
    AppendJsonString(&kill, CgroupOf(recorded.kill));
    absl::StrAppend(
        &kill, ",\"time\":",
        recorded.time ? absl::StrFormat("%.6f", *recorded.time) : "null",
        ",\"sequence\":",
        recorded.kill.kmsg_sequence ? absl::StrCat(*recorded.kill.kmsg_sequence)
                                    : "null",
        "}");
    absl::StrAppend(&out, first ? "" : ",", kill);
    first = false;
  }
  out.append("]}\n");
  return out;
}

std::vector<HttpRoute> KmsgCollector::Routes() {
  return {
      {"/api/v1/kills", "application/json", [this] { return KillsJson(); }}};
}

}  // namespace oom
