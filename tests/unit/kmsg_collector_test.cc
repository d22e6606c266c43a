// The kmsg collector on files of real /dev/kmsg records (this machine's,
// tests/fixtures/kmsg/records.kmsg: three memcg OOM kills; and the QEMU VM
// logs of tests/fixtures/kmsg/corpus/debian-*-kmsg-raw-vm-oom-group.log:
// three memcg kills and a memory.oom.group kill), through restarts, appended
// records, lost records, reboots and broken state files.

#include "collectors/kmsg/kmsg_collector.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collectors/base/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/samples.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::CountSamples;
using ::oom::testing::FindValue;
using ::oom::testing::ReadSourceFile;
using ::oom::testing::Sample;
using ::oom::testing::TempTree;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBootId[] = "591a4f42-9d77-4508-8a4f-516389029cb8";

// A kill of one more process, as this machine's kernel logged it, with
// sequence numbers after those of records.kmsg (which end at 1207).
std::string KillRecords(uint64_t first_sequence, int pid,
                        const std::string& comm, const std::string& cgroup) {
  return absl::StrCat(
      "4,", first_sequence, ",1600000000,-;", comm,
      " invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, "
      "oom_score_adj=0\n",
      "6,", first_sequence + 1,
      ",1600000100,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
      "cpuset=/,"
      "mems_allowed=0,oom_memcg=",
      cgroup, ",task_memcg=", cgroup, ",task=", comm, ",pid=", pid, ",uid=0\n",
      "3,", first_sequence + 2,
      ",1600000200,-;Memory cgroup out of memory: Killed process ", pid, " (",
      comm,
      ") total-vm:75160kB, anon-rss:65280kB, file-rss:6552kB, shmem-rss:0kB, "
      "UID:0 "
      "pgtables:188kB oom_score_adj:0\n");
}

std::vector<Sample> Collect(KmsgCollector& collector,
                            absl::Status* status = nullptr) {
  return ::oom::testing::CollectSamples(collector, status);
}

std::optional<double> Value(const std::vector<Sample>& samples,
                            const std::string& name,
                            const Labels& labels = {}) {
  return FindValue(samples, name, labels);
}

int Count(const std::vector<Sample>& samples, const std::string& name) {
  return CountSamples(samples, name);
}

Labels Kill(const std::string& cgroup, const std::string& comm = "python3") {
  return {{"scope", "memcg"}, {"cgroup", cgroup}, {"comm", comm}};
}

std::vector<std::string>* g_log = nullptr;
void CaptureLog(std::string_view line) { g_log->emplace_back(line); }

class KmsgCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.WriteFile("proc/sys/kernel/random/boot_id",
                    std::string(kBootId) + "\n");
    tree_.WriteFile("proc/vmstat", "oom_kill 3\n");
    tree_.WriteFile("kmsg", ReadSourceFile("tests/fixtures/kmsg/records.kmsg"));
    g_log = &log_;
    SetLogSinkForTesting(&CaptureLog);
  }
  void TearDown() override {
    SetLogSinkForTesting(nullptr);
    g_log = nullptr;
  }

  std::unique_ptr<KmsgCollector> Start(KmsgOptions options = {}) {
    options.path = tree_.root() + "/kmsg";
    if (options.state_file == KmsgOptions().state_file) {
      options.state_file = tree_.root() + "/state/kmsg.state";
    }
    FsRoots roots;
    roots.procfs = tree_.root() + "/proc";
    auto collector = std::make_unique<KmsgCollector>(roots, options);
    collector->Start();
    return collector;
  }

  void Append(const std::string& text) {
    std::ofstream out(tree_.root() + "/kmsg", std::ios::app);
    out << text;
  }

  // Puts a QEMU VM log of the corpus (debian-VERSION-kmsg-raw-vm-oom-group)
  // in place of the ring, and the kernel's count of kills at its end, 7:
  // 3 plain kills, then hog, 2 sleepers and hog again in the group kill.
  void UseVmLog(const std::string& version, int vmstat_oom_kill = 7) {
    tree_.WriteFile("kmsg", VmLog(version));
    tree_.WriteFile("proc/vmstat",
                    absl::StrCat("oom_kill ", vmstat_oom_kill, "\n"));
  }
  static std::string VmLog(const std::string& version) {
    return ReadSourceFile("tests/fixtures/kmsg/corpus/debian-" + version +
                          "-kmsg-raw-vm-oom-group.log");
  }

  std::string StateFile() {
    std::ifstream in(tree_.root() + "/state/kmsg.state", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  }

  // Polls until `name{labels}` reaches `want` or 10 s pass (a deadline for
  // the follower thread, not a speed requirement).
  bool WaitFor(KmsgCollector& collector, const std::string& name,
               const Labels& labels, double want) {
    for (int i = 0; i < 200; ++i) {
      if (Value(Collect(collector), name, labels) == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  TempTree tree_;
  std::vector<std::string> log_;
};

TEST_F(KmsgCollectorTest, CountsTheKillsOfTheRing) {
  auto collector = Start();
  absl::Status status;
  std::vector<Sample> s = Collect(*collector, &status);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(Value(s, "oom_kills_total", Kill("/corpus_a")), 1);
  EXPECT_EQ(Value(s, "oom_kills_total", Kill("/corpus_b")), 2);
  EXPECT_EQ(Count(s, "oom_kills_total"), 2);
  EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "memcg"}}), 3);
  EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "global"}}), 0);
  EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "unknown"}}), 0);
  EXPECT_EQ(Value(s, "oom_killer_invocations_total"), 3);
  EXPECT_EQ(Value(s, "oom_kills_unlogged"), 0);  // vmstat says 3 too
  EXPECT_EQ(Value(s, "oom_kmsg_records_total"), 235);
  // The file starts at sequence 973: records 0..972 were never seen.
  EXPECT_EQ(Value(s, "oom_kmsg_lost_records_total"), 973);
  EXPECT_EQ(Value(s, "oom_kmsg_unrecognized_records_total"), 0);
  EXPECT_EQ(Value(s, "oom_killed_process_memory_bytes", {{"scope", "memcg"}}),
            3);
  EXPECT_EQ(Count(s, "oom_recent_kill_timestamp_seconds"), 3);
  EXPECT_TRUE(Value(s, "oom_recent_kill_timestamp_seconds",
                    {{"pid", "25121"},
                     {"cgroup", "/corpus_a"},
                     {"constraint", "CONSTRAINT_MEMCG"}})
                  .has_value());
  EXPECT_TRUE(Value(s, "oom_kill_last_timestamp_seconds").has_value());
  // Each recent kill's size, from anon-rss:65280kB file-rss:6552kB
  // shmem-rss:0kB.
  EXPECT_EQ(Count(s, "oom_recent_kill_memory_bytes"), 3);
  EXPECT_EQ(Value(s, "oom_recent_kill_memory_bytes",
                  {{"pid", "25121"}, {"comm", "python3"}}),
            (65280.0 + 6552.0) * 1024);

  std::string json = collector->KillsJson();
  EXPECT_THAT(json, HasSubstr(absl::StrCat("{\"boot_id\":\"", kBootId,
                                           "\",\"kills\":[")));
  EXPECT_THAT(
      json,
      HasSubstr("\"pid\":25121,\"comm\":\"python3\",\"scope\":\"memcg\""));
  EXPECT_THAT(json, HasSubstr("\"sequence\":1207}"));
  ASSERT_EQ(collector->Routes().size(), 1u);
  EXPECT_EQ(collector->Routes()[0].path, "/api/v1/kills");
  EXPECT_EQ(collector->Routes()[0].body(), json);
}

