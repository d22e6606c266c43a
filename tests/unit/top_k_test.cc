// The top-K rule of the process collector on its own: a scan is a list of
// (pid, oom_score), a full read is looked up in a table the test fills.

#include "collectors/process/top_k.h"

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oom {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Processes as a scan and a full read see them.
class Table {
 public:
  // A killable process whose full read gives `score` again.
  void Add(int32_t pid, int32_t score, uint64_t starttime = 1000) {
    processes_[pid] = Process{score, ProcessProbe{score, starttime, true}};
  }
  // The oom_score a full read gives (it may have moved since the scan).
  void SetReadScore(int32_t pid, int64_t score) {
    processes_[pid].probe->score = score;
  }
  void Unkillable(int32_t pid) { processes_[pid].probe->killable = false; }
  // Scanned, gone before the full read.
  void Vanish(int32_t pid) { processes_[pid].probe.reset(); }
  void Remove(int32_t pid) { processes_.erase(pid); }

  std::vector<ScannedProcess> Scan() const {
    std::vector<ScannedProcess> scan;
    for (const auto& [pid, process] : processes_) {
      scan.push_back({pid, process.score});
    }
    return scan;
  }

  // Runs one selection; `reads` receives the pids read, in order.
  std::vector<int32_t> Select(TopK& top_k,
                              std::vector<int32_t>* reads = nullptr) {
    return top_k.Select(Scan(), [&](int32_t pid) {
      if (reads != nullptr) reads->push_back(pid);
      return processes_.at(pid).probe;
    });
  }

 private:
  struct Process {
    int32_t score = 0;
    std::optional<ProcessProbe> probe;
  };
  std::map<int32_t, Process> processes_;  // in pid order, as a scan is
};

TEST(TopKTest, ChoosesTheHighestScoresBestFirst) {
  Table table;
  for (int i = 0; i < 6; ++i) table.Add(100 + i, 100 + 10 * i);
  TopK top_k(3);
  EXPECT_THAT(table.Select(top_k), ElementsAre(105, 104, 103));
  EXPECT_TRUE(top_k.tracked(105));
  EXPECT_FALSE(top_k.tracked(102));
}

TEST(TopKTest, ZeroMeansOne) {
  Table table;
  table.Add(1, 5);
  table.Add(2, 6);
  TopK top_k(0);
  EXPECT_THAT(table.Select(top_k), ElementsAre(2));
}

TEST(TopKTest, TrackedProcessesStayWhileWithinRank2K) {
  Table table;
  for (int i = 0; i < 8; ++i) table.Add(100 + i, 900 - 10 * i);
  TopK top_k(2);
  EXPECT_THAT(table.Select(top_k), ElementsAre(100, 101));
  // Overtaken by two: ranks 3 and 4 (<= 2K) stay, after the new top K.
  table.Add(106, 990);
  table.Add(107, 980);
  EXPECT_THAT(table.Select(top_k), ElementsAre(106, 107, 100, 101));
  // One more: 101 falls to rank 5 and goes; the newcomer at rank 3 is
  // neither in the top K nor tracked.
  table.Add(105, 970);
  EXPECT_THAT(table.Select(top_k), ElementsAre(106, 107, 100));
  EXPECT_FALSE(top_k.tracked(101));
  EXPECT_FALSE(top_k.tracked(105));
}

TEST(TopKTest, AScoreEqualToThe2KthStillKeeps) {
  Table table;
  table.Add(10, 500);
  table.Add(11, 400);
  table.Add(12, 300);
  TopK top_k(1);
  EXPECT_THAT(table.Select(top_k), ElementsAre(10));
  // 10 falls to rank 2 = 2K, tied with 13: it stays.
  table.Add(13, 500);
  table.Add(14, 900);
  EXPECT_THAT(table.Select(top_k), ElementsAre(14, 10));
}

TEST(TopKTest, TiesGoToTrackedProcessesThenLowerPids) {
  Table table;
  for (int i = 0; i < 6; ++i) table.Add(200 + i, 666);
  TopK top_k(2);
  EXPECT_THAT(table.Select(top_k), ElementsAre(200, 201));
  // Lower pids with the same score (the pid counter wrapped).
  table.Add(50, 666);
  table.Add(51, 666);
  for (int scrape = 0; scrape < 3; ++scrape) {
    EXPECT_THAT(table.Select(top_k), ElementsAre(200, 201));
  }
}

TEST(TopKTest, AReusedPidIsANewProcess) {
  Table table;
  for (int i = 0; i < 5; ++i) table.Add(300 + i, 900 - 100 * i);
  TopK top_k(2);
  EXPECT_THAT(table.Select(top_k), ElementsAre(300, 301));
  // 301 is now another process (another start time) at rank 3: not kept.
  table.Add(310, 950);
  table.Add(301, 800, /*starttime=*/5000);
  table.Add(300, 980);
  EXPECT_THAT(table.Select(top_k), ElementsAre(300, 310));
  EXPECT_FALSE(top_k.tracked(301));
}

TEST(TopKTest, SkipsWhatCannotBeChosenAndReadsFurther) {
  Table table;
  table.Add(1, 0);  // init, whose oom_score is 0
  table.Add(400, 900);
  table.Add(401, 800);
  table.Add(402, 700);
  table.Add(403, 600);
  table.Unkillable(400);
  table.Vanish(401);
  TopK top_k(2);
  std::vector<int32_t> reads;
  EXPECT_THAT(table.Select(top_k, &reads), ElementsAre(402, 403));
  EXPECT_THAT(reads, ElementsAre(400, 401, 402, 403));
}

TEST(TopKTest, InitWithScoreZeroIsNeverChosen) {
  Table table;
  table.Add(1, 0);
  TopK top_k(1);
  EXPECT_THAT(table.Select(top_k), IsEmpty());
}

TEST(TopKTest, ReadsOnlyTheBest4KPlusExtraCandidates) {
  Table table;
  const std::size_t k = 1;
  const int candidates = static_cast<int>(4 * k + TopK::kExtraCandidates);
  for (int i = 0; i < candidates + 10; ++i) {
    table.Add(1000 + i, 1000 - i);
    if (i < candidates) table.Unkillable(1000 + i);
  }
  TopK top_k(k);
  std::vector<int32_t> reads;
  EXPECT_THAT(table.Select(top_k, &reads), IsEmpty());
  EXPECT_EQ(reads.size(), static_cast<std::size_t>(candidates));
}

TEST(TopKTest, ATrackedProcessRejectedAsCandidateIsReadAgainToBeKept) {
  Table table;
  table.Add(500, 900);
  table.Add(501, 800);
  table.Add(502, 700);
  TopK top_k(1);
  EXPECT_THAT(table.Select(top_k), ElementsAre(500));
  // 500 now cannot be read: tried as a candidate, then as a kept process.
  table.Vanish(500);
  std::vector<int32_t> reads;
  EXPECT_THAT(table.Select(top_k, &reads), ElementsAre(501));
  EXPECT_THAT(reads, ElementsAre(500, 501, 500));
  // An exited process is simply gone.
  table.Remove(501);
  EXPECT_THAT(table.Select(top_k), ElementsAre(502));
  EXPECT_FALSE(top_k.tracked(501));
}

TEST(TopKTest, KeepsAtMost2KDroppingTheLowestKeptScores) {
  Table table;
  table.Add(600, 900);
  table.Add(601, 800);
  for (int i = 0; i < 4; ++i) table.Add(700 + i, 50 - i);
  TopK top_k(2);
  EXPECT_THAT(table.Select(top_k), ElementsAre(600, 601));
  // 700 and 701 rise to the top; 600 and 601 stay at ranks 3 and 4.
  table.Add(700, 1000);
  table.Add(701, 990);
  EXPECT_THAT(table.Select(top_k), ElementsAre(700, 701, 600, 601));
  // Two newcomers lead, and the four tracked ones tie at ranks 3 to 6, all
  // within rank 2K by score: K fresh + 4 kept is more than 2K, so the kept
  // ones with the lowest oom_score as read in full, then the highest pids,
  // go. 701 reads 150 in full.
  table.Add(800, 2000);
  table.Add(801, 2000);
  for (int32_t pid : {600, 601, 700}) table.Add(pid, 100);
  table.Add(701, 100);
  table.SetReadScore(701, 150);
  EXPECT_THAT(table.Select(top_k), ElementsAre(800, 801, 701, 600));
  EXPECT_FALSE(top_k.tracked(601));
  EXPECT_FALSE(top_k.tracked(700));
  EXPECT_TRUE(top_k.tracked(701));
}

}  // namespace
}  // namespace oom
