#include "collectors/oom/oom_kills.h"

#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "collectors/kernel/kmsg/log_line.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// ---------------------------------------------------------------------------
// Lines in the kernel's formats (docs/kernel-formats.md), with
// the values of real logs in tests/fixtures/kmsg/corpus.

constexpr std::string_view kHeader =
    "python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, "
    "oom_score_adj=0";

// "[  <second>.000000] <text>", as dmesg prints it.
std::string Dmesg(int second, std::string_view text) {
  return "[" + std::to_string(second) + ".000000] " + std::string(text);
}

// A 5.0+ summary line (linux-6.18-dmesg-this-machine.log, line 77).
std::string Summary(int64_t pid, std::string_view comm, int64_t uid = 0,
                    std::string_view oom_memcg = "/corpus_a",
                    std::string_view task_memcg = "/corpus_a/job") {
  return "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
         "mems_allowed=0,oom_memcg=" +
         std::string(oom_memcg) + ",task_memcg=" + std::string(task_memcg) +
         ",task=" + std::string(comm) + ",pid=" + std::to_string(pid) +
         ",uid=" + std::to_string(uid);
}

// A 5.0-next kill line: prefix, no UID (linux-5.0-next-dmesg-quoted-...).
std::string Kill50(int64_t pid, std::string_view comm = "a.out") {
  return "Memory cgroup out of memory: Killed process " + std::to_string(pid) +
         " (" + std::string(comm) +
         ") total-vm:14456kB, anon-rss:10324kB, file-rss:504kB, shmem-rss:0kB";
}

// A 6.x kill line (linux-6.18-dmesg-this-machine.log, line 78).
std::string Kill6(int64_t pid, std::string_view comm = "python3") {
  return "Memory cgroup out of memory: Killed process " + std::to_string(pid) +
         " (" + std::string(comm) +
         ") total-vm:75160kB, anon-rss:65280kB, file-rss:6552kB, "
         "shmem-rss:0kB, UID:0 pgtables:188kB oom_score_adj:0";
}

// A 4.x kill line: no prefix, no UID (linux-4.9-dmesg-printk-dropped-...).
std::string Kill49(int64_t pid, std::string_view comm = "a.out") {
  return "Killed process " + std::to_string(pid) + " (" + std::string(comm) +
         ") total-vm:4168kB, anon-rss:84kB, file-rss:0kB, shmem-rss:0kB";
}

std::string Reaped(int64_t pid, std::string_view comm) {
  return "oom_reaper: reaped process " + std::to_string(pid) + " (" +
         std::string(comm) + "), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB";
}

std::vector<int64_t> Pids(const std::vector<OomKill>& kills) {
  std::vector<int64_t> pids;
  for (const OomKill& kill : kills) pids.push_back(kill.pid);
  return pids;
}

class KillAssemblerTest : public ::testing::Test {
 protected:
  // Parses `raw` as one log line and feeds it.
  void Add(std::string_view raw) {
    LogLine line;
    ParseLogLine(raw, &line);
    assembler_.Add(line, &events_);
  }
  // Feeds "[  t.000000] text" lines, t counting up from 100.
  void Feed(const std::vector<std::string>& texts) {
    for (const std::string& text : texts) Add(Dmesg(second_++, text));
  }
  void Flush() { assembler_.Flush(&events_); }

  KillAssembler assembler_;
  KillAssembler::Events events_;
  int second_ = 100;
};

// ---------------------------------------------------------------------------
// Counting rules.

TEST_F(KillAssemblerTest, KillLineIsCounted) {
  Feed({std::string(kHeader), Kill6(25121)});
  ASSERT_EQ(events_.kills.size(), 1u);
  const OomKill& kill = events_.kills[0];
  EXPECT_EQ(kill.pid, 25121);
  EXPECT_EQ(kill.comm, "python3");
  EXPECT_EQ(kill.scope, OomScope::kMemcg);
  EXPECT_EQ(kill.total_vm_kb, 75160u);
  EXPECT_EQ(kill.anon_rss_kb, 65280u);
  EXPECT_EQ(kill.file_rss_kb, 6552u);
  EXPECT_EQ(kill.shmem_rss_kb, 0u);
  EXPECT_EQ(kill.uid, 0);
  EXPECT_EQ(kill.pgtables_kb, 188u);
  EXPECT_EQ(kill.oom_score_adj, 0);
  EXPECT_FALSE(kill.score.has_value());
  EXPECT_FALSE(kill.reaped);
  EXPECT_EQ(kill.timestamp, "101.000000");
  EXPECT_FALSE(kill.kmsg_sequence.has_value());
  EXPECT_EQ(assembler_.invocations(), 1u);
  Flush();
  EXPECT_EQ(events_.kills.size(), 1u);
}

TEST_F(KillAssemblerTest, KmsgRecordGivesSequenceAndClock) {
  // linux-6.18-kmsg-raw-this-machine.log, records 973 and 1050.
  Add("4,973,1504398547,-;" + std::string(kHeader));
  Add("3,1050,1504398833,-;" + Kill6(25121));
  ASSERT_EQ(events_.kills.size(), 1u);
  EXPECT_EQ(events_.kills[0].kmsg_sequence, 1050u);
  EXPECT_EQ(events_.kills[0].kmsg_timestamp_us, 1504398833u);
  EXPECT_EQ(events_.kills[0].timestamp, "1504398833");
}

TEST_F(KillAssemblerTest, HeaderIsNeverAKill) {
  Feed({std::string(kHeader)});
  Flush();
  EXPECT_THAT(events_.kills, IsEmpty());
  EXPECT_EQ(assembler_.invocations(), 1u);
  Feed({std::string(kHeader), std::string(kHeader)});
  Flush();
  EXPECT_THAT(events_.kills, IsEmpty());
  EXPECT_EQ(assembler_.invocations(), 3u);
  EXPECT_FALSE(assembler_.has_pending());
}

TEST_F(KillAssemblerTest, SummaryAndKillLineAreOneKill) {
  Feed({std::string(kHeader),
        Summary(9188, "a.out", 1000, "/test1", "/test1/job")});
  EXPECT_TRUE(assembler_.has_pending());
  EXPECT_THAT(events_.kills, IsEmpty());
  Feed({Kill50(9188)});
  EXPECT_FALSE(assembler_.has_pending());
  Flush();
  ASSERT_EQ(events_.kills.size(), 1u);
  const OomKill& kill = events_.kills[0];
  EXPECT_EQ(kill.pid, 9188);
  EXPECT_EQ(kill.comm, "a.out");
  EXPECT_EQ(kill.scope, OomScope::kMemcg);
  EXPECT_EQ(kill.constraint, "CONSTRAINT_MEMCG");
  EXPECT_EQ(kill.oom_memcg, "/test1");
  EXPECT_EQ(kill.task_memcg, "/test1/job");
  EXPECT_EQ(kill.uid, 1000);  // from the summary: this kill line has none
  EXPECT_EQ(kill.total_vm_kb, 14456u);
  EXPECT_EQ(kill.timestamp, "102.000000");  // the kill line's
  EXPECT_EQ(assembler_.invocations(), 1u);
}

TEST_F(KillAssemblerTest, SummaryAloneIsCountedAtFlush) {
  Feed({std::string(kHeader), Summary(32550, "uvicorn", 525287)});
  EXPECT_THAT(events_.kills, IsEmpty());
  EXPECT_TRUE(assembler_.has_pending());
  Flush();
  EXPECT_FALSE(assembler_.has_pending());
  ASSERT_EQ(events_.kills.size(), 1u);
  const OomKill& kill = events_.kills[0];
  EXPECT_EQ(kill.pid, 32550);
  EXPECT_EQ(kill.comm, "uvicorn");
  EXPECT_EQ(kill.uid, 525287);
  EXPECT_EQ(kill.scope, OomScope::kMemcg);
  EXPECT_EQ(kill.constraint, "CONSTRAINT_MEMCG");
  EXPECT_EQ(kill.oom_memcg, "/corpus_a");
  EXPECT_EQ(kill.task_memcg, "/corpus_a/job");
  EXPECT_FALSE(kill.total_vm_kb.has_value());
  EXPECT_FALSE(kill.anon_rss_kb.has_value());
  EXPECT_FALSE(kill.reaped);
  EXPECT_EQ(kill.timestamp, "101.000000");  // the summary's
  EXPECT_EQ(assembler_.invocations(), 1u);
  // Flushing again counts nothing more.
  Flush();
  EXPECT_EQ(events_.kills.size(), 1u);
}

