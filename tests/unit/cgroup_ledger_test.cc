#include "collectors/cgroup/cgroup_ledger.h"

#include <chrono>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace oom {
namespace {

using Clock = CgroupLedger::Clock;
using std::chrono::seconds;

// v1 readings: own oom_kill and max (failcnt) counts.
CgroupEvents V1(int64_t kills, int64_t max = 0) {
  CgroupEvents events;
  events.local[kCgroupEventOomKill] = kills;
  events.local[kCgroupEventMax] = max;
  return events;
}

CgroupEvents V2(int64_t total_kills, int64_t local_kills) {
  CgroupEvents events;
  events.total = {0, 0, 0, 0, total_kills, 0};
  events.local = {0, 0, 0, 0, local_kills, 0};
  return events;
}

const CgroupLedger::Row* Find(const std::vector<CgroupLedger::Row>& rows,
                              const std::string& path) {
  for (const CgroupLedger::Row& row : rows) {
    if (row.path == path) return &row;
  }
  return nullptr;
}

int64_t Total(const CgroupLedger& ledger, const std::string& path,
              std::size_t event = kCgroupEventOomKill) {
  std::vector<CgroupLedger::Row> rows = ledger.Rows();
  const CgroupLedger::Row* row = Find(rows, path);
  return row == nullptr ? -2 : row->total[event];
}

TEST(CgroupLedgerTest, V1TotalsSumTheDescendants) {
  CgroupLedger ledger(/*sum_descendants=*/true, seconds(3600));
  Clock::time_point t = Clock::now();
  ledger.Record("/", 1, V1(0), t);
  ledger.Record("/a", 2, V1(1, 10), t);
  ledger.Record("/a/b", 3, V1(2, 20), t);
  ledger.Record("/a/c", 4, V1(3, 30), t);
  ledger.Record("/ab", 5, V1(4, 40), t);  // a sibling, not a child of /a
  EXPECT_EQ(Total(ledger, "/a/b"), 2);
  EXPECT_EQ(Total(ledger, "/a"), 6);
  EXPECT_EQ(Total(ledger, "/ab"), 4);
  EXPECT_EQ(Total(ledger, "/"), 10);
  EXPECT_EQ(Total(ledger, "/", kCgroupEventMax), 100);
  // Events v1 does not count stay absent, not 0.
  EXPECT_EQ(Total(ledger, "/", 3), -1);
  std::vector<CgroupLedger::Row> rows = ledger.Rows();
  EXPECT_EQ(Find(rows, "/a")->local[kCgroupEventOomKill], 1);
}

TEST(CgroupLedgerTest, V2TotalsAreTheKernels) {
  CgroupLedger ledger(/*sum_descendants=*/false, seconds(3600));
  Clock::time_point t = Clock::now();
  ledger.Record("/", 1, V2(5, 0), t);
  ledger.Record("/a", 2, V2(5, 5), t);
  EXPECT_EQ(Total(ledger, "/"), 5);
  EXPECT_EQ(Total(ledger, "/a"), 5);
}

TEST(CgroupLedgerTest, CountsOfOneCgroupNeverGoDown) {
  CgroupLedger ledger(true, seconds(3600));
  Clock::time_point t = Clock::now();
  ledger.Record("/a", 7, V1(3), t);
  ledger.Record("/a", 7, V1(2), t);  // a slower reader's older reading
  EXPECT_EQ(Total(ledger, "/a"), 3);
  // A failed read (no counts) keeps what was known.
  ledger.Record("/a", 7, CgroupEvents(), t);
  EXPECT_EQ(Total(ledger, "/a"), 3);
}

TEST(CgroupLedgerTest, ANewCgroupUnderAnOldNameStartsAgain) {
  CgroupLedger ledger(true, seconds(3600));
  Clock::time_point t = Clock::now();
  ledger.Record("/", 1, V1(0), t);
  ledger.Record("/a", 7, V1(3), t);
  ledger.Record("/a", 8, V1(1), t);  // another inode: made again
  EXPECT_EQ(Total(ledger, "/a"), 1);
  // The old cgroup's kills stay in the parent's total.
  EXPECT_EQ(Total(ledger, "/"), 4);
}

TEST(CgroupLedgerTest, RemovedCgroupsAreKeptForTheRetentionPeriod) {
  for (bool v1 : {true, false}) {
    CgroupLedger ledger(v1, seconds(60));
    Clock::time_point t = Clock::now();
    ledger.Record("/", 1, v1 ? V1(0) : V2(2, 0), t);
    ledger.Record("/pod", 2, v1 ? V1(0) : V2(2, 0), t);
    ledger.Record("/pod/c1", 3, v1 ? V1(2) : V2(2, 2), t);
    ledger.MarkRemoved("/pod", t + seconds(1));
    EXPECT_EQ(ledger.retained(), 2u);
    std::vector<CgroupLedger::Row> rows = ledger.Rows();
    EXPECT_TRUE(Find(rows, "/pod/c1")->removed);
    EXPECT_FALSE(Find(rows, "/")->removed);

    ledger.Expire(t + seconds(60));  // 59 s after the removal: kept
    EXPECT_EQ(Total(ledger, "/pod/c1"), 2);
    ledger.Expire(t + seconds(61));
    EXPECT_EQ(ledger.retained(), 0u);
    EXPECT_EQ(Total(ledger, "/pod/c1"), -2);
    EXPECT_EQ(Total(ledger, "/pod"), -2);
    // The kills stay in the root's total, on v1 through the ledger.
    EXPECT_EQ(Total(ledger, "/"), 2) << v1;
  }
}

TEST(CgroupLedgerTest, AWalkMarksWhatItDidNotSee) {
  CgroupLedger ledger(true, seconds(60));
  Clock::time_point t = Clock::now();
  ledger.Record("/", 1, V1(0), t);
  ledger.Record("/gone", 2, V1(1), t);
  Clock::time_point walk = t + seconds(10);
  ledger.Record("/", 1, V1(0), walk);
  EXPECT_EQ(ledger.MarkUnseenRemoved(walk, walk + seconds(1)), 1u);
  std::vector<CgroupLedger::Row> rows = ledger.Rows();
  EXPECT_TRUE(Find(rows, "/gone")->removed);
  // A reading after the mark proves the mark wrong.
  ledger.Record("/gone", 2, V1(1), walk + seconds(2));
  EXPECT_EQ(ledger.retained(), 0u);
}

}  // namespace
}  // namespace oom
