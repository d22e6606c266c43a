#ifndef OOM_EXPORTER_COLLECTORS_PROCESS_TOP_K_H_
#define OOM_EXPORTER_COLLECTORS_PROCESS_TOP_K_H_

// Which processes the process collector exports by rank: the top K by
// oom_score and, so that the exported set does not flap, every process
// exported before while its rank (1 + the number of processes with a higher
// oom_score) is at most 2K; at most 2K in all.
//
// Ranking: by oom_score, the kernel's own order; ties by "tracked before",
// then lower pid. A tracked process is the same process (same pid and start
// time) as the one exported before: a reused pid is a newcomer. Knows
// nothing of procfs: the caller scans, and reads a process in full when
// asked (TopK::Read), so the rule can be tested without a /proc tree.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace oom {

// One process of the scan: its pid and oom_score (clamped to int32).
struct ScannedProcess {
  int32_t pid;
  int32_t score;
};

// What a full read of a process says.
struct ProcessProbe {
  int64_t score = 0;       // oom_score, read again with the details
  uint64_t starttime = 0;  // /proc/<pid>/stat field 22
  bool killable = false;   // the kernel could choose it
};

class TopK {
 public:
  // Reads the process `pid` in full; nullopt when it cannot (it vanished, a
  // file is unreadable or garbled).
  using Read = std::function<std::optional<ProcessProbe>(int32_t pid)>;

  // Candidates read per selection beyond 4K, to step over processes that
  // cannot be chosen (unkillable, exited meanwhile).
  static constexpr std::size_t kExtraCandidates = 16;

  // `k` is raised to 1 when 0.
  explicit TopK(std::size_t k);

  // Whether `pid` was chosen by the latest Select.
  bool tracked(int32_t pid) const { return tracked_.contains(pid); }

  // Chooses this scrape's processes among `scan` (every process that could
  // be scored, in ascending pid order) and makes them the tracked ones.
  // First the top K: the best 4K + kExtraCandidates of the scan, best first,
  // are read until K are killable (init with oom_score 0 never is: the
  // kernel does not kill it). Then, by pid, each tracked process not chosen
  // yet whose scanned score still reaches rank 2K is read and stays when it
  // is the same process and killable. When that makes more than 2K, the
  // kept ones with the lowest oom_score (then the highest pids) go. Returns
  // the chosen pids: the top K best first, then the kept ones. `read` is
  // called once per process in that order (a tracked process rejected as a
  // top-K candidate is read again as a kept one).
  std::vector<int32_t> Select(const std::vector<ScannedProcess>& scan,
                              const Read& read);

 private:
  struct Candidate {
    int32_t pid;
    int32_t score;
    bool tracked;
  };
  struct Chosen {
    int32_t pid;
    int64_t score;
  };

  // The lowest scanned score that still ranks within 2K; leaves order_ with
  // its first `examine` candidates sorted best first.
  int32_t RankCandidates(const std::vector<ScannedProcess>& scan,
                         std::size_t examine);
  // Reads the best candidates until K are chosen.
  void ChooseTop(std::size_t examine, const Read& read);
  // Keeps the tracked processes still within rank 2K.
  void KeepTracked(const std::vector<ScannedProcess>& scan,
                   int32_t keep_threshold, const Read& read);
  // Drops kept processes beyond 2K, the lowest scores first.
  void TrimKept(std::size_t fresh);

  const std::size_t k_;
  // Tracked processes: pid -> start time.
  absl::flat_hash_map<int32_t, uint64_t> tracked_;
  // Per Select, reused: no allocation per process.
  std::vector<Candidate> order_;
  std::vector<Chosen> chosen_;
  absl::flat_hash_map<int32_t, uint64_t> next_;
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_PROCESS_TOP_K_H_