TEST_F(KillAssemblerTest, SummaryAloneIsCountedByTheNextHeader) {
  Feed({std::string(kHeader), Summary(32550, "uvicorn")});
  EXPECT_THAT(events_.kills, IsEmpty());
  Feed({std::string(kHeader)});
  EXPECT_THAT(Pids(events_.kills), ElementsAre(32550));
  EXPECT_FALSE(assembler_.has_pending());
  EXPECT_EQ(assembler_.invocations(), 2u);
  Flush();
  EXPECT_EQ(events_.kills.size(), 1u);
}

TEST_F(KillAssemblerTest, SummaryAloneIsCountedByTheNextSummary) {
  Feed({std::string(kHeader), Summary(1, "first"), Summary(2, "second")});
  // The first one's kill line was lost: it is counted from its summary.
  ASSERT_THAT(Pids(events_.kills), ElementsAre(1));
  EXPECT_EQ(events_.kills[0].comm, "first");
  EXPECT_TRUE(assembler_.has_pending());
  Feed({Kill50(2, "second")});
  Flush();
  EXPECT_THAT(Pids(events_.kills), ElementsAre(1, 2));
  EXPECT_EQ(events_.kills[1].total_vm_kb, 14456u);  // from its kill line
}

TEST_F(KillAssemblerTest, TwoSummariesInARowBothCountAtFlush) {
  Feed({std::string(kHeader), Summary(1, "first"), Summary(2, "second")});
  Flush();
  EXPECT_THAT(Pids(events_.kills), ElementsAre(1, 2));
}

// el7-3.10-syslog-quoted-burst-no-header.log: the kernel rate-limits
// headers, not kill lines.
TEST_F(KillAssemblerTest, KillBurstAfterOneHeader) {
  Feed({std::string(kHeader), Kill49(799153), Kill49(799402), Kill49(799889),
        Kill49(799707), Kill49(799791)});
  Flush();
  EXPECT_THAT(Pids(events_.kills),
              ElementsAre(799153, 799402, 799889, 799707, 799791));
  // One invocation per kill: the header's, and one implied for each kill
  // whose header was suppressed.
  EXPECT_EQ(assembler_.invocations(), 5u);
}

TEST_F(KillAssemblerTest, KillBurstWithoutAnyHeader) {
  Feed({Kill49(1), Kill49(2), Kill49(3), Kill49(4), Kill49(5)});
  Flush();
  EXPECT_THAT(Pids(events_.kills), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_EQ(assembler_.invocations(), 5u);
}

// linux-5.0-next-dmesg-quoted-oom-group-caller-id.log in short: the first
// victim is printed again after "Tasks in ... memory.oom.group".
TEST_F(KillAssemblerTest, MemoryOomGroupCountsEveryMemberOnce) {
  Feed({std::string(kHeader), Summary(9188, "a.out", 0, "/test1", "/test1"),
        Kill50(9188),
        "Tasks in /test1 are going to be killed due to memory.oom.group set",
        Kill50(9188), Kill50(1, "systemd"), Kill50(9182)});
  Flush();
  ASSERT_THAT(Pids(events_.kills), ElementsAre(9188, 1, 9182));
  EXPECT_EQ(assembler_.invocations(), 1u);
  EXPECT_EQ(assembler_.repeated_kills(), 1u);  // 9188's second kill line
  // The first victim has the summary's own fields.
  EXPECT_EQ(events_.kills[0].task_memcg, "/test1");
  EXPECT_EQ(events_.kills[0].uid, 0);
  // Every member shares the event's constraint and oom_memcg; task_memcg and
  // uid described the first victim only.
  for (std::size_t i = 1; i < 3; ++i) {
    SCOPED_TRACE(i);
    const OomKill& kill = events_.kills[i];
    EXPECT_EQ(kill.scope, OomScope::kMemcg);
    EXPECT_EQ(kill.constraint, "CONSTRAINT_MEMCG");
    EXPECT_EQ(kill.oom_memcg, "/test1");
    EXPECT_FALSE(kill.task_memcg.has_value());
    EXPECT_FALSE(kill.uid.has_value());
  }
  EXPECT_EQ(events_.kills[1].comm, "systemd");
}

// The kernel prints every member of a memory.oom.group kill with the same
// message prefix. A kill line with another prefix after a group kill (its
// header rate-limited) belongs to a new OOM event.
TEST_F(KillAssemblerTest, GlobalKillAfterAGroupKillIsANewEvent) {
  Feed({std::string(kHeader), Summary(9188, "a.out", 0, "/test1", "/test1"),
        Kill50(9188),
        "Tasks in /test1 are going to be killed due to memory.oom.group set",
        Kill50(9182),
        "Out of memory: Killed process 77 (other) total-vm:1kB, anon-rss:2kB, "
        "file-rss:3kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0"});
  Flush();
  ASSERT_THAT(Pids(events_.kills), ElementsAre(9188, 9182, 77));
  const OomKill& other = events_.kills[2];
  EXPECT_EQ(other.scope, OomScope::kGlobal);
  EXPECT_FALSE(other.oom_memcg.has_value());
  EXPECT_FALSE(other.constraint.has_value());
  EXPECT_EQ(assembler_.invocations(), 2u);
  EXPECT_EQ(assembler_.repeated_kills(), 0u);
}

// memory.oom.group as Linux 6.12 logs it (debian-6.12-kmsg-raw-vm-oom-group,
// records 666 and 767-772): the kernel kills its chosen victim, hog 273,
// then every process of the group, hog again among them. Three kills, and
// one repeated kill line, which /proc/vmstat oom_kill counts as a kill.
constexpr std::string_view kGroupKill612[] = {
    "4,666,6147425,-;hog invoked oom-killer: "
    "gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
    "6,767,6152703,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=("
    "null),cpuset=/,mems_allowed=0,oom_memcg=/grp,task_memcg=/grp,"
    "task=hog,pid=273,uid=0",
    "3,768,6152813,-;Memory cgroup out of memory: Killed process 273 "
    "(hog) total-vm:31860kB, anon-rss:30336kB, file-rss:0kB, "
    "shmem-rss:648kB, UID:0 pgtables:100kB oom_score_adj:0",
    "6,769,6152901,-;Tasks in /grp are going to be killed due to "
    "memory.oom.group set",
    "3,770,6152977,-;Memory cgroup out of memory: Killed process 257 "
    "(sleeper) total-vm:2048kB, anon-rss:1024kB, file-rss:0kB, "
    "shmem-rss:648kB, UID:0 pgtables:40kB oom_score_adj:0",
    "3,771,6159959,-;Memory cgroup out of memory: Killed process 265 "
    "(sleeper) total-vm:2048kB, anon-rss:1024kB, file-rss:0kB, "
    "shmem-rss:648kB, UID:0 pgtables:36kB oom_score_adj:0",
    "3,772,6160035,-;Memory cgroup out of memory: Killed process 273 "
    "(hog) total-vm:31860kB, anon-rss:30336kB, file-rss:0kB, "
    "shmem-rss:648kB, UID:0 pgtables:100kB oom_score_adj:0",
};

TEST_F(KillAssemblerTest, GroupKillRepeatingItsVictimCountsTheRepeatApart) {
  for (std::string_view record : kGroupKill612) {
    Add(record);
    if (record.substr(0, 6) == "3,771,") {
      EXPECT_EQ(assembler_.repeated_kills(), 0u);  // no repeat yet
    }
  }
  Flush();
  EXPECT_THAT(Pids(events_.kills), ElementsAre(273, 257, 265));
  EXPECT_EQ(events_.kills[0].kmsg_sequence, 768u);  // the first kill line's
  EXPECT_EQ(assembler_.repeated_kills(), 1u);
  EXPECT_EQ(assembler_.invocations(), 1u);
}

// A member of a memory.oom.group kill that is already exiting does not end
// the group. The kernel kills each member in turn and prints
//   "<msg>: OOM victim N (comm) is already exiting. Skip killing the task"
// instead of a kill line for a member with no mm left (between exit_mm and
// cgroup_exit), then goes on with the next
// (docs/kernel-formats.md#group-kills). The records are those of
// debian-6.12-kmsg-raw-vm-oom-group.log (666, 767-772) with such a line for a
// third sleeper, 260, in the middle of the group. The assembler once took that
// line for an OOM event of its own, so 265 lost the group's constraint and
// oom_memcg (cgroup ""), 273 was counted again as a new kill, and 4 invocations
// were counted: 4 kills, 0 repeats.
TEST_F(KillAssemblerTest, AnExitingMemberInTheMiddleOfAGroupKillEndsNothing) {
  // The records above, with that line after the first sleeper's kill; the
  // two kill lines after it move one sequence number on.
  std::vector<std::string> records(std::begin(kGroupKill612),
                                   std::begin(kGroupKill612) + 5);
  records.push_back(
      "6,771,6153020,-;Memory cgroup out of memory: OOM victim 260 "
      "(sleeper) is already exiting. Skip killing the task");
  records.push_back("3,772" + std::string(kGroupKill612[5].substr(5)));
  records.push_back("3,773" + std::string(kGroupKill612[6].substr(5)));
  for (const std::string& record : records) {
    Add(record);
  }
  Flush();
  EXPECT_THAT(Pids(events_.kills), ElementsAre(273, 257, 265));
  EXPECT_EQ(assembler_.repeated_kills(), 1u);
  EXPECT_EQ(assembler_.invocations(), 1u);
  ASSERT_EQ(events_.kills.size(), 3u);
  EXPECT_EQ(events_.kills[2].constraint, "CONSTRAINT_MEMCG");
  EXPECT_EQ(events_.kills[2].oom_memcg, "/grp");
}

// A group kill whose chosen victim is not printed again (as in
// linux-5.0-next-dmesg-quoted-oom-group-caller-id.log) repeats nothing; a
// later group kill that prints its victim again repeats one line.
TEST_F(KillAssemblerTest, OnlyAVictimPrintedAgainIsARepeat) {
  const std::string group =
      "Tasks in /test1 are going to be killed due to memory.oom.group set";
  Feed({std::string(kHeader), Summary(9188, "a.out", 0, "/test1", "/test1"),
        Kill50(9188), group, Kill50(1, "systemd"), Kill50(9182)});
  EXPECT_EQ(assembler_.repeated_kills(), 0u);
  Feed({std::string(kHeader), Summary(9190, "a.out", 0, "/test1", "/test1"),
        Kill50(9190), group, Kill50(9191), Kill50(9190)});
  Flush();
  EXPECT_THAT(Pids(events_.kills), ElementsAre(9188, 1, 9182, 9190, 9191));
  EXPECT_EQ(assembler_.repeated_kills(), 1u);
  EXPECT_EQ(assembler_.invocations(), 2u);
}

// Feeds a log of tests/fixtures/kmsg/corpus line by line, calling
// `before_line` with each raw line before it is fed.
template <typename BeforeLine>
void AssembleCorpusLog(std::string_view name, KillAssembler* assembler,
                       KillAssembler::Events* events, BeforeLine before_line) {
  const std::string text = ::oom::testing::ReadSourceFile(
      "tests/fixtures/kmsg/corpus/" + std::string(name));
  ASSERT_FALSE(text.empty()) << name;
  LogLine line;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t end = rest.find('\n');
    std::string_view raw = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    before_line(raw);
    ParseLogLine(raw, &line);
    assembler->Add(line, events);
  }
  assembler->Flush(events);
}