TEST_F(KmsgCollectorTest, UnloggedKillsShowTheDifferenceWithVmstat) {
  tree_.WriteFile("proc/vmstat", "oom_kill 5\n");
  auto collector = Start();
  EXPECT_EQ(Value(Collect(*collector), "oom_kills_unlogged"), 2);
}

// memory.oom.group on Linux 5.10, 6.1 and 6.12: the kernel kills its chosen
// victim (hog) a second time as a member of the group, prints a second kill
// line and counts it in /proc/vmstat. 7 = 6 processes + 1 repeated line: no
// kill is unlogged.
TEST_F(KmsgCollectorTest, AGroupKillsRepeatedVictimIsNoUnloggedKill) {
  for (const char* version : {"5.10", "6.1", "6.12"}) {
    SCOPED_TRACE(version);
    UseVmLog(version);
    KmsgOptions options;
    options.state_file = "";  // each log from zero
    auto collector = Start(options);
    std::vector<Sample> s = Collect(*collector);
    EXPECT_EQ(Value(s, "oom_kills_unlogged"), 0);
    EXPECT_EQ(Value(s, "oom_kmsg_repeated_kills_total"), 1);
    EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "memcg"}}), 6);
    EXPECT_EQ(Value(s, "oom_kills_total", Kill("/grp", "hog")), 1);
    EXPECT_EQ(Value(s, "oom_kills_total", Kill("/grp", "sleeper")), 2);
    EXPECT_EQ(Value(s, "oom_kills_total", Kill("/app/worker", "hog")), 1);
    EXPECT_EQ(Value(s, "oom_killer_invocations_total"), 4);
    EXPECT_EQ(Value(s, "oom_kmsg_unrecognized_records_total"), 0);
  }
}

// A kill the log does not show still shows beside a repeated one.
TEST_F(KmsgCollectorTest, AnUnloggedKillStillShowsAfterAGroupKill) {
  UseVmLog("6.12", 8);
  auto collector = Start();
  std::vector<Sample> s = Collect(*collector);
  EXPECT_EQ(Value(s, "oom_kills_unlogged"), 1);
  EXPECT_EQ(Value(s, "oom_kmsg_repeated_kills_total"), 1);
}

// The records file of the other tests has no group kill.
TEST_F(KmsgCollectorTest, PlainKillsRepeatNothing) {
  auto collector = Start();
  std::vector<Sample> s = Collect(*collector);
  EXPECT_EQ(Value(s, "oom_kmsg_repeated_kills_total"), 0);
  EXPECT_EQ(Value(s, "oom_kills_unlogged"), 0);
}

// The repeat is saved in the state file and not counted again when the
// next run replays the ring.
TEST_F(KmsgCollectorTest, ARestartCountsARepeatedKillLineOnce) {
  UseVmLog("6.12");
  Start().reset();
  EXPECT_THAT(StateFile(), HasSubstr("\nrepeated_kills\t1\n"));
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE(run);
    auto collector = Start();
    std::vector<Sample> s = Collect(*collector);
    EXPECT_EQ(Value(s, "oom_kmsg_repeated_kills_total"), 1);
    EXPECT_EQ(Value(s, "oom_kills_unlogged"), 0);
    EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "memcg"}}), 6);
    EXPECT_EQ(Value(s, "oom_kmsg_records_total"), 410);
  }
}

// A restart in the middle of the group kill: the first run counted through
// the second sleeper (record 771); hog's repeated line (772) comes while the
// exporter is down. The next run replays the group kill as context and
// counts the repeat once, not as a kill.
TEST_F(KmsgCollectorTest, ARepeatAfterARestartInTheMiddleOfAGroupKill) {
  const std::string log = VmLog("6.12");
  const std::size_t last = log.rfind("3,772,");
  ASSERT_NE(last, std::string::npos);
  UseVmLog("6.12");
  tree_.WriteFile("kmsg", log.substr(0, last));
  {
    auto first = Start();
    std::vector<Sample> s = Collect(*first);
    EXPECT_EQ(Value(s, "oom_kmsg_repeated_kills_total"), 0);
    EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "memcg"}}), 6);
  }
  Append(log.substr(last));
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE(run);
    auto collector = Start();
    std::vector<Sample> s = Collect(*collector);
    EXPECT_EQ(Value(s, "oom_kmsg_repeated_kills_total"), 1);
    EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "memcg"}}), 6);
    EXPECT_EQ(Value(s, "oom_kills_total", Kill("/grp", "hog")), 1);
    EXPECT_EQ(Value(s, "oom_kills_unlogged"), 0);
  }
}

