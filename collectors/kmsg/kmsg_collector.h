#ifndef OOM_EXPORTER_COLLECTORS_KMSG_KMSG_COLLECTOR_H_
#define OOM_EXPORTER_COLLECTORS_KMSG_KMSG_COLLECTOR_H_

// The `kmsg` collector: every OOM kill in the kernel log, counted once.
//   oom_kills_total{scope,cgroup,comm}        kills by victim (capped)
//   oom_logged_kills_total{scope}             the same by scope, from 0
//   oom_kills_unlogged                        vmstat oom_kill minus logged
//                                             kills and repeated kill lines
//   oom_killer_invocations_total
//   oom_kill_last_timestamp_seconds
//   oom_recent_kill_timestamp_seconds{pid,comm,cgroup,scope,constraint}
//   oom_killed_process_memory_bytes{scope}    histogram of victims' rss
//   oom_kmsg_{records,lost_records,unrecognized_records}_total
//   oom_kmsg_repeated_kills_total             kill lines of a process the
//                                             same OOM had killed already
//                                             (memory.oom.group's victim)
// and GET /api/v1/kills. A background thread follows /dev/kmsg; on start it
// replays the ring and skips what the state file says was counted.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "collectors/base/fs.h"
#include "collectors/kernel/kmsg/kmsg_reader.h"
#include "collectors/kmsg/kmsg_options.h"
#include "collectors/kmsg/kmsg_state.h"
#include "collectors/oom/oom_kills.h"
#include "collectors/scrape/collector.h"

namespace oom {

class KmsgCollector : public Collector {
 public:
  // Touches nothing until Start.
  KmsgCollector(FsRoots roots, KmsgOptions options);
  // Stops the thread and saves the state.
  ~KmsgCollector() override;

  // Locks and loads the state file, opens the log, replays the ring (before
  // returning, so the first scrape is complete) and starts following the
  // log. Collect fails, saying why, when the log cannot be opened, and
  // before Start.
  void Start() override;
  // Warns when `user` cannot save the state file.
  void AfterUserSwitch(const std::string& user) override;
  absl::Status Collect(MetricSink& sink) override;
  std::vector<HttpRoute> Routes() override;

  // The body of /api/v1/kills.
  std::string KillsJson() const;

 private:
  void Run();
  // The state file's counters when they are of this boot (and then sets
  // counted_through_), else zero counters of `boot_id`; logs why a file
  // that exists is not used.
  KmsgCounters LoadState(const std::string& boot_id);
  // Feeds lines from the log; returns true when a kill was counted.
  bool Process(std::vector<std::string>* lines)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes the sequence number of the next record: false when it was seen
  // already (skip it); else counts the records lost before it, and sets
  // `replay_only` when an earlier run counted it (the state file's
  // last_sequence).
  bool TrackSequence(uint64_t sequence, bool* replay_only)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Feeds one line to the assembler and adds what it counted (invocations,
  // repeats, unrecognized lines, panics) to the counters, unless the line is
  // `replay_only`.
  void Assemble(const LogLine& line, bool replay_only,
                KillAssembler::Events* events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts the kills of `events` that no earlier run counted and applies
  // its late details to the recent kills; returns true when one was counted.
  bool CountNewKills(KillAssembler::Events* events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Count(OomKill kill) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SaveState();
  double WallTime(uint64_t timestamp_us) const;

  // Takes the lock beside the state file, so that two exporters never share
  // one; returns false (and logs why) when another process holds it.
  bool LockStateFile();

  const FsRoots roots_;
  KmsgOptions options_;  // state_file is cleared when it cannot be used
  const std::string state_file_given_;  // as the options gave it
  int lock_fd_ = -1;
  // Why the log cannot be read, if it cannot.
  absl::Status open_status_ =
      absl::FailedPreconditionError("the kmsg collector was not started");
  std::unique_ptr<KmsgReader> reader_;
  std::thread thread_;
  // Records up to this sequence were counted by an earlier run (same boot).
  std::optional<uint64_t> counted_through_;

  // std::mutex rather than absl::Mutex: Debian builds abseil without
  // ThreadSanitizer annotations, so TSan could not see absl::Mutex.
  mutable std::mutex mu_;
  KmsgCounters counters_ ABSL_GUARDED_BY(mu_);
  KillAssembler assembler_ ABSL_GUARDED_BY(mu_);
  std::optional<uint64_t> last_sequence_seen_ ABSL_GUARDED_BY(mu_);
  std::string last_save_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KMSG_KMSG_COLLECTOR_H_