// Real group kills. Linux 5.0-next printed its group's victim once
// (linux-5.0-next-dmesg-quoted-oom-group-caller-id.log, SOURCES.md decision
// 3): twelve kills, no repeat. The logs of the QEMU VMs of tests/vm (Debian
// 5.10, 6.1, 6.12; SOURCES.md decision 8): three plain memcg kills repeat
// nothing; the group kill of hog and two sleepers repeats hog's line once.
// There the kernel counted 7 kills (/proc/vmstat oom_kill): 6 processes + 1.
TEST(KillAssemblerCorpusTest, OnlyAGroupKillPrintingItsVictimTwiceRepeats) {
  {
    SCOPED_TRACE("linux-5.0-next");
    KillAssembler assembler;
    KillAssembler::Events events;
    AssembleCorpusLog("linux-5.0-next-dmesg-quoted-oom-group-caller-id.log",
                      &assembler, &events, [](std::string_view) {});
    EXPECT_EQ(events.kills.size(), 12u);
    EXPECT_EQ(assembler.repeated_kills(), 0u);
  }
  for (std::string_view name : {"debian-5.10-kmsg-raw-vm-oom-group.log",
                                "debian-6.1-kmsg-raw-vm-oom-group.log",
                                "debian-6.12-kmsg-raw-vm-oom-group.log"}) {
    SCOPED_TRACE(name);
    KillAssembler assembler;
    KillAssembler::Events events;
    bool group_seen = false;
    AssembleCorpusLog(name, &assembler, &events, [&](std::string_view raw) {
      if (raw.find("Tasks in /grp are going to be killed") ==
          std::string_view::npos) {
        return;
      }
      group_seen = true;
      // The three plain kills and the group's victim so far.
      EXPECT_EQ(events.kills.size(), 4u);
      EXPECT_EQ(assembler.repeated_kills(), 0u);
    });
    EXPECT_TRUE(group_seen);
    EXPECT_EQ(events.kills.size(), 6u);
    EXPECT_EQ(assembler.repeated_kills(), 1u);
    EXPECT_EQ(assembler.invocations(), 4u);
    EXPECT_EQ(events.kills.size() + assembler.repeated_kills(), 7u);
  }
}

// A reaper line for an earlier victim the assembler does not know (its
// kill line lost) printed by the oom_reaper thread between the summary
// and the kill line of the current OOM.
TEST_F(KillAssemblerTest, UnknownReaperBetweenSummaryAndKillLine) {
  Feed({std::string(kHeader), Summary(25121, "python3"),
        Reaped(21525, "trinity-c15"), Kill6(25121)});
  Flush();
  EXPECT_THAT(Pids(events_.kills), ElementsAre(21525, 25121));
}

// ubuntu-5.0-rsyslog-k8s-summary-parent-child.log: on 5.0 the summary and
// the selection line name the parent, the kill line a child. One kill.
TEST_F(KillAssemblerTest, SummaryOfTheParentAndKillOfAChildAreOneKill) {
  Feed(
      {"nginx invoked oom-killer: gfp_mask=0x7080c0(GFP_KERNEL_ACCOUNT|"
       "__GFP_ZERO), order=0, oom_score_adj=999",
       Summary(22232, "nginx", 0, "/kubepods/burstable/pod1",
               "/kubepods/burstable/pod1/c1"),
       "Memory cgroup out of memory: Kill process 22232 (nginx) score 1182 "
       "or sacrifice child",
       "Killed process 22964 (nginx) total-vm:14136kB, anon-rss:844kB, "
       "file-rss:4kB, shmem-rss:0kB"});
  Flush();
  ASSERT_THAT(Pids(events_.kills), ElementsAre(22964));
  const OomKill& kill = events_.kills[0];
  EXPECT_EQ(kill.score, 1182);
  EXPECT_EQ(kill.oom_memcg, "/kubepods/burstable/pod1");
  EXPECT_EQ(kill.task_memcg, "/kubepods/burstable/pod1/c1");
  EXPECT_EQ(kill.uid, 0);
  EXPECT_EQ(kill.total_vm_kb, 14136u);
}