// A state file of an exporter that did not count repeated kill lines (no
// "repeated_kills" line) loads: nothing it counted is counted again, and
// the repeats among the records it counted, which the ring still holds, are
// counted now, once.
TEST_F(KmsgCollectorTest, AStateFileWithoutRepeatedKillsLoads) {
  UseVmLog("6.12");
  Start().reset();
  std::string state = StateFile();
  const std::string line = "repeated_kills\t1\n";
  const std::size_t at = state.find("\n" + line);
  ASSERT_NE(at, std::string::npos) << state;
  state.erase(at + 1, line.size());
  tree_.WriteFile("state/kmsg.state", state);
  log_.clear();
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE(run);
    auto collector = Start();
    std::vector<Sample> s = Collect(*collector);
    EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "memcg"}}), 6);
    EXPECT_EQ(Value(s, "oom_kmsg_records_total"), 410);
    EXPECT_EQ(Value(s, "oom_killer_invocations_total"), 4);
    EXPECT_EQ(Value(s, "oom_kmsg_repeated_kills_total"), 1);
    EXPECT_EQ(Value(s, "oom_kills_unlogged"), 0);
  }
  for (const std::string& entry : log_) {
    EXPECT_THAT(entry, Not(HasSubstr("state file unusable")));
  }
}

TEST_F(KmsgCollectorTest, ARestartCountsNothingTwice) {
  {
    auto first = Start();
    EXPECT_EQ(
        Value(Collect(*first), "oom_logged_kills_total", {{"scope", "memcg"}}),
        3);
  }
  auto second = Start();
  std::vector<Sample> s = Collect(*second);
  EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "memcg"}}), 3);
  EXPECT_EQ(Value(s, "oom_kills_total", Kill("/corpus_b")), 2);
  EXPECT_EQ(Value(s, "oom_killer_invocations_total"), 3);
  EXPECT_EQ(Value(s, "oom_kmsg_records_total"), 235);
  EXPECT_EQ(Value(s, "oom_kmsg_lost_records_total"), 973);
  EXPECT_EQ(Count(s, "oom_recent_kill_timestamp_seconds"), 3);
}

TEST_F(KmsgCollectorTest, KillsWhileTheExporterWasDownAreCountedOnce) {
  Start().reset();
  Append(KillRecords(1208, 4242, "down_hog", "/while_down"));
  auto collector = Start();
  std::vector<Sample> s = Collect(*collector);
  EXPECT_EQ(Value(s, "oom_kills_total", Kill("/while_down", "down_hog")), 1);
  EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "memcg"}}), 4);
  EXPECT_EQ(Value(s, "oom_kmsg_records_total"), 238);
  EXPECT_EQ(Value(s, "oom_kmsg_lost_records_total"), 973);
  Start().swap(collector);  // and once more: still 4
  EXPECT_EQ(Value(Collect(*collector), "oom_logged_kills_total",
                  {{"scope", "memcg"}}),
            4);
}

TEST_F(KmsgCollectorTest, RecordsOverwrittenWhileDownAreCountedAsLost) {
  Start().reset();
  // The ring moved on by 500 records while the exporter was down.
  tree_.WriteFile("kmsg", KillRecords(1708, 4343, "late_hog", "/late"));
  auto collector = Start();
  std::vector<Sample> s = Collect(*collector);
  EXPECT_EQ(Value(s, "oom_kmsg_lost_records_total"), 973 + 500);
  EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "memcg"}}), 4);
}

