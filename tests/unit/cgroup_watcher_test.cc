// The watcher on fixture trees in a temporary directory: inotify reports
// directories made, moved and removed there as it does in cgroupfs, and
// writes to memory.events as the kernel's cgroup_file_notify() does. A
// fixture cgroup.event_control is a plain file: the watcher's registration
// line ("<eventfd> <oom_control fd>") lands in it, and the test signals
// that eventfd (the same process) as the kernel signals an OOM. The real
// kernel's side: tests/live/cgroup_live_test.cc.

#include "collectors/cgroup/cgroup_watcher.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::TempTree;

constexpr char kEvents[] =
    "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n";

// Waits until `done` holds, for at most 10 s: the watcher is another thread.
bool WaitFor(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

std::optional<CgroupLedger::Row> RowOf(const CgroupLedger& ledger,
                                       const std::string& path) {
  for (const CgroupLedger::Row& row : ledger.Rows()) {
    if (row.path == path) return row;
  }
  return std::nullopt;
}

int64_t Kills(const CgroupLedger& ledger, const std::string& path) {
  std::optional<CgroupLedger::Row> row = RowOf(ledger, path);
  return row ? row->total[kCgroupEventOomKill] : -2;
}

// Whether the ledger holds `path` as removed.
bool Removed(const CgroupLedger& ledger, const std::string& path) {
  std::optional<CgroupLedger::Row> row = RowOf(ledger, path);
  return row && row->removed;
}

CgroupWatcher::Target Target(const TempTree& tree, bool v2) {
  CgroupWatcher::Target target;
  target.dir = tree.root() + "/cg";
  target.root_path = "/";
  target.v2 = v2;
  target.max_depth = 3;
  target.tracked = [](const std::string& path, std::size_t) {
    return path != "/untracked";
  };
  return target;
}

// Makes a v2 cgroup the way the kernel does, all files at once: built
// aside, then moved in.
void MakeV2Cgroup(TempTree& tree, const std::string& path,
                  const std::string& events) {
  std::string staging = "staging" + path;
  tree.WriteFile(staging + "/memory.events", events);
  tree.WriteFile(staging + "/memory.events.local", events);
  std::filesystem::rename(tree.root() + "/" + staging,
                          tree.root() + "/cg" + path);
}

TEST(CgroupWatcherTest, V2FollowsEventsCreationAndRemoval) {
  TempTree tree;
  tree.WriteFile("cg/memory.pressure", "");
  tree.WriteFile("cg/pod/memory.events", kEvents);
  tree.WriteFile("cg/pod/memory.events.local", kEvents);
  tree.MakeDir("cg/untracked");
  tree.MakeDir("staging");
  CgroupLedger ledger(/*sum_descendants=*/false, std::chrono::hours(1));
  absl::StatusOr<std::unique_ptr<CgroupWatcher>> watcher =
      CgroupWatcher::Start(Target(tree, true), &ledger);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  // Everything is read before Start returns.
  EXPECT_EQ(Kills(ledger, "/pod"), 1);
  EXPECT_FALSE(RowOf(ledger, "/untracked").has_value());
  EXPECT_EQ((*watcher)->watched(), 3u);

  // An event: the kernel rewrites memory.events and signals IN_MODIFY.
  tree.WriteFile("cg/pod/memory.events",
                 "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\noom_group_kill 0\n");
  EXPECT_TRUE(WaitFor([&] { return Kills(ledger, "/pod") == 2; }));

  // A new cgroup is read before any scrape, and so is a change in it.
  MakeV2Cgroup(tree, "/pod/c1", kEvents);
  EXPECT_TRUE(WaitFor([&] { return Kills(ledger, "/pod/c1") == 1; }));
  tree.WriteFile("cg/pod/c1/memory.events",
                 "low 0\nhigh 0\nmax 9\noom 3\noom_kill 3\noom_group_kill 0\n");
  EXPECT_TRUE(WaitFor([&] { return Kills(ledger, "/pod/c1") == 3; }));

  // Removed: the ledger keeps its last counts, marked removed.
  std::filesystem::remove_all(tree.root() + "/cg/pod/c1");
  EXPECT_TRUE(WaitFor([&] { return Removed(ledger, "/pod/c1"); }));
  EXPECT_EQ(Kills(ledger, "/pod/c1"), 3);
  EXPECT_TRUE(WaitFor([&] { return (*watcher)->watched() == 3u; }));
  EXPECT_EQ((*watcher)->failures(), 0u);
}

// Replaces cg/pod/memory.events by a rename (IN_MOVED_TO, which the watcher
// does not read on): a change the kernel did not signal.
void MoveInEvents(TempTree& tree, const std::string& events) {
  tree.WriteFile("staging/memory.events", events);
  std::filesystem::rename(tree.root() + "/staging/memory.events",
                          tree.root() + "/cg/pod/memory.events");
}

// A v2 tree with cg/pod, watched with a long signal window (slow machines
// too), after the kernel signalled a `max` event that the watcher read.
class V2SignalWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.WriteFile("cg/pod/memory.events",
                    "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
    tree_.WriteFile("cg/pod/memory.events.local",
                    "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
    tree_.MakeDir("staging");
    CgroupWatcher::Target target = Target(tree_, true);
    target.v2_signal_window = std::chrono::seconds(5);
    absl::StatusOr<std::unique_ptr<CgroupWatcher>> watcher =
        CgroupWatcher::Start(target, &ledger_);
    ASSERT_TRUE(watcher.ok()) << watcher.status();
    watcher_ = *std::move(watcher);
    tree_.WriteFile("cg/pod/memory.events",
                    "low 0\nhigh 0\nmax 7\noom 0\noom_kill 0\n");
    ASSERT_TRUE(WaitFor([&] {
      std::optional<CgroupLedger::Row> row = RowOf(ledger_, "/pod");
      return row && row->total[kCgroupEventMax] == 7;
    }));
  }

  TempTree tree_;
  CgroupLedger ledger_{/*sum_descendants=*/false, std::chrono::hours(1)};
  std::unique_ptr<CgroupWatcher> watcher_;
};

TEST_F(V2SignalWindowTest, ReadsAKillThatIsNotSignalled) {
  // The kernel signals a `max` event; the kill counted a moment later waits
  // on the 10 ms notify timer, and the cgroup is removed before it fires:
  // no signal for the kill.
  MoveInEvents(tree_, "low 0\nhigh 0\nmax 8\noom 1\noom_kill 1\n");
  EXPECT_TRUE(WaitFor([&] { return Kills(ledger_, "/pod") == 1; }));
  std::filesystem::remove_all(tree_.root() + "/cg/pod");
  EXPECT_TRUE(WaitFor([&] { return Removed(ledger_, "/pod"); }));
  EXPECT_EQ(Kills(ledger_, "/pod"), 1);
}

TEST_F(V2SignalWindowTest, ReadsOnAfterAKillForTheRestOfAGroupKill) {
  // A memory.oom.group kill counts one oom_kill per process, one after the
  // other: a read may see the first ones only, and the rest is not
  // signalled either. The window does not end at the first kill it sees.
  MoveInEvents(tree_, "low 0\nhigh 0\nmax 8\noom 1\noom_kill 1\n");
  ASSERT_TRUE(WaitFor([&] { return Kills(ledger_, "/pod") == 1; }));
  MoveInEvents(tree_, "low 0\nhigh 0\nmax 8\noom 1\noom_kill 4\n");
  EXPECT_TRUE(WaitFor([&] { return Kills(ledger_, "/pod") == 4; }));
}

TEST(CgroupWatcherTest, V1FollowsCreationAndRemoval) {
  TempTree tree;
  tree.WriteFile("cg/memory.oom_control",
                 "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
  tree.WriteFile("cg/memory.failcnt", "0\n");
  tree.MakeDir("staging");
  CgroupLedger ledger(/*sum_descendants=*/true, std::chrono::hours(1));
  absl::StatusOr<std::unique_ptr<CgroupWatcher>> watcher =
      CgroupWatcher::Start(Target(tree, false), &ledger);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  EXPECT_EQ(Kills(ledger, "/"), 0);

  tree.WriteFile("staging/docker/memory.oom_control",
                 "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  tree.WriteFile("staging/docker/memory.failcnt", "17\n");
  std::filesystem::rename(tree.root() + "/staging/docker",
                          tree.root() + "/cg/docker");
  EXPECT_TRUE(WaitFor([&] { return Kills(ledger, "/docker") == 2; }));
  EXPECT_EQ(Kills(ledger, "/"), 2);  // summed, as v2 would count it

  std::filesystem::remove_all(tree.root() + "/cg/docker");
  EXPECT_TRUE(WaitFor([&] { return ledger.retained() == 1u; }));
  EXPECT_EQ(Kills(ledger, "/"), 2);
  // A fixture tree has no cgroup.event_control: that is a cgroup that is
  // gone or a file the kernel lacks, not a failure.
  EXPECT_EQ((*watcher)->failures(), 0u);
}

// The eventfd the watcher registered in the fixture cgroup `dir`, or -1.
int RegisteredEventfd(const TempTree& tree, const std::string& dir) {
  std::ifstream line(tree.root() + "/" + dir + "/cgroup.event_control");
  int efd = -1;
  line >> efd;
  return efd;
}

void MakeV1Cgroup(TempTree& tree, const std::string& dir, int kills) {
  tree.WriteFile(dir + "/memory.oom_control",
                 "oom_kill_disable 0\nunder_oom 0\noom_kill " +
                     std::to_string(kills) + "\n");
  tree.WriteFile(dir + "/memory.failcnt", "0\n");
  tree.WriteFile(dir + "/cgroup.event_control", "");
}

TEST(CgroupWatcherTest, V1ReadsAgainAfterAnOomSignalUntilTheKillIsCounted) {
  TempTree tree;
  MakeV1Cgroup(tree, "cg", 0);
  MakeV1Cgroup(tree, "cg/pod", 0);
  CgroupLedger ledger(/*sum_descendants=*/true, std::chrono::hours(1));
  absl::StatusOr<std::unique_ptr<CgroupWatcher>> watcher =
      CgroupWatcher::Start(Target(tree, false), &ledger);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  int efd = RegisteredEventfd(tree, "cg/pod");
  ASSERT_GE(efd, 0) << "no registration line in cgroup.event_control";

  // The kernel signals first and counts the kill a moment later: the
  // signal alone finds nothing new, a read after it finds the kill.
  uint64_t one = 1;
  ASSERT_EQ(::write(efd, &one, sizeof(one)), 8);
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  EXPECT_EQ(Kills(ledger, "/pod"), 0);
  // A reading that fails meanwhile (here a torn file; in cgroupfs a
  // transient error) does not end the rereads.
  tree.WriteFile("cg/pod/memory.oom_control", "oom_kill_disable 0\nunder_o");
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  MakeV1Cgroup(tree, "cg/pod", 1);
  EXPECT_TRUE(WaitFor([&] { return Kills(ledger, "/pod") == 1; }));
  EXPECT_EQ(Kills(ledger, "/"), 1);
  EXPECT_EQ((*watcher)->failures(), 0u);
}

TEST(CgroupWatcherTest, V1ReadsANewCgroupAgainAfterRegistering) {
  // An OOM that began before the eventfd was registered is not signalled
  // again: a new cgroup is read a few more times for a second.
  TempTree tree;
  MakeV1Cgroup(tree, "cg", 0);
  tree.MakeDir("staging");
  CgroupLedger ledger(/*sum_descendants=*/true, std::chrono::hours(1));
  absl::StatusOr<std::unique_ptr<CgroupWatcher>> watcher =
      CgroupWatcher::Start(Target(tree, false), &ledger);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  MakeV1Cgroup(tree, "staging/job", 0);
  std::filesystem::rename(tree.root() + "/staging/job",
                          tree.root() + "/cg/job");
  ASSERT_TRUE(WaitFor([&] { return Kills(ledger, "/job") == 0; }));
  ASSERT_GE(RegisteredEventfd(tree, "cg/job"), 0);
  MakeV1Cgroup(tree, "cg/job", 1);  // counted, never signalled
  EXPECT_TRUE(WaitFor([&] { return Kills(ledger, "/job") == 1; }));
}

TEST(CgroupWatcherTest, StopsPromptly) {
  TempTree tree;
  tree.WriteFile("cg/memory.pressure", "");
  CgroupLedger ledger(false, std::chrono::hours(1));
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::unique_ptr<CgroupWatcher>> watcher =
        CgroupWatcher::Start(Target(tree, true), &ledger);
    ASSERT_TRUE(watcher.ok()) << watcher.status();
  }
}

}  // namespace
}  // namespace oom
