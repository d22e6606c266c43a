#include "collectors/cgroup/cgroup_ledger.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace oom {
namespace {

// Adds `count` to `sum`, where -1 means "the kernel has no such count".
void AddCount(int64_t& sum, int64_t count) {
  if (count < 0) return;
  sum = std::max<int64_t>(sum, 0) + count;
}

// "/a/b" -> "/a", "/a" -> "/", "/" -> "".
std::string ParentPath(const std::string& path) {
  if (path == "/" || path.empty()) return "";
  std::size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool IsSameOrBelow(const std::string& path, const std::string& top) {
  if (top == "/") return true;
  return path.compare(0, top.size(), top) == 0 &&
         (path.size() == top.size() || path[top.size()] == '/');
}

}  // namespace

CgroupLedger::CgroupLedger(bool sum_descendants, Clock::duration retention)
    : sum_descendants_(sum_descendants), retention_(retention) {}

void CgroupLedger::Record(const std::string& path, uint64_t inode,
                          const CgroupEvents& events, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, added] = entries_.try_emplace(path);
  Entry& entry = it->second;
  if (!added && entry.inode != inode) {
    // A new cgroup under an old name: the old one's counts are history.
    Retire(path, entry);
    entry = Entry();
    added = true;
  }
  if (added) entry.inode = inode;
  for (std::size_t i = 0; i < kCgroupEvents; ++i) {
    entry.total[i] = std::max(entry.total[i], events.total[i]);
    entry.local[i] = std::max(entry.local[i], events.local[i]);
  }
  entry.seen = std::max(entry.seen, now);
  // Read after it was marked removed: the mark was wrong (a walk that
  // missed it), since the same directory cannot come back.
  if (entry.removed && now > *entry.removed) entry.removed.reset();
}

void CgroupLedger::MarkRemoved(const std::string& path, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = entries_.lower_bound(path);
       it != entries_.end() && IsSameOrBelow(it->first, path); ++it) {
    if (!it->second.removed) it->second.removed = now;
  }
}

std::size_t CgroupLedger::MarkUnseenRemoved(Clock::time_point since,
                                            Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t marked = 0;
  for (auto& [path, entry] : entries_) {
    if (!entry.removed && entry.seen < since) {
      entry.removed = now;
      ++marked;
    }
  }
  return marked;
}

void CgroupLedger::Expire(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Descendants first, so that what they leave to an ancestor that expires
  // too moves on with it.
  for (auto it = entries_.end(); it != entries_.begin();) {
    --it;
    const Entry& entry = it->second;
    if (!entry.removed || now - *entry.removed < retention_) continue;
    Retire(it->first, entry);
    it = entries_.erase(it);
  }
}

std::vector<CgroupLedger::Row> CgroupLedger::Rows() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Row> rows;
  rows.reserve(entries_.size());
  std::unordered_map<std::string, std::size_t> index;
  for (const auto& [path, entry] : entries_) {
    index.emplace(path, rows.size());
    rows.push_back(
        Row{path, entry.total, entry.local, entry.removed.has_value()});
  }
  if (!sum_descendants_) return rows;
  // v1: total = own + departed + the totals of the nearest held
  // descendants. Sorted paths put every descendant after its ancestors, so
  // walking backwards finishes a cgroup's total before its parent needs it.
  std::vector<CgroupEventCounts> below(rows.size(), kNoCgroupEvents);
  std::size_t i = rows.size();
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    --i;
    Row& row = rows[i];
    CgroupEventCounts total = kNoCgroupEvents;
    for (std::size_t e = 0; e < kCgroupEvents; ++e) {
      AddCount(total[e], it->second.local[e]);
      AddCount(total[e], it->second.departed[e]);
      AddCount(total[e], below[i][e]);
    }
    row.total = total;
    for (std::string up = ParentPath(row.path); !up.empty();
         up = ParentPath(up)) {
      auto parent = index.find(up);
      if (parent == index.end()) continue;
      for (std::size_t e = 0; e < kCgroupEvents; ++e) {
        AddCount(below[parent->second][e], total[e]);
      }
      break;
    }
  }
  return rows;
}

std::size_t CgroupLedger::retained() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::count_if(entries_.begin(), entries_.end(), [](const auto& kv) {
    return kv.second.removed.has_value();
  });
}

CgroupLedger::Map::iterator CgroupLedger::Ancestor(const std::string& path) {
  for (std::string up = ParentPath(path); !up.empty(); up = ParentPath(up)) {
    auto it = entries_.find(up);
    if (it != entries_.end()) return it;
  }
  return entries_.end();
}

void CgroupLedger::Retire(const std::string& path, const Entry& entry) {
  if (!sum_descendants_) return;
  auto ancestor = Ancestor(path);
  if (ancestor == entries_.end()) return;
  for (std::size_t e = 0; e < kCgroupEvents; ++e) {
    AddCount(ancestor->second.departed[e], entry.local[e]);
    AddCount(ancestor->second.departed[e], entry.departed[e]);
  }
}

}  // namespace oom
