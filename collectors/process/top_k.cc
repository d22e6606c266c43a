#include "collectors/process/top_k.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace oom {

TopK::TopK(std::size_t k) : k_(std::max<std::size_t>(k, 1)) {}

std::vector<int32_t> TopK::Select(const std::vector<ScannedProcess>& scan,
                                  const Read& read) {
  std::size_t examine = std::min(scan.size(), 4 * k_ + kExtraCandidates);
  int32_t keep_threshold = RankCandidates(scan, examine);
  chosen_.clear();
  next_.clear();
  ChooseTop(examine, read);
  std::size_t fresh = chosen_.size();
  KeepTracked(scan, keep_threshold, read);
  TrimKept(fresh);
  std::swap(tracked_, next_);
  std::vector<int32_t> pids;
  pids.reserve(chosen_.size());
  for (const Chosen& chosen : chosen_) pids.push_back(chosen.pid);
  return pids;
}

int32_t TopK::RankCandidates(const std::vector<ScannedProcess>& scan,
                             std::size_t examine) {
  order_.clear();
  for (const ScannedProcess& process : scan) {
    order_.push_back({process.pid, process.score, tracked(process.pid)});
  }
  auto before = [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.tracked != b.tracked) return a.tracked;
    return a.pid < b.pid;
  };
  std::partial_sort(order_.begin(),
                    order_.begin() + static_cast<std::ptrdiff_t>(examine),
                    order_.end(), before);
  // Rank <= 2K exactly when the score is at least the 2K-th highest.
  return order_.size() > 2 * k_ ? order_[2 * k_ - 1].score
                                : std::numeric_limits<int32_t>::min();
}

void TopK::ChooseTop(std::size_t examine, const Read& read) {
  for (std::size_t i = 0; i < examine && next_.size() < k_; ++i) {
    int32_t pid = order_[i].pid;
    std::optional<ProcessProbe> probe = read(pid);
    if (!probe || !probe->killable || (pid == 1 && probe->score == 0)) {
      continue;
    }
    next_[pid] = probe->starttime;
    chosen_.push_back({pid, probe->score});
  }
}

void TopK::KeepTracked(const std::vector<ScannedProcess>& scan,
                       int32_t keep_threshold, const Read& read) {
  std::vector<std::pair<int32_t, uint64_t>> previous(tracked_.begin(),
                                                     tracked_.end());
  std::sort(previous.begin(), previous.end());
  for (const auto& [pid, starttime] : previous) {
    if (next_.contains(pid)) continue;
    auto it = std::lower_bound(scan.begin(), scan.end(), pid,
                               [](const ScannedProcess& entry, int32_t value) {
                                 return entry.pid < value;
                               });
    if (it == scan.end() || it->pid != pid || it->score < keep_threshold) {
      continue;
    }
    std::optional<ProcessProbe> probe = read(pid);
    if (!probe || probe->starttime != starttime || !probe->killable) continue;
    next_[pid] = starttime;
    chosen_.push_back({pid, probe->score});
  }
}

void TopK::TrimKept(std::size_t fresh) {
  if (chosen_.size() <= 2 * k_) return;
  std::sort(chosen_.begin() + static_cast<std::ptrdiff_t>(fresh), chosen_.end(),
            [](const Chosen& a, const Chosen& b) {
              if (a.score != b.score) return a.score > b.score;
              return a.pid < b.pid;
            });
  while (chosen_.size() > 2 * k_) {
    next_.erase(chosen_.back().pid);
    chosen_.pop_back();
  }
}

}  // namespace oom