TEST_F(KmsgCollectorTest, ANewBootStartsFromZero) {
  Start().reset();
  tree_.WriteFile("proc/sys/kernel/random/boot_id",
                  "11111111-2222-3333-4444-555555555555\n");
  tree_.WriteFile("kmsg", KillRecords(40, 77, "new_boot", "/fresh"));
  auto collector = Start();
  std::vector<Sample> s = Collect(*collector);
  EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "memcg"}}), 1);
  EXPECT_EQ(Value(s, "oom_kills_total", Kill("/corpus_a")), std::nullopt);
  EXPECT_EQ(Value(s, "oom_kills_total", Kill("/fresh", "new_boot")), 1);
  EXPECT_EQ(Value(s, "oom_kmsg_lost_records_total"), 40);
}

TEST_F(KmsgCollectorTest, FollowsRecordsAsTheyArrive) {
  auto collector = Start();
  Append(KillRecords(1208, 5150, "live_hog", "/live"));
  EXPECT_TRUE(
      WaitFor(*collector, "oom_kills_total", Kill("/live", "live_hog"), 1));
  EXPECT_EQ(Value(Collect(*collector), "oom_logged_kills_total",
                  {{"scope", "memcg"}}),
            4);
  EXPECT_THAT(collector->KillsJson(), HasSubstr("\"pid\":5150"));
}

TEST_F(KmsgCollectorTest, ASummaryWhoseKillLineNeverComesIsCountedWhenQuiet) {
  auto collector = Start();
  std::string records = KillRecords(1208, 6160, "cut_hog", "/cut");
  records = records.substr(0, records.rfind("3,1210"));  // drop the kill line
  Append(records);
  EXPECT_TRUE(
      WaitFor(*collector, "oom_kills_total", Kill("/cut", "cut_hog"), 1));
}

TEST_F(KmsgCollectorTest, ABrokenStateFileMeansCountingFromTheRing) {
  for (const char* broken :
       {"garbage\n", "oom_exporter-kmsg-state 1\nboot_id\tx\nlast_sequence\t99",
        "oom_exporter-kmsg-state 1\nrecords\tmany\nend\n", ""}) {
    tree_.WriteFile("state/kmsg.state", broken);
    log_.clear();
    auto collector = Start();
    std::vector<Sample> s = Collect(*collector);
    EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "memcg"}}), 3)
        << broken;
    bool warned = false;
    for (const std::string& line : log_)
      warned |= line.find("state file unusable") != std::string::npos;
    EXPECT_TRUE(warned) << "no warning for \"" << broken << "\"";
  }
}

TEST_F(KmsgCollectorTest, AnUnwritableStateFileIsLoggedAndCountingGoesOn) {
  tree_.WriteFile("not_a_dir", "x");
  KmsgOptions options;
  options.state_file = tree_.root() + "/not_a_dir/kmsg.state";
  auto collector = Start(options);
  EXPECT_EQ(Value(Collect(*collector), "oom_logged_kills_total",
                  {{"scope", "memcg"}}),
            3);
  bool warned = false;
  for (const std::string& line : log_) {
    warned |= line.find("level=warn") != std::string::npos &&
              line.find("state file unavailable") != std::string::npos;
  }
  EXPECT_TRUE(warned);
}

TEST_F(KmsgCollectorTest, TwoExportersNeverShareAStateFile) {
  auto first = Start();
  log_.clear();
  auto second = Start();
  bool refused = false;
  for (const std::string& line : log_) {
    refused |= line.find("another oom_exporter uses this kmsg state file") !=
               std::string::npos;
  }
  EXPECT_TRUE(refused);
  // Both still count.
  EXPECT_EQ(
      Value(Collect(*second), "oom_logged_kills_total", {{"scope", "memcg"}}),
      3);
}

