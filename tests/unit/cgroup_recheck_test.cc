// The cgroup watcher's schedule of reads after a signal, with made-up times
// and readings: no thread, no descriptor, no clock.

#include "collectors/cgroup/cgroup_recheck.h"

#include <chrono>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oom {
namespace {

using Clock = Recheck::Clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;

const Clock::time_point kT0 = Clock::time_point() + seconds(1000);

int64_t Us(Clock::duration d) { return duration_cast<microseconds>(d).count(); }

// Reads `recheck` whenever it is due with `kills` until it ends or `until`
// passes; returns when each read came, in microseconds after kT0.
std::vector<int64_t> Follow(Recheck& recheck, int64_t kills,
                            Clock::duration until) {
  std::vector<int64_t> reads;
  while (recheck.next <= kT0 + until) {
    Clock::time_point now = recheck.next;
    reads.push_back(Us(now - kT0));
    if (!recheck.Advance(kills, now)) break;
  }
  return reads;
}

TEST(RecheckTest, AfterAV1SignalDenseThenDoublingUpTo100Ms) {
  Recheck recheck = Recheck::Signalled("/cg", 3, kT0);
  EXPECT_EQ(recheck.dir, "/cg");
  std::vector<int64_t> reads = Follow(recheck, 3, milliseconds(300));
  // Every 250 us for 20 ms: 80 reads, the last at 20 ms.
  ASSERT_GE(reads.size(), 80u);
  for (std::size_t i = 0; i < 80; ++i) {
    EXPECT_EQ(reads[i], static_cast<int64_t>(250 * (i + 1))) << i;
  }
  // Then 1, 2, 4, ... 64, 100, 100 ms apart.
  std::vector<int64_t> gaps;
  for (std::size_t i = 80; i < reads.size(); ++i) {
    gaps.push_back(reads[i] - reads[i - 1]);
  }
  EXPECT_THAT(gaps,
              ElementsAre(1000, 2000, 4000, 8000, 16000, 32000, 64000, 100000));
}

TEST(RecheckTest, EndsWhenTheCountMovesOrTheCgroupGoes) {
  Recheck recheck = Recheck::Signalled("/cg", 3, kT0);
  EXPECT_TRUE(recheck.Advance(3, kT0 + microseconds(250)));
  EXPECT_FALSE(recheck.Advance(4, kT0 + microseconds(500)));

  recheck = Recheck::Signalled("/cg", 3, kT0);
  EXPECT_FALSE(recheck.Advance(std::nullopt, kT0 + microseconds(250)));
}

TEST(RecheckTest, EndsAtTheDeadline) {
  Recheck recheck = Recheck::Signalled("/cg", 0, kT0);
  EXPECT_TRUE(recheck.Advance(0, kT0 + seconds(5) - microseconds(1)));
  EXPECT_FALSE(recheck.Advance(0, kT0 + seconds(5)));

  Recheck settling = Recheck::Settling("/cg", 0, kT0);
  EXPECT_EQ(settling.next, kT0 + milliseconds(1));
  EXPECT_TRUE(settling.Advance(0, kT0 + milliseconds(999)));
  EXPECT_FALSE(settling.Advance(0, kT0 + seconds(1)));
}

TEST(RecheckTest, SettlingDoublesFromTheStart) {
  Recheck recheck = Recheck::Settling("/cg", 0, kT0);
  EXPECT_THAT(Follow(recheck, 0, milliseconds(40)),
              ElementsAre(1000, 3000, 7000, 15000, 31000));
}

TEST(RecheckTest, AFailedReadingIsTriedAgainAndTheFirstGoodOneIsTheBaseline) {
  Recheck recheck = Recheck::Signalled("/cg", -1, kT0);
  EXPECT_TRUE(recheck.Advance(-1, kT0 + microseconds(250)));
  EXPECT_TRUE(recheck.Advance(7, kT0 + microseconds(500)));
  EXPECT_EQ(recheck.baseline, 7);
  EXPECT_TRUE(recheck.Advance(-1, kT0 + microseconds(750)));
  EXPECT_FALSE(recheck.Advance(8, kT0 + milliseconds(1)));
}

TEST(RecheckTest, AV2WindowReadsEveryMillisecondThroughKills) {
  Recheck recheck = Recheck::Window("/cg", 1, kT0, milliseconds(15));
  EXPECT_TRUE(recheck.window);
  EXPECT_EQ(recheck.next, kT0 + milliseconds(1));
  // A kill moves the baseline but does not end the window.
  EXPECT_TRUE(recheck.Advance(2, kT0 + milliseconds(1)));
  EXPECT_EQ(recheck.baseline, 2);
  EXPECT_EQ(recheck.next, kT0 + milliseconds(2));
  EXPECT_TRUE(recheck.Advance(2, kT0 + milliseconds(14)));
  EXPECT_EQ(recheck.next, kT0 + milliseconds(15));
  EXPECT_FALSE(recheck.Advance(2, kT0 + milliseconds(15)));
}

TEST(RecheckTest, AV2SignalExtendsAnOpenWindow) {
  Recheck recheck = Recheck::Window("/cg", 1, kT0, milliseconds(15));
  recheck.Advance(1, kT0 + milliseconds(1));
  recheck.Advance(1, kT0 + milliseconds(2));
  recheck.Extend(kT0 + milliseconds(2) + microseconds(100), milliseconds(15));
  EXPECT_EQ(recheck.deadline, kT0 + milliseconds(17) + microseconds(100));
  EXPECT_EQ(recheck.next, kT0 + milliseconds(3));
  EXPECT_TRUE(recheck.Advance(1, kT0 + milliseconds(16)));
  // An earlier window is never shortened.
  recheck.Extend(kT0 + milliseconds(1), milliseconds(1));
  EXPECT_EQ(recheck.deadline, kT0 + milliseconds(17) + microseconds(100));
}

}  // namespace
}  // namespace oom