// 5.1+ kernels kill the process the summary names. A summary whose kill
// line is missing, followed by the (header-less) kill line of another pid
// and another OOM: two kills (rootless-kind-6.x-... then rpi-6.1-... of the
// corpus, read as one stream).
TEST_F(KillAssemblerTest, SummaryThenKillLineOfAnotherPidAreTwoKills) {
  Feed({Summary(32550, "uvicorn", 525287, "/pod", "/pod/c"),
        "Out of memory: Killed process 116013 (celery) total-vm:1452108kB, "
        "anon-rss:1217700kB, file-rss:0kB, shmem-rss:0kB, UID:1000 "
        "pgtables:2584kB oom_score_adj:0"});
  Flush();
  ASSERT_THAT(Pids(events_.kills), ElementsAre(32550, 116013));
  const OomKill& celery = events_.kills[1];
  EXPECT_EQ(celery.scope, OomScope::kGlobal);
  EXPECT_FALSE(celery.constraint.has_value());
  EXPECT_FALSE(celery.oom_memcg.has_value());
  EXPECT_FALSE(celery.task_memcg.has_value());
  EXPECT_EQ(celery.uid, 1000);
}

TEST_F(KillAssemblerTest, ReaperAfterKillMarksIt) {
  Feed({std::string(kHeader), Kill49(2279, "Web Content"),
        Reaped(2279, "Web Content")});
  Flush();
  EXPECT_THAT(Pids(events_.kills), ElementsAre(2279));
  EXPECT_THAT(events_.reaped_pids, ElementsAre(2279));
  EXPECT_EQ(assembler_.invocations(), 1u);
}

TEST_F(KillAssemblerTest, ReaperBetweenSummaryAndKillLine) {
  Feed({std::string(kHeader), Summary(5, "x"), Reaped(5, "x"), Kill50(5, "x")});
  Flush();
  ASSERT_THAT(Pids(events_.kills), ElementsAre(5));
  EXPECT_TRUE(events_.kills[0].reaped);
  EXPECT_THAT(events_.reaped_pids, IsEmpty());
}

// linux-4.7-dmesg-reaper-without-kill-line.log: pids with reaper lines and
// no kill line.
TEST_F(KillAssemblerTest, ReaperWithoutKillLineCountsOncePerPid) {
  Feed({Reaped(21525, "trinity-c15"), Reaped(21525, "trinity-c15"),
        Reaped(26334, "trinity-c4"), Reaped(21525, "trinity-c15"),
        Reaped(26334, "trinity-c4")});
  Flush();
  ASSERT_THAT(Pids(events_.kills), ElementsAre(21525, 26334));
  for (const OomKill& kill : events_.kills) {
    EXPECT_TRUE(kill.reaped);
    EXPECT_FALSE(kill.scope.has_value());
    EXPECT_FALSE(kill.total_vm_kb.has_value());  // residuals are not sizes
    EXPECT_FALSE(kill.anon_rss_kb.has_value());
    EXPECT_FALSE(kill.shmem_rss_kb.has_value());
  }
  EXPECT_EQ(events_.kills[0].comm, "trinity-c15");
  EXPECT_EQ(events_.kills[0].timestamp, "100.000000");  // its first line
  EXPECT_EQ(events_.kills[1].comm, "trinity-c4");
  EXPECT_EQ(events_.kills[1].timestamp, "102.000000");
  EXPECT_THAT(events_.reaped_pids, ElementsAre(21525, 21525, 26334));
  EXPECT_EQ(assembler_.invocations(), 2u);
}

TEST_F(KillAssemblerTest, ReaperForAKillStillRemembered) {
  Feed({Kill49(1, "victim")});
  for (int i = 0; i < 4095; ++i) Feed({Kill49(100000 + i)});
  Feed({Reaped(1, "victim")});
  EXPECT_EQ(events_.kills.size(), 4096u);
  EXPECT_THAT(events_.reaped_pids, ElementsAre(1));
}

// The assembler remembers the pids of the last 4096 kills. A reaper line for
// a kill older than that (5000 kills earlier) looks like a reaper-only kill
// and is counted as a new kill with reaped=true. (In practice the reaper runs
// within a second of its kill; the same pid may well be a new victim.)
TEST_F(KillAssemblerTest, ReaperForAKillBeyondTheWindowIsCountedAgain) {
  Feed({Kill49(1, "victim")});
  for (int i = 0; i < 5000; ++i) Feed({Kill49(100000 + i)});
  Feed({Reaped(1, "victim")});
  Flush();
  ASSERT_EQ(events_.kills.size(), 5002u);
  const OomKill& last = events_.kills.back();
  EXPECT_EQ(last.pid, 1);
  EXPECT_EQ(last.comm, "victim");
  EXPECT_TRUE(last.reaped);
  EXPECT_THAT(events_.reaped_pids, IsEmpty());
}

// el7-3.10-syslog-docker-parent-child.log: the selection line names the
// parent, the kill line a child.
TEST_F(KillAssemblerTest, SelectionThenKillOfAChild) {
  Feed(
      {"palo_be invoked oom-killer: gfp_mask=0xd0, order=0, "
       "oom_score_adj=0",
       "Memory cgroup out of memory: Kill process 24984 (palo_be) score 968 "
       "or sacrifice child",
       "Killed process 18177 (palo_be), UID 0, total-vm:70347780kB, "
       "anon-rss:45563572kB, file-rss:0kB, shmem-rss:0kB"});
  Flush();
  ASSERT_THAT(Pids(events_.kills), ElementsAre(18177));
  const OomKill& kill = events_.kills[0];
  EXPECT_EQ(kill.score, 968);
  EXPECT_EQ(kill.scope, OomScope::kMemcg);  // from the selection line
  EXPECT_EQ(kill.uid, 0);
  EXPECT_EQ(kill.anon_rss_kb, 45563572u);
  EXPECT_EQ(assembler_.invocations(), 1u);
}

TEST_F(KillAssemblerTest, TaskInGivesBothMemcgs) {
  Feed(
      {"java invoked oom-killer: gfp_mask=0xd0, order=0, "
       "oom_score_adj=-998",
       "Task in /docker/abc killed as a result of limit of /docker",
       "Memory cgroup out of memory: Kill process 5 (java) score 10 or "
       "sacrifice child",
       "Killed process 5 (java) total-vm:1kB, anon-rss:2kB, file-rss:3kB"});
  Flush();
  ASSERT_THAT(Pids(events_.kills), ElementsAre(5));
  const OomKill& kill = events_.kills[0];
  EXPECT_EQ(kill.task_memcg, "/docker/abc");
  EXPECT_EQ(kill.oom_memcg, "/docker");
  EXPECT_EQ(kill.scope, OomScope::kMemcg);
  EXPECT_EQ(kill.score, 10);
}

TEST_F(KillAssemblerTest, TaskInWithoutSelectionLine) {
  Feed({"Task in /docker/abc killed as a result of limit of /docker",
        "Killed process 5 (java) total-vm:1kB, anon-rss:2kB, file-rss:3kB"});
  Flush();
  ASSERT_THAT(Pids(events_.kills), ElementsAre(5));
  EXPECT_EQ(events_.kills[0].task_memcg, "/docker/abc");
  EXPECT_EQ(events_.kills[0].oom_memcg, "/docker");
  EXPECT_EQ(events_.kills[0].scope, OomScope::kMemcg);
  EXPECT_EQ(assembler_.invocations(), 1u);
}

