#include "collectors/cgroup/cgroup_recheck.h"

#include <algorithm>
#include <utility>

namespace oom {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

// After an OOM signal: every 250 us for 20 ms (the kernel counts the kill
// a fraction of a millisecond after it signals, and the cgroup can go a
// millisecond after that), then after 1, 2, 4, ... up to 100 ms, for 5 s.
constexpr microseconds kDenseRecheck{250};
constexpr milliseconds kDenseFor{20};
constexpr milliseconds kFirstSparseRecheck{1};
constexpr milliseconds kLongestRecheck{100};
constexpr std::chrono::seconds kRecheckFor{5};
// A v1 cgroup whose eventfd was registered after it was created: an OOM
// signalled between the two is not signalled again, so it is read a few
// more times for a second (cheap: cgroups are not created every second).
constexpr std::chrono::seconds kSettleFor{1};
// v2: a cgroup is read this often after a signal, for the window.
constexpr milliseconds kV2WindowRecheck{1};

}  // namespace

Recheck Recheck::Signalled(std::string dir, int64_t baseline,
                           Clock::time_point now) {
  return Recheck{std::move(dir),  baseline,          now + kDenseRecheck,
                 now + kDenseFor, now + kRecheckFor, kDenseRecheck};
}

Recheck Recheck::Settling(std::string dir, int64_t baseline,
                          Clock::time_point now) {
  return Recheck{
      std::move(dir),   baseline,           now + kFirstSparseRecheck, now,
      now + kSettleFor, kFirstSparseRecheck};
}

Recheck Recheck::Window(std::string dir, int64_t kills, Clock::time_point now,
                        Clock::duration window) {
  Clock::time_point until = now + window;
  return Recheck{std::move(dir), kills, now + kV2WindowRecheck,
                 until,          until, kV2WindowRecheck,
                 /*window=*/true};
}

void Recheck::Extend(Clock::time_point now, Clock::duration window) {
  Clock::time_point until = now + window;
  dense_until = std::max(dense_until, until);
  deadline = std::max(deadline, until);
  next = std::min(next, now + kV2WindowRecheck);
}

bool Recheck::Advance(std::optional<int64_t> kills, Clock::time_point now) {
  // Gone, counted, or no kill in time: the OOM ended without one. A reading
  // that failed (-1) is tried again, and the first good one after a failed
  // baseline becomes the baseline.
  if (kills && *kills >= 0 && baseline < 0) baseline = *kills;
  bool moved = kills && *kills >= 0 && *kills != baseline;
  if (moved && window) {
    baseline = *kills;
    moved = false;
  }
  if (!kills || moved || now >= deadline) return false;
  if (now >= dense_until) {
    interval = std::clamp<Clock::duration>(interval * 2, kFirstSparseRecheck,
                                           kLongestRecheck);
  }
  next = now + interval;
  return true;
}

}  // namespace oom