TEST_F(KmsgCollectorTest, SeriesBeyondTheCapFoldIntoOther) {
  Append(KillRecords(1208, 1, "a", "/x1") + KillRecords(1211, 2, "b", "/x2"));
  KmsgOptions options;
  options.max_series = 2;
  options.state_file = "";
  auto collector = Start(options);
  std::vector<Sample> s = Collect(*collector);
  EXPECT_EQ(Count(s, "oom_kills_total"), 3);
  EXPECT_EQ(Value(s, "oom_kills_total", Kill("(other)", "(other)")), 2);
  EXPECT_EQ(Value(s, "oom_logged_kills_total", {{"scope", "memcg"}}), 5);
}

TEST_F(KmsgCollectorTest, RecentKillsAreBounded) {
  KmsgOptions options;
  options.recent_kills = 2;
  options.api_kills = 1;
  options.state_file = "";
  auto collector = Start(options);
  EXPECT_EQ(Count(Collect(*collector), "oom_recent_kill_timestamp_seconds"), 2);
  std::string json = collector->KillsJson();
  EXPECT_THAT(json, HasSubstr("\"pid\":25325"));
  EXPECT_THAT(json, Not(HasSubstr("\"pid\":25121")));
}

TEST_F(KmsgCollectorTest, AnUnreadableLogFailsOnlyThisCollector) {
  KmsgOptions options;
  options.state_file = "";
  FsRoots roots;
  roots.procfs = tree_.root() + "/proc";
  options.path = tree_.root() + "/no_such_kmsg";
  KmsgCollector collector(roots, options);
  collector.Start();
  absl::Status status;
  std::vector<Sample> s = Collect(collector, &status);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("no_such_kmsg"));
  EXPECT_TRUE(s.empty());
}

TEST_F(KmsgCollectorTest, TouchesNothingBeforeStart) {
  KmsgOptions options;
  options.path = tree_.root() + "/kmsg";
  options.state_file = tree_.root() + "/state/kmsg.state";
  FsRoots roots;
  roots.procfs = tree_.root() + "/proc";
  KmsgCollector collector(roots, options);
  struct stat st;
  EXPECT_NE(::stat((tree_.root() + "/state").c_str(), &st), 0)
      << "the state file's directory was made before Start";
  absl::Status status;
  EXPECT_TRUE(Collect(collector, &status).empty());
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;

  collector.Start();
  EXPECT_EQ(::stat((tree_.root() + "/state/kmsg.state.lock").c_str(), &st), 0);
  std::vector<Sample> samples = Collect(collector, &status);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(Value(samples, "oom_kills_total", Kill("/corpus_a")), 1);
}

TEST_F(KmsgCollectorTest, AfterUserSwitchWarnsWhenTheStateFileCannotBeSaved) {
  // Given, but in a directory that cannot be made (its parent is missing
  // too): as the user (here: as anyone), it cannot be saved.
  KmsgOptions options;
  options.state_file = tree_.root() + "/missing/state/kmsg.state";
  auto collector = Start(options);
  collector->AfterUserSwitch("nobody");
  std::string want = absl::StrCat(
      "level=warn msg=\"the kmsg state file cannot be saved as the "
      "--run-as-user user; after a restart, kills since this start are "
      "counted again from the kernel ring\" user=nobody file=",
      options.state_file, " err=\"", tree_.root(),
      "/missing/state is not writable: No such file or directory\"");
  EXPECT_THAT(log_, ::testing::Contains(HasSubstr(want)));

  // A state file that can be saved, or none: no warning.
  log_.clear();
  collector = Start();
  collector->AfterUserSwitch("nobody");
  options.state_file = "";
  auto without = Start(options);
  without->AfterUserSwitch("nobody");
  EXPECT_THAT(log_, Not(::testing::Contains(HasSubstr("cannot be saved"))));
}

}  // namespace
}  // namespace oom