// arch-6.1-journalctl-kill-before-summary-no-host.log, as pasted.
TEST_F(KillAssemblerTest, SummaryAfterItsKillLineAmendsIt) {
  Add("Jan 09 14:15:16 kernel: Out of memory: Killed process 569725 "
      "(uvicorn) total-vm:44099472kB, anon-rss:19645212kB, "
      "file-rss:200140kB, shmem-rss:16384kB, UID:1000 pgtables:41196kB "
      "oom_score_adj:0");
  Add("Jan 09 14:15:16 kernel: oom-kill:constraint=CONSTRAINT_NONE,"
      "nodemask=(null),cpuset=user.slice,mems_allowed=0,global_oom,"
      "task_memcg=/user.slice/user-1000.slice/session-1.scope,task=uvicorn,"
      "pid=569725,uid=1000");
  EXPECT_FALSE(assembler_.has_pending());
  Flush();
  ASSERT_THAT(Pids(events_.kills), ElementsAre(569725));
  EXPECT_FALSE(events_.kills[0].constraint.has_value());
  ASSERT_EQ(events_.amendments.size(), 1u);
  const OomKill& amendment = events_.amendments[0];
  EXPECT_EQ(amendment.pid, 569725);
  EXPECT_EQ(amendment.scope, OomScope::kGlobal);
  EXPECT_EQ(amendment.constraint, "CONSTRAINT_NONE");
  EXPECT_FALSE(amendment.oom_memcg.has_value());
  EXPECT_EQ(amendment.task_memcg,
            "/user.slice/user-1000.slice/session-1.scope");
  EXPECT_EQ(amendment.uid, 1000);
  EXPECT_EQ(assembler_.invocations(), 1u);
}

TEST_F(KillAssemblerTest, SummaryOfAnotherPidAfterAKillIsNotAnAmendment) {
  Feed({Kill49(7), Summary(8, "other")});
  EXPECT_TRUE(assembler_.has_pending());
  Flush();
  EXPECT_THAT(Pids(events_.kills), ElementsAre(7, 8));
  EXPECT_THAT(events_.amendments, IsEmpty());
}

TEST_F(KillAssemblerTest, AlreadyExitingIsNotAKill) {
  Feed({std::string(kHeader),
        "Memory cgroup out of memory: OOM victim 1234 (java) is already "
        "exiting. Skip killing the task"});
  Flush();
  EXPECT_THAT(events_.kills, IsEmpty());
  EXPECT_EQ(assembler_.invocations(), 1u);
  EXPECT_EQ(assembler_.unrecognized(), 0u);
}

TEST_F(KillAssemblerTest, PanicsAreCounted) {
  Feed(
      {"Kernel panic - not syncing: Out of memory: compulsory panic_on_oom "
       "is enabled",
       "Kernel panic - not syncing: Out of memory: system-wide panic_on_oom "
       "is enabled",
       "Kernel panic - not syncing: Out of memory and no killable "
       "processes...",
       "Kernel panic - not syncing: Attempted to kill init! "
       "exitcode=0x0000008b"});
  Flush();
  EXPECT_EQ(assembler_.panics(), 3u);
  EXPECT_THAT(events_.kills, IsEmpty());
  EXPECT_EQ(assembler_.invocations(), 0u);
}

// linux-5.10-dmesg-panic-deadlocked-padded.log, lines 1-2: one panic.
TEST_F(KillAssemblerTest, DeadlockPanicIsCountedOnce) {
  Add("[ 3893.943876] Out of memory and no killable processes...");
  Add("[ 3893.943877] Kernel panic - not syncing: System is deadlocked on "
      "memory");
  EXPECT_EQ(assembler_.panics(), 1u);
}

TEST_F(KillAssemblerTest, UnrecognizedLinesAreCounted) {
  Feed({"Killed process abc", "oom-kill:garbage", "oom_reaper: something new"});
  Flush();
  EXPECT_EQ(assembler_.unrecognized(), 3u);
  EXPECT_THAT(events_.kills, IsEmpty());
  EXPECT_EQ(assembler_.invocations(), 0u);
  EXPECT_EQ(assembler_.panics(), 0u);
}

TEST_F(KillAssemblerTest, NonKernelLinesAreIgnored) {
  const std::string kill = Kill6(25121);
  // A program's syslog line and a userspace /dev/kmsg record.
  Add("Jul 12 10:00:01 host myapp[5]: " + kill);
  Add("Jul 12 10:00:01 host myapp[5]: " + std::string(kHeader));
  Add("Jul 12 10:00:01 host myapp[5]: " + Summary(3, "x"));
  Add("Jul 12 10:00:01 host myapp[5]: Killed process abc");
  Add("14,1,2,-;" + kill);
  Add("14,2,3,-;Kernel panic - not syncing: System is deadlocked on memory");
  // And a LogLine a caller marked itself.
  LogLine line;
  ParseLogLine(kill, &line);
  line.is_kernel = false;
  assembler_.Add(line, &events_);
  Flush();
  EXPECT_THAT(events_.kills, IsEmpty());
  EXPECT_FALSE(assembler_.has_pending());
  EXPECT_EQ(assembler_.invocations(), 0u);
  EXPECT_EQ(assembler_.unrecognized(), 0u);
  EXPECT_EQ(assembler_.panics(), 0u);
}

TEST_F(KillAssemblerTest, OtherLinesChangeNothing) {
  Feed({" oom_kill_process+0x1a5/0x4b0", "Mem-Info:",
        "[  25121]     0 25121    18790    17958    16320     1638         0 "
        "  192512        0             0 python3"});
  Flush();
  EXPECT_THAT(events_.kills, IsEmpty());
  EXPECT_EQ(assembler_.invocations(), 0u);
  EXPECT_EQ(assembler_.unrecognized(), 0u);
}

TEST_F(KillAssemblerTest, HasPendingOnlyBetweenSummaryAndKillLine) {
  EXPECT_FALSE(assembler_.has_pending());
  Feed({std::string(kHeader)});
  EXPECT_FALSE(assembler_.has_pending());
  Feed({Summary(25121, "python3")});
  EXPECT_TRUE(assembler_.has_pending());
  Feed({" oom_kill_process+0x1a5/0x4b0"});  // unrelated lines keep it
  EXPECT_TRUE(assembler_.has_pending());
  Feed({Kill6(25121)});
  EXPECT_FALSE(assembler_.has_pending());
}

// A cut summary (nixos-6.12-journalctl-truncated-summary-out-of-order.log)
// is context for the kill line, never a kill by itself.
TEST_F(KillAssemblerTest, CutSummaryIsContextOnly) {
  Feed(
      {"oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=systemd-"
       "oomd.service,mems_allowed=0,global_oom,task_memcg=/user.slice/vte-s>"});
  EXPECT_FALSE(assembler_.has_pending());
  Feed(
      {"Out of memory: Killed process 1055041 (nix-env) total-vm:5120116kB, "
       "anon-rss:5048356kB, file-rss:612kB, shmem-rss:0kB, UID:0 "
       "pgtables:10032kB oom_score_adj:200"});
  Flush();
  ASSERT_THAT(Pids(events_.kills), ElementsAre(1055041));
  EXPECT_EQ(events_.kills[0].constraint, "CONSTRAINT_NONE");
  EXPECT_FALSE(events_.kills[0].task_memcg.has_value());
  EXPECT_EQ(events_.kills[0].scope, OomScope::kGlobal);
  EXPECT_EQ(assembler_.invocations(), 1u);
}

// ---------------------------------------------------------------------------
// OomKill helpers.

TEST(OomKillTest, RssBytes) {
  OomKill kill;
  EXPECT_FALSE(kill.RssBytes().has_value());
  kill.shmem_rss_kb = 1;
  EXPECT_EQ(kill.RssBytes(), 1024u);
  kill.anon_rss_kb = 65280;
  kill.file_rss_kb = 6552;
  EXPECT_EQ(kill.RssBytes(), (65280u + 6552u + 1u) * 1024u);
}

TEST(OomKillTest, ScopeName) {
  EXPECT_EQ(ScopeName(std::nullopt), "");
  EXPECT_EQ(ScopeName(OomScope::kGlobal), "global");
  EXPECT_EQ(ScopeName(OomScope::kMemcg), "memcg");
}

TEST(OomKillTest, AmendKillFillsOnlyUnsetFields) {
  OomKill kill;
  kill.pid = 7;
  kill.uid = 5;
  kill.task_memcg = "/own";
  OomKill amendment;
  amendment.pid = 7;
  amendment.scope = OomScope::kGlobal;
  amendment.constraint = "CONSTRAINT_NONE";
  amendment.oom_memcg = "/limit";
  amendment.task_memcg = "/other";
  amendment.uid = 1000;
  AmendKill(amendment, &kill);
  EXPECT_EQ(kill.scope, OomScope::kGlobal);
  EXPECT_EQ(kill.constraint, "CONSTRAINT_NONE");
  EXPECT_EQ(kill.oom_memcg, "/limit");
  EXPECT_EQ(kill.task_memcg, "/own");
  EXPECT_EQ(kill.uid, 5);
}

// ---------------------------------------------------------------------------
// The field table and the pure steps of KillAssembler::Add.

// A value that is not the field's default, per type.
void SetSample(int64_t* value) { *value = 42; }
void SetSample(bool* value) { *value = true; }
void SetSample(std::optional<OomScope>* value) { *value = OomScope::kGlobal; }
void SetSample(std::optional<std::string>* value) { *value = "x"; }
template <typename T>
void SetSample(std::optional<T>* value) {
  *value = 42;
}

std::vector<std::string> FieldKeys(unsigned flags) {
  std::vector<std::string> keys;
  ForEachOomKillField([&](const auto& field) {
    if ((std::decay_t<decltype(field)>::kFlags & flags) == flags) {
      keys.emplace_back(field.key);
    }
  });
  return keys;
}

TEST(OomKillFieldsTest, OrderOfTheJsonAndTheStateFile) {
  EXPECT_THAT(FieldKeys(kKillFieldInJson),
              ElementsAre("pid", "comm", "scope", "constraint", "oom_memcg",
                          "task_memcg", "total_vm_kb", "anon_rss_kb",
                          "file_rss_kb", "shmem_rss_kb", "uid", "pgtables_kb",
                          "oom_score_adj", "score", "reaped", "timestamp"));
  EXPECT_THAT(FieldKeys(kKillFieldInState),
              ElementsAre("kmsg_sequence", "pid", "comm", "scope", "constraint",
                          "oom_memcg", "task_memcg", "total_vm_kb",
                          "anon_rss_kb", "file_rss_kb", "shmem_rss_kb", "uid",
                          "pgtables_kb", "oom_score_adj", "score", "reaped",
                          "timestamp", "kmsg_timestamp_us"));
  EXPECT_EQ(CountOomKillFields(kKillFieldInJson), 16u);
  EXPECT_EQ(CountOomKillFields(kKillFieldInState), 18u);
  EXPECT_EQ(CountOomKillFields(0), std::tuple_size_v<decltype(kOomKillFields)>);
}

TEST(OomKillFieldsTest, WhatTheAssemblerCopiesFromALine) {
  EXPECT_THAT(
      FieldKeys(kKillFieldFromKillLine),
      ElementsAre("total_vm_kb", "anon_rss_kb", "file_rss_kb", "shmem_rss_kb",
                  "uid", "pgtables_kb", "oom_score_adj"));
  EXPECT_THAT(
      FieldKeys(kKillFieldFromSummary),
      ElementsAre("scope", "constraint", "oom_memcg", "task_memcg", "uid"));
}

// Each row names its own member: setting one field shows in its own JSON key
// only.
TEST(OomKillFieldsTest, EachRowIsItsOwnMember) {
  const std::string empty = KillToJson(OomKill());
  ForEachOomKillField([&](const auto& field) {
    SCOPED_TRACE(std::string(field.key));
    OomKill kill;
    SetSample(&(kill.*field.member));
    const std::string json = KillToJson(kill);
    if ((std::decay_t<decltype(field)>::kFlags & kKillFieldInJson) == 0) {
      EXPECT_EQ(json, empty);
      return;
    }
    EXPECT_NE(json, empty);
    const std::string key = "\"" + std::string(field.key) + "\":";
    const std::size_t at = json.find(key);
    ASSERT_NE(at, std::string::npos);
    // Only this member changed: both texts agree before it.
    EXPECT_EQ(json.substr(0, at), empty.substr(0, at));
  });
}

TEST(KillAssemblyStepsTest, KillFromSummary) {
  // The line's views point into `raw`.
  const std::string raw =
      "6,767,6152703,-;" + Summary(273, "hog", 1000, "/grp", "/grp/a");
  LogLine line;
  ParseLogLine(raw, &line);
  const OomKill kill = KillFromSummary(ParseOomMessage(line.text), line);
  EXPECT_EQ(kill.pid, 273);
  EXPECT_EQ(kill.comm, "hog");
  EXPECT_EQ(kill.scope, OomScope::kMemcg);
  EXPECT_EQ(kill.constraint, "CONSTRAINT_MEMCG");
  EXPECT_EQ(kill.oom_memcg, "/grp");
  EXPECT_EQ(kill.task_memcg, "/grp/a");
  EXPECT_EQ(kill.uid, 1000);
  EXPECT_EQ(kill.kmsg_sequence, 767u);
  EXPECT_EQ(kill.kmsg_timestamp_us, 6152703u);
  EXPECT_EQ(kill.timestamp, "6152703");
  EXPECT_FALSE(kill.total_vm_kb.has_value());
  EXPECT_FALSE(kill.score.has_value());
  EXPECT_FALSE(kill.reaped);
}

TEST(KillAssemblyStepsTest, AmendmentFromSummary) {
  const OomKill amendment =
      AmendmentFromSummary(ParseOomMessage(Summary(9, "a.out", 7, "/l", "")));
  EXPECT_EQ(amendment.pid, 9);
  EXPECT_FALSE(amendment.comm.has_value());
  EXPECT_EQ(amendment.scope, OomScope::kMemcg);
  EXPECT_EQ(amendment.constraint, "CONSTRAINT_MEMCG");
  EXPECT_EQ(amendment.oom_memcg, "/l");
  EXPECT_FALSE(amendment.task_memcg.has_value());  // empty in the line
  EXPECT_EQ(amendment.uid, 7);
  EXPECT_FALSE(amendment.timestamp.has_value());
  EXPECT_FALSE(amendment.kmsg_sequence.has_value());
}

TEST(KillAssemblyStepsTest, KillFromKillLineTakesNoContext) {
  const std::string raw = Dmesg(5, Kill6(25121));
  LogLine line;
  ParseLogLine(raw, &line);
  const OomMessage msg = ParseOomMessage(line.text);
  ASSERT_EQ(msg.scope, OomScope::kMemcg);
  const OomKill kill = KillFromKillLine(msg, line);
  EXPECT_EQ(kill.pid, 25121);
  EXPECT_EQ(kill.comm, "python3");
  EXPECT_EQ(kill.total_vm_kb, 75160u);
  EXPECT_EQ(kill.anon_rss_kb, 65280u);
  EXPECT_EQ(kill.file_rss_kb, 6552u);
  EXPECT_EQ(kill.shmem_rss_kb, 0u);
  EXPECT_EQ(kill.uid, 0);
  EXPECT_EQ(kill.pgtables_kb, 188u);
  EXPECT_EQ(kill.oom_score_adj, 0);
  EXPECT_EQ(kill.timestamp, "5.000000");
  EXPECT_FALSE(kill.kmsg_sequence.has_value());
  // The prefix's scope and the event's context are the assembler's to add.
  EXPECT_FALSE(kill.scope.has_value());
  EXPECT_FALSE(kill.constraint.has_value());
  EXPECT_FALSE(kill.oom_memcg.has_value());
  EXPECT_FALSE(kill.task_memcg.has_value());
  EXPECT_FALSE(kill.score.has_value());
}

TEST(KillAssemblyStepsTest, KillFromAnOldKillLine) {
  const std::string raw = Kill49(811);
  LogLine line;
  ParseLogLine(raw, &line);
  const OomKill kill = KillFromKillLine(ParseOomMessage(line.text), line);
  EXPECT_EQ(kill.pid, 811);
  EXPECT_EQ(kill.comm, "a.out");
  EXPECT_EQ(kill.total_vm_kb, 4168u);
  EXPECT_FALSE(kill.uid.has_value());
  EXPECT_FALSE(kill.pgtables_kb.has_value());
  EXPECT_FALSE(kill.oom_score_adj.has_value());
  EXPECT_FALSE(kill.timestamp.has_value());
}

TEST(KillAssemblyStepsTest, IsGroupMemberLine) {
  const OomMessage memcg = ParseOomMessage(Kill6(1));
  const OomMessage global = ParseOomMessage(
      "Out of memory: Killed process 77 (other) total-vm:1kB, anon-rss:2kB, "
      "file-rss:3kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0");
  const OomMessage no_prefix = ParseOomMessage(Kill49(2));
  const OomMessage group = ParseOomMessage(
      "Tasks in /grp are going to be killed due to memory.oom.group set");
  ASSERT_EQ(global.scope, OomScope::kGlobal);
  ASSERT_FALSE(no_prefix.scope.has_value());
  EXPECT_TRUE(IsGroupMemberLine(memcg, true, OomScope::kMemcg));
  EXPECT_TRUE(IsGroupMemberLine(memcg, true, std::nullopt));
  EXPECT_TRUE(IsGroupMemberLine(no_prefix, true, OomScope::kMemcg));
  EXPECT_FALSE(IsGroupMemberLine(global, true, OomScope::kMemcg));
  EXPECT_FALSE(IsGroupMemberLine(memcg, false, OomScope::kMemcg));
  EXPECT_FALSE(IsGroupMemberLine(group, true, OomScope::kMemcg));
  // A member the group kill skipped.
  const OomMessage exiting = ParseOomMessage(
      "Memory cgroup out of memory: OOM victim 260 (sleeper) is already "
      "exiting. Skip killing the task");
  ASSERT_EQ(exiting.kind, OomMessageKind::kAlreadyExiting);
  EXPECT_TRUE(IsGroupMemberLine(exiting, true, OomScope::kMemcg));
  EXPECT_FALSE(IsGroupMemberLine(exiting, false, OomScope::kMemcg));
  EXPECT_FALSE(IsGroupMemberLine(exiting, true, OomScope::kGlobal));
}

TEST(KillAssemblyStepsTest, SummaryIsForKill) {
  EXPECT_TRUE(SummaryIsForKill(7, std::nullopt, 7));
  EXPECT_TRUE(SummaryIsForKill(7, 9, 7));
  EXPECT_TRUE(SummaryIsForKill(7, 7, 8));  // the parent chosen, a child killed
  EXPECT_FALSE(SummaryIsForKill(7, std::nullopt, 8));
  EXPECT_FALSE(SummaryIsForKill(7, 9, 8));
}

// ---------------------------------------------------------------------------
// JSON. There is no JSON library here: a strict reader (RFC 8259, strict
// UTF-8 per RFC 3629) checks what is written.

class JsonReader {
 public:
  struct Member {
    std::string key;
    std::string kind;   // "string", "number", "true", "false", "null"
    std::string value;  // decoded string, or the literal
  };

  explicit JsonReader(std::string_view text) : text_(text) {}

  // One object of scalar members, and nothing after it.
  bool ReadObject(std::vector<Member>* members) {
    if (!Consume('{')) return Fail("expected {");
    if (Consume('}')) return AtEnd();
    while (true) {
      Member member;
      if (!ReadString(&member.key)) return false;
      if (!Consume(':')) return Fail("expected :");
      if (!ReadScalar(&member)) return false;
      members->push_back(std::move(member));
      if (Consume('}')) return AtEnd();
      if (!Consume(',')) return Fail("expected , or }");
    }
  }

  // One string literal, and nothing after it.
  bool ReadOnlyString(std::string* out) { return ReadString(out) && AtEnd(); }

  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string_view what) {
    error_ = std::string(what) + " at byte " + std::to_string(pos_);
    return false;
  }
  bool AtEnd() { return pos_ == text_.size() || Fail("data after the value"); }
  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  unsigned char Byte(std::size_t i) const {
    return i < text_.size() ? static_cast<unsigned char>(text_[i]) : 0;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  // Length of the well-formed UTF-8 sequence at pos_ (Unicode table 3-7),
  // or 0.
  std::size_t Utf8Length() const {
    unsigned char b0 = Byte(pos_);
    unsigned char b1 = Byte(pos_ + 1);
    auto cont = [&](std::size_t i) { return (Byte(pos_ + i) & 0xc0) == 0x80; };
    if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
    if (b0 == 0xe0) return b1 >= 0xa0 && b1 <= 0xbf && cont(2) ? 3 : 0;
    if ((b0 >= 0xe1 && b0 <= 0xec) || b0 == 0xee || b0 == 0xef) {
      return cont(1) && cont(2) ? 3 : 0;
    }
    if (b0 == 0xed) return b1 >= 0x80 && b1 <= 0x9f && cont(2) ? 3 : 0;
    if (b0 == 0xf0) {
      return b1 >= 0x90 && b1 <= 0xbf && cont(2) && cont(3) ? 4 : 0;
    }
    if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (b0 == 0xf4) {
      return b1 >= 0x80 && b1 <= 0x8f && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
  }

  bool ReadHex4(uint32_t* value) {
    *value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = pos_ < text_.size() ? text_[pos_] : '\0';
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0) return Fail("bad \\u escape");
      *value = *value * 16 + static_cast<uint32_t>(digit);
      ++pos_;
    }
    return true;
  }

  bool ReadString(std::string* out) {
    out->clear();
    if (!Consume('"')) return Fail("expected a string");
    while (true) {
      if (pos_ >= text_.size()) return Fail("unterminated string");
      unsigned char c = Byte(pos_);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("raw control byte in a string");
      if (c >= 0x80) {
        std::size_t n = Utf8Length();
        if (n == 0) return Fail("invalid UTF-8");
        out->append(text_.substr(pos_, n));
        pos_ += n;
        continue;
      }
      ++pos_;
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        continue;
      }
      if (pos_ >= text_.size()) return Fail("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!ReadHex4(&cp)) return false;
          if (cp >= 0xd800 && cp <= 0xdfff) return Fail("surrogate escape");
          AppendUtf8(cp, out);
          break;
        }
        default:
          return Fail("bad escape");
      }
    }
  }

  bool ReadScalar(Member* member) {
    if (pos_ < text_.size() && text_[pos_] == '"') {
      member->kind = "string";
      return ReadString(&member->value);
    }
    for (std::string_view literal : {"true", "false", "null"}) {
      if (text_.substr(pos_, literal.size()) == literal) {
        member->kind = std::string(literal);
        member->value = std::string(literal);
        pos_ += literal.size();
        return true;
      }
    }
    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    std::size_t start = pos_;
    auto digits = [&]() {
      std::size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        ++pos_;
      }
      return pos_ - from;
    };
    Consume('-');
    if (Consume('0')) {
      // no more integer digits
    } else if (digits() == 0) {
      return Fail("expected a value");
    }
    if (Consume('.') && digits() == 0) return Fail("bad fraction");
    if (Consume('e') || Consume('E')) {
      if (!Consume('+')) Consume('-');
      if (digits() == 0) return Fail("bad exponent");
    }
    member->kind = "number";
    member->value = std::string(text_.substr(start, pos_ - start));
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string error_;
};

std::vector<std::string> Keys(const std::vector<JsonReader::Member>& members) {
  std::vector<std::string> keys;
  for (const auto& member : members) keys.push_back(member.key);
  return keys;
}

const std::vector<std::string> kJsonKeys = {
    "pid",           "comm",         "scope",       "constraint",
    "oom_memcg",     "task_memcg",   "total_vm_kb", "anon_rss_kb",
    "file_rss_kb",   "shmem_rss_kb", "uid",         "pgtables_kb",
    "oom_score_adj", "score",        "reaped",      "timestamp"};

TEST(JsonReaderTest, RejectsWhatIsNotJson) {
  for (std::string_view bad :
       {"", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":1}x",
        "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\\x41\"}", "{\"a\":nul}", "{a:1}"}) {
    std::vector<JsonReader::Member> members;
    EXPECT_FALSE(JsonReader(bad).ReadObject(&members)) << bad;
  }
}

TEST(KillToJsonTest, FullKill) {
  OomKill kill;
  kill.pid = 25121;
  kill.comm = "python3";
  kill.scope = OomScope::kMemcg;
  kill.constraint = "CONSTRAINT_MEMCG";
  kill.oom_memcg = "/corpus_a";
  kill.task_memcg = "/corpus_a/job";
  kill.total_vm_kb = 75160;
  kill.anon_rss_kb = 65280;
  kill.file_rss_kb = 6552;
  kill.shmem_rss_kb = 0;
  kill.uid = 1000;
  kill.pgtables_kb = 188;
  kill.oom_score_adj = -998;
  kill.score = 1905;
  kill.reaped = true;
  kill.timestamp = "1504.398833";
  kill.kmsg_sequence = 1050;  // not part of the JSON
  kill.kmsg_timestamp_us = 1504398833;
  const std::string json = KillToJson(kill);
  EXPECT_EQ(json,
            "{\"pid\":25121,\"comm\":\"python3\",\"scope\":\"memcg\","
            "\"constraint\":\"CONSTRAINT_MEMCG\",\"oom_memcg\":\"/corpus_a\","
            "\"task_memcg\":\"/corpus_a/job\",\"total_vm_kb\":75160,"
            "\"anon_rss_kb\":65280,\"file_rss_kb\":6552,\"shmem_rss_kb\":0,"
            "\"uid\":1000,\"pgtables_kb\":188,\"oom_score_adj\":-998,"
            "\"score\":1905,\"reaped\":true,\"timestamp\":\"1504.398833\"}");
  std::vector<JsonReader::Member> members;
  JsonReader reader(json);
  ASSERT_TRUE(reader.ReadObject(&members)) << reader.error();
  EXPECT_EQ(Keys(members), kJsonKeys);
}

TEST(KillToJsonTest, AllNull) {
  const std::string json = KillToJson(OomKill());
  EXPECT_EQ(json,
            "{\"pid\":0,\"comm\":null,\"scope\":null,\"constraint\":null,"
            "\"oom_memcg\":null,\"task_memcg\":null,\"total_vm_kb\":null,"
            "\"anon_rss_kb\":null,\"file_rss_kb\":null,\"shmem_rss_kb\":null,"
            "\"uid\":null,\"pgtables_kb\":null,\"oom_score_adj\":null,"
            "\"score\":null,\"reaped\":false,\"timestamp\":null}");
  std::vector<JsonReader::Member> members;
  JsonReader reader(json);
  ASSERT_TRUE(reader.ReadObject(&members)) << reader.error();
  EXPECT_EQ(Keys(members), kJsonKeys);
  for (std::size_t i = 1; i < members.size(); ++i) {
    EXPECT_EQ(members[i].kind, members[i].key == "reaped" ? "false" : "null")
        << members[i].key;
  }
}

TEST(KillToJsonTest, ExtremesAndOddStrings) {
  OomKill kill;
  kill.pid = -1;
  kill.comm = "my \"odd\"\\\n\t\x01\xff name";
  kill.scope = OomScope::kGlobal;
  kill.oom_memcg = "";
  kill.total_vm_kb = UINT64_MAX;
  kill.uid = INT64_MIN;
  kill.oom_score_adj = -1000;
  const std::string json = KillToJson(kill);
  std::vector<JsonReader::Member> members;
  JsonReader reader(json);
  ASSERT_TRUE(reader.ReadObject(&members)) << reader.error() << "\n" << json;
  ASSERT_EQ(Keys(members), kJsonKeys);
  EXPECT_EQ(members[0].value, "-1");
  EXPECT_EQ(members[1].kind, "string");
  EXPECT_EQ(members[1].value, "my \"odd\"\\\n\t\x01\xc3\xbf name");
  EXPECT_EQ(members[2].value, "global");
  EXPECT_EQ(members[4].kind, "string");  // empty, not null
  EXPECT_EQ(members[4].value, "");
  EXPECT_EQ(members[6].value, "18446744073709551615");
  EXPECT_EQ(members[10].value, "-9223372036854775808");
  EXPECT_EQ(members[12].value, "-1000");
}

std::string Json(std::string_view text) {
  std::string out;
  AppendJsonString(&out, text);
  return out;
}

TEST(AppendJsonStringTest, Escapes) {
  EXPECT_EQ(Json(""), "\"\"");
  EXPECT_EQ(Json("python3"), "\"python3\"");
  EXPECT_EQ(Json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Json("\n\t"), "\"\\n\\t\"");
  EXPECT_EQ(Json("\x01\x1f\x7f\r\b"),
            "\"\\u0001\\u001f\\u007f\\u000d\\u0008\"");
  EXPECT_EQ(Json(std::string_view("a\0b", 3)), "\"a\\u0000b\"");
  EXPECT_EQ(Json("/kubepods/pod1"), "\"/kubepods/pod1\"");
}

TEST(AppendJsonStringTest, Appends) {
  std::string out = "x=";
  AppendJsonString(&out, "y");
  EXPECT_EQ(out, "x=\"y\"");
}

TEST(AppendJsonStringTest, KeepsValidUtf8) {
  for (std::string_view text :
       {"caf\xc3\xa9", "\xd0\xb8\xd1\x8e\xd0\xbb", "\xe2\x82\xac",
        "\xf0\x9f\x98\x80", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_EQ(Json(text), "\"" + std::string(text) + "\"");
  }
}

TEST(AppendJsonStringTest, InvalidBytesBecomeEscapes) {
  EXPECT_EQ(Json("\xff"), "\"\\u00ff\"");
  EXPECT_EQ(Json("\x80"), "\"\\u0080\"");
  EXPECT_EQ(Json("caf\xc3"), "\"caf\\u00c3\"");       // cut sequence
  EXPECT_EQ(Json("\xc3("), "\"\\u00c3(\"");           // bad continuation
  EXPECT_EQ(Json("\xc0\x80"), "\"\\u00c0\\u0080\"");  // overlong NUL
  EXPECT_EQ(Json("\xe2\x82"), "\"\\u00e2\\u0082\"");  // cut 3-byte
  EXPECT_EQ(Json("\xf5\x80\x80\x80"),
            "\"\\u00f5\\u0080\\u0080\\u0080\"");  // beyond Unicode
}

// Every string of one or two bytes gives valid JSON that reads back as the
// input (bytes of invalid UTF-8 as U+0080..U+00FF).
TEST(AppendJsonStringTest, EveryShortStringIsValidJson) {
  auto check = [](const std::string& input) {
    const std::string json = Json(input);
    std::string decoded;
    JsonReader reader(json);
    ASSERT_TRUE(reader.ReadOnlyString(&decoded))
        << reader.error() << " for input bytes "
        << ::testing::PrintToString(input);
  };
  for (int a = 0; a < 256; ++a) {
    check(std::string(1, static_cast<char>(a)));
    for (int b = 0; b < 256; ++b) {
      check(std::string{static_cast<char>(a), static_cast<char>(b)});
    }
  }
}

// Sequences that pass a shape-only check but are not UTF-8 (RFC 3629):
// overlong forms, UTF-16 surrogates, code points above U+10FFFF.
TEST(AppendJsonStringTest, IllFormedUtf8IsEscaped) {
  EXPECT_EQ(Json("\xe0\x80\x80"), "\"\\u00e0\\u0080\\u0080\"");
  EXPECT_EQ(Json("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");
  EXPECT_EQ(Json("\xf0\x80\x80\x80"), "\"\\u00f0\\u0080\\u0080\\u0080\"");
  EXPECT_EQ(Json("\xf4\x90\x80\x80"), "\"\\u00f4\\u0090\\u0080\\u0080\"");
  for (int a = 0xe0; a <= 0xf4; ++a) {
    for (int b = 0x80; b <= 0xbf; ++b) {
      const std::string input{static_cast<char>(a), static_cast<char>(b),
                              '\x80', '\x80'};
      const std::string json = Json(input);  // the reader keeps a view
      std::string decoded;
      JsonReader reader(json);
      EXPECT_TRUE(reader.ReadOnlyString(&decoded))
          << reader.error() << " for " << ::testing::PrintToString(input);
    }
  }
}

}  // namespace
}  // namespace oom
