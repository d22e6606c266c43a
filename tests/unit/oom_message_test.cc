#include "collectors/kernel/kmsg/oom_message.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace oom {
namespace {

// Lines below come from tests/fixtures/kmsg/corpus/<file>.log (named above
// each one, transport prefix removed: ParseOomMessage sees the message text)
// or, where the corpus has no sample, are built from the format strings in
// docs/kernel-formats.md#oom-killer-lines.

std::string KindName(OomMessageKind kind) {
  switch (kind) {
    case OomMessageKind::kNone:
      return "kNone";
    case OomMessageKind::kUnrecognized:
      return "kUnrecognized";
    case OomMessageKind::kHeader:
      return "kHeader";
    case OomMessageKind::kSelection:
      return "kSelection";
    case OomMessageKind::kKill:
      return "kKill";
    case OomMessageKind::kSummary:
      return "kSummary";
    case OomMessageKind::kTaskIn:
      return "kTaskIn";
    case OomMessageKind::kGroup:
      return "kGroup";
    case OomMessageKind::kReaped:
      return "kReaped";
    case OomMessageKind::kUnableToReap:
      return "kUnableToReap";
    case OomMessageKind::kAlreadyExiting:
      return "kAlreadyExiting";
    case OomMessageKind::kNoKillable:
      return "kNoKillable";
    case OomMessageKind::kPanic:
      return "kPanic";
  }
  return "?";
}

std::string ScopeString(std::optional<OomScope> scope) {
  if (!scope) return "none";
  return *scope == OomScope::kGlobal ? "global" : "memcg";
}

// ---------------------------------------------------------------------------
// Kill lines.

// linux-6.18-dmesg-this-machine.log, line 78.
TEST(ParseOomMessageTest, Kill618Memcg) {
  OomMessage m = ParseOomMessage(
      "Memory cgroup out of memory: Killed process 25121 (python3) "
      "total-vm:75160kB, anon-rss:65280kB, file-rss:6552kB, shmem-rss:0kB, "
      "UID:0 pgtables:188kB oom_score_adj:0");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(ScopeString(m.scope), "memcg");
  EXPECT_FALSE(m.allocating_task);
  EXPECT_EQ(m.pid, 25121);
  EXPECT_TRUE(m.has_comm);
  EXPECT_EQ(m.comm, "python3");
  EXPECT_EQ(m.total_vm_kb, 75160u);
  EXPECT_EQ(m.anon_rss_kb, 65280u);
  EXPECT_EQ(m.file_rss_kb, 6552u);
  EXPECT_EQ(m.shmem_rss_kb, 0u);
  EXPECT_EQ(m.uid, 0);
  EXPECT_EQ(m.pgtables_kb, 188u);
  EXPECT_EQ(m.oom_score_adj, 0);
  EXPECT_FALSE(m.score.has_value());
}

// debian-6.16-dmesg-T-global-uwsgi.log, line 1.
TEST(ParseOomMessageTest, Kill6xGlobal) {
  OomMessage m = ParseOomMessage(
      "Out of memory: Killed process 3581527 (uwsgi) total-vm:517892kB, "
      "anon-rss:263092kB, file-rss:29128kB, shmem-rss:0kB, UID:33 "
      "pgtables:740kB oom_score_adj:0");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(ScopeString(m.scope), "global");
  EXPECT_FALSE(m.allocating_task);
  EXPECT_EQ(m.pid, 3581527);
  EXPECT_EQ(m.comm, "uwsgi");
  EXPECT_EQ(m.total_vm_kb, 517892u);
  EXPECT_EQ(m.anon_rss_kb, 263092u);
  EXPECT_EQ(m.file_rss_kb, 29128u);
  EXPECT_EQ(m.shmem_rss_kb, 0u);
  EXPECT_EQ(m.uid, 33);
  EXPECT_EQ(m.pgtables_kb, 740u);
  EXPECT_EQ(m.oom_score_adj, 0);
}

// ubuntu-5.4-dmesg-memcg-reaper-then-header.log, line 1: positive adj.
TEST(ParseOomMessageTest, Kill54PositiveScoreAdj) {
  OomMessage m = ParseOomMessage(
      "Memory cgroup out of memory: Killed process 63214 (uwsgi) "
      "total-vm:3149468kB, anon-rss:164992kB, file-rss:52176kB, "
      "shmem-rss:92kB, UID:0 pgtables:1372kB oom_score_adj:986");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 63214);
  EXPECT_EQ(m.shmem_rss_kb, 92u);
  EXPECT_EQ(m.pgtables_kb, 1372u);
  EXPECT_EQ(m.oom_score_adj, 986);
}

// Format of 5.4+ with a negative oom_score_adj (%hd).
TEST(ParseOomMessageTest, KillNegativeScoreAdjAndLargeUid) {
  OomMessage m = ParseOomMessage(
      "Memory cgroup out of memory: Killed process 7 (java) total-vm:1kB, "
      "anon-rss:2kB, file-rss:3kB, shmem-rss:4kB, UID:100999 pgtables:5kB "
      "oom_score_adj:-998");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.uid, 100999);
  EXPECT_EQ(m.oom_score_adj, -998);
}

// ubuntu-5.3-rsyslog-memcg-killed-no-selection.log, line 1: 5.1-5.3, the
// prefix on the kill line, no UID.
TEST(ParseOomMessageTest, Kill53PrefixWithoutUid) {
  OomMessage m = ParseOomMessage(
      "Memory cgroup out of memory: Killed process 15617 (python3) "
      "total-vm:11892kB, anon-rss:4292kB, file-rss:3428kB, shmem-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(ScopeString(m.scope), "memcg");
  EXPECT_EQ(m.pid, 15617);
  EXPECT_EQ(m.shmem_rss_kb, 0u);
  EXPECT_FALSE(m.uid.has_value());
  EXPECT_FALSE(m.pgtables_kb.has_value());
  EXPECT_FALSE(m.oom_score_adj.has_value());
}

// linux-4.9-dmesg-printk-dropped-reaper.log, line 2: 4.9, shmem-rss, no
// prefix.
TEST(ParseOomMessageTest, Kill49WithShmem) {
  OomMessage m = ParseOomMessage(
      "Killed process 9485 (a.out) total-vm:4168kB, anon-rss:84kB, "
      "file-rss:0kB, shmem-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_FALSE(m.scope.has_value());
  EXPECT_EQ(m.pid, 9485);
  EXPECT_EQ(m.comm, "a.out");
  EXPECT_EQ(m.total_vm_kb, 4168u);
  EXPECT_EQ(m.anon_rss_kb, 84u);
  EXPECT_EQ(m.file_rss_kb, 0u);
  EXPECT_EQ(m.shmem_rss_kb, 0u);
  EXPECT_FALSE(m.uid.has_value());
  EXPECT_FALSE(m.pgtables_kb.has_value());
  EXPECT_FALSE(m.oom_score_adj.has_value());
}

// el7-3.10-dmesg-T-k8s-memcg-java.log, line 5: 3.10, no shmem-rss.
TEST(ParseOomMessageTest, Kill310WithoutShmem) {
  OomMessage m = ParseOomMessage(
      "Killed process 28438 (java) total-vm:20255636kB, anon-rss:466160kB, "
      "file-rss:13684kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_FALSE(m.scope.has_value());
  EXPECT_EQ(m.pid, 28438);
  EXPECT_EQ(m.comm, "java");
  EXPECT_EQ(m.total_vm_kb, 20255636u);
  EXPECT_EQ(m.anon_rss_kb, 466160u);
  EXPECT_EQ(m.file_rss_kb, 13684u);
  EXPECT_FALSE(m.shmem_rss_kb.has_value());
  EXPECT_FALSE(m.uid.has_value());
}

// el7-3.10-syslog-docker-parent-child.log, line 2: RHEL 7 "), UID N," form.
TEST(ParseOomMessageTest, KillEl7UidForm) {
  OomMessage m = ParseOomMessage(
      "Killed process 18177 (palo_be), UID 0, total-vm:70347780kB, "
      "anon-rss:45563572kB, file-rss:0kB, shmem-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_FALSE(m.scope.has_value());
  EXPECT_EQ(m.pid, 18177);
  EXPECT_EQ(m.comm, "palo_be");
  EXPECT_EQ(m.uid, 0);
  EXPECT_EQ(m.total_vm_kb, 70347780u);
  EXPECT_EQ(m.anon_rss_kb, 45563572u);
  EXPECT_EQ(m.file_rss_kb, 0u);
  EXPECT_EQ(m.shmem_rss_kb, 0u);
}

// el7-3.10-syslog-quoted-burst-no-header.log, line 1: uid 1000.
TEST(ParseOomMessageTest, KillEl7NonRootUid) {
  OomMessage m = ParseOomMessage(
      "Killed process 799153 (node), UID 1000, total-vm:606096kB, "
      "anon-rss:68308kB, file-rss:13648kB, shmem-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 799153);
  EXPECT_EQ(m.comm, "node");
  EXPECT_EQ(m.uid, 1000);
  EXPECT_EQ(m.anon_rss_kb, 68308u);
}

// rhel6-2.6.32-syslog-sniproxy-parent-child.log, line 12: RHEL 6
// "N, UID N, (comm)" form.
TEST(ParseOomMessageTest, KillEl6Form) {
  OomMessage m = ParseOomMessage(
      "Killed process 1153, UID 0, (sniproxy) total-vm:13132kB, "
      "anon-rss:124kB, file-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_FALSE(m.scope.has_value());
  EXPECT_EQ(m.pid, 1153);
  EXPECT_EQ(m.comm, "sniproxy");
  EXPECT_EQ(m.uid, 0);
  EXPECT_EQ(m.total_vm_kb, 13132u);
  EXPECT_EQ(m.anon_rss_kb, 124u);
  EXPECT_EQ(m.file_rss_kb, 0u);
  EXPECT_FALSE(m.shmem_rss_kb.has_value());
}

// rhel6-2.6.32-rsyslog-grep-mysqld.log, line 2 (uid 498).
TEST(ParseOomMessageTest, KillEl6NonRootUid) {
  OomMessage m = ParseOomMessage(
      "Killed process 11726, UID 498, (mysqld) total-vm:7823732kB, "
      "anon-rss:2539268kB, file-rss:768kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 11726);
  EXPECT_EQ(m.comm, "mysqld");
  EXPECT_EQ(m.uid, 498);
  EXPECT_EQ(m.anon_rss_kb, 2539268u);
}

// alios6-2.6.32-syslog-redis-quote-garbage.log, line 2: prose pasted after
// the last field.
TEST(ParseOomMessageTest, KillEl6WithTrailingProse) {
  OomMessage m = ParseOomMessage(
      "Killed process 21578, UID 503, (redis-server) total-vm:9100804kB, "
      "anon-rss:9066596kB, file-rss:64kB\" , I don't understand why it was "
      "killed with \"total-vm:9100804kB,\"?");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 21578);
  EXPECT_EQ(m.uid, 503);
  EXPECT_EQ(m.comm, "redis-server");
  EXPECT_EQ(m.total_vm_kb, 9100804u);
  EXPECT_EQ(m.anon_rss_kb, 9066596u);
  EXPECT_EQ(m.file_rss_kb, 64u);
}

// Format of 5.1+ with vm.oom_kill_allocating_task=1.
TEST(ParseOomMessageTest, KillAllocatingTaskPrefix) {
  OomMessage m = ParseOomMessage(
      "Out of memory (oom_kill_allocating_task): Killed process 6345 (sleep) "
      "total-vm:1736kB, anon-rss:44kB, file-rss:200kB, shmem-rss:0kB, UID:0 "
      "pgtables:24kB oom_score_adj:0");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(ScopeString(m.scope), "global");
  EXPECT_TRUE(m.allocating_task);
  EXPECT_EQ(m.pid, 6345);
  EXPECT_EQ(m.comm, "sleep");
}

// What a transport leaves in front of the prefix does not matter; the
// prefix is matched at its end.
TEST(ParseOomMessageTest, KillPrefixAfterOtherText) {
  // ubuntu-5.x-journalctl-verbose-message-field.log, line 2, unparsed.
  OomMessage m = ParseOomMessage(
      "    MESSAGE=Memory cgroup out of memory: Killed process 2855014 (tail) "
      "total-vm:4296kB, anon-rss:60kB, file-rss:516kB, shmem-rss:0kB, UID:0 "
      "pgtables:40kB oom_score_adj:0");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(ScopeString(m.scope), "memcg");
  EXPECT_EQ(m.pid, 2855014);
  EXPECT_EQ(m.comm, "tail");
  // An unknown prefix gives no scope.
  m = ParseOomMessage(
      "Something else: Killed process 1 (x) total-vm:1kB, anon-rss:1kB, "
      "file-rss:1kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_FALSE(m.scope.has_value());
  EXPECT_FALSE(m.allocating_task);
}

// ---------------------------------------------------------------------------
// comm: up to 15 arbitrary bytes.

// linux-6.18-dmesg-T-this-machine-odd-comm.log, line 78.
TEST(ParseOomMessageTest, CommWithSpacesAndParentheses) {
  OomMessage m = ParseOomMessage(
      "Memory cgroup out of memory: Killed process 25507 (my (odd) name) "
      "total-vm:75348kB, anon-rss:65280kB, file-rss:6680kB, shmem-rss:0kB, "
      "UID:0 pgtables:192kB oom_score_adj:0");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 25507);
  EXPECT_EQ(m.comm, "my (odd) name");
  EXPECT_EQ(m.total_vm_kb, 75348u);
  EXPECT_EQ(m.pgtables_kb, 192u);
}

// crio-4.x-dmesg-runc-init-bracket-comm.log, line 8.
TEST(ParseOomMessageTest, CommWithBracketsAndColons) {
  OomMessage m = ParseOomMessage(
      "Killed process 387951 (runc:[2:INIT]) total-vm:477124kB, "
      "anon-rss:3000kB, file-rss:3896kB, shmem-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 387951);
  EXPECT_EQ(m.comm, "runc:[2:INIT]");
  EXPECT_EQ(m.total_vm_kb, 477124u);
  EXPECT_EQ(m.file_rss_kb, 3896u);
}

// ubuntu-5.3-rsyslog-global-resolved-comm-reaper.log, line 3.
TEST(ParseOomMessageTest, CommInParentheses) {
  OomMessage m = ParseOomMessage(
      "Out of memory: Killed process 15925 ((resolved)) total-vm:168424kB, "
      "anon-rss:4064kB, file-rss:3584kB, shmem-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(ScopeString(m.scope), "global");
  EXPECT_EQ(m.pid, 15925);
  EXPECT_EQ(m.comm, "(resolved)");
  EXPECT_EQ(m.total_vm_kb, 168424u);
}

// linux-4.15-dmesg-fedora-web-content-reaper.log, line 9.
TEST(ParseOomMessageTest, CommWithSpace) {
  OomMessage m = ParseOomMessage(
      "Killed process 2279 (Web Content) total-vm:5606512kB, "
      "anon-rss:1694156kB, file-rss:0kB, shmem-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.comm, "Web Content");
  EXPECT_EQ(m.anon_rss_kb, 1694156u);
}

// A comm may hold the anchor itself (prctl(PR_SET_NAME, "x) total-vm:"),
// 12 bytes); the last ") total-vm:" ends it.
TEST(ParseOomMessageTest, CommHoldingTheAnchor) {
  OomMessage m = ParseOomMessage(
      "Out of memory: Killed process 42 (x) total-vm:) total-vm:1000kB, "
      "anon-rss:10kB, file-rss:20kB, shmem-rss:0kB, UID:0 pgtables:4kB "
      "oom_score_adj:0");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 42);
  EXPECT_EQ(m.comm, "x) total-vm:");
  EXPECT_EQ(m.total_vm_kb, 1000u);
  EXPECT_EQ(m.anon_rss_kb, 10u);
  EXPECT_EQ(m.file_rss_kb, 20u);
  EXPECT_EQ(m.uid, 0);

  // The same in the el6 form.
  m = ParseOomMessage(
      "Killed process 43, UID 7, (y) total-vm:) total-vm:2000kB, "
      "anon-rss:1kB, file-rss:2kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 43);
  EXPECT_EQ(m.uid, 7);
  EXPECT_EQ(m.comm, "y) total-vm:");
  EXPECT_EQ(m.total_vm_kb, 2000u);

  // A 6.x line whose comm looks like the el7 form.
  m = ParseOomMessage(
      "Out of memory: Killed process 44 (z), UID 9) total-vm:3000kB, "
      "anon-rss:1kB, file-rss:2kB, shmem-rss:0kB, UID:1000 pgtables:4kB "
      "oom_score_adj:0");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 44);
  EXPECT_EQ(m.comm, "z), UID 9");
  EXPECT_EQ(m.uid, 1000);
  EXPECT_EQ(m.total_vm_kb, 3000u);

  // An el7 line whose comm holds the el7 anchor.
  m = ParseOomMessage(
      "Killed process 45 (w), UID 5), UID 1000, total-vm:4000kB, "
      "anon-rss:1kB, file-rss:2kB, shmem-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 45);
  EXPECT_EQ(m.comm, "w), UID 5");
  EXPECT_EQ(m.uid, 1000);
  EXPECT_EQ(m.total_vm_kb, 4000u);
}

TEST(ParseOomMessageTest, EmptyComm) {
  OomMessage m = ParseOomMessage(
      "Killed process 46 () total-vm:1kB, anon-rss:1kB, file-rss:2kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 46);
  EXPECT_TRUE(m.has_comm);
  EXPECT_EQ(m.comm, "");
}

// ---------------------------------------------------------------------------
// Numbers.

// The reference doc's pitfall 9 sample (total-vm:1293748208kB), the corpus's
// largest (linux-5.x-dmesg-T-grep-three-kills.log, line 2) and values that
// need all 64 bits.
TEST(ParseOomMessageTest, LargeValues) {
  OomMessage m = ParseOomMessage(
      "Out of memory: Killed process 1 (x) total-vm:1293748208kB, "
      "anon-rss:1kB, file-rss:2kB, shmem-rss:3kB");
  EXPECT_EQ(m.total_vm_kb, 1293748208u);

  m = ParseOomMessage(
      "Out of memory: Killed process 1483 (uvicorn) total-vm:116345136kB, "
      "anon-rss:3558264kB, file-rss:0kB, shmem-rss:0kB, UID:0 "
      "pgtables:50724kB oom_score_adj:0");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.total_vm_kb, 116345136u);
  EXPECT_EQ(m.pgtables_kb, 50724u);

  m = ParseOomMessage(
      "Out of memory: Killed process 2147483647 (x) total-vm:5000000000kB, "
      "anon-rss:4294967296kB, file-rss:18446744073709551615kB, "
      "shmem-rss:4294967295kB, UID:4294967294 pgtables:99999999999kB "
      "oom_score_adj:1000");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 2147483647);
  EXPECT_EQ(m.total_vm_kb, uint64_t{5000000000});
  EXPECT_EQ(m.anon_rss_kb, uint64_t{4294967296});
  EXPECT_EQ(m.file_rss_kb, UINT64_MAX);
  EXPECT_EQ(m.shmem_rss_kb, uint64_t{4294967295});
  EXPECT_EQ(m.uid, int64_t{4294967294});
  EXPECT_EQ(m.pgtables_kb, uint64_t{99999999999});
  EXPECT_EQ(m.oom_score_adj, 1000);
}

// A value that does not fit is unknown, not wrapped; the kill still counts.
TEST(ParseOomMessageTest, OverflowingValueIsUnset) {
  OomMessage m = ParseOomMessage(
      "Out of memory: Killed process 1 (x) total-vm:18446744073709551616kB, "
      "anon-rss:1kB, file-rss:2kB, shmem-rss:3kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_FALSE(m.total_vm_kb.has_value());
  EXPECT_EQ(m.anon_rss_kb, 1u);
  EXPECT_EQ(m.shmem_rss_kb, 3u);
}

// A kill line cut short (pager, record size limit) is still a kill.
TEST(ParseOomMessageTest, KillLineCutShort) {
  OomMessage m = ParseOomMessage(
      "Out of memory: Killed process 3455 (uvicorn) total-vm:11641");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 3455);
  EXPECT_EQ(m.comm, "uvicorn");
  EXPECT_EQ(m.total_vm_kb, 11641u);

  m = ParseOomMessage("Out of memory: Killed process 3455 (uvic");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 3455);
  EXPECT_FALSE(m.has_comm);

  m = ParseOomMessage("Out of memory: Killed process 3455");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.pid, 3455);
}

// ---------------------------------------------------------------------------
// Selection lines (before 5.1).

// linux-3.2-syslog-oom_kill_allocating_task.log, line 25.
TEST(ParseOomMessageTest, SelectionAllocatingTask) {
  OomMessage m = ParseOomMessage(
      "Out of memory (oom_kill_allocating_task): Kill process 6344 (sh) "
      "score 0 or sacrifice child");
  EXPECT_EQ(KindName(m.kind), "kSelection");
  EXPECT_EQ(ScopeString(m.scope), "global");
  EXPECT_TRUE(m.allocating_task);
  EXPECT_EQ(m.pid, 6344);
  EXPECT_EQ(m.comm, "sh");
  EXPECT_EQ(m.score, 0);
}

// photon-4.19-vmware-log-console-score-over-1000.log, line 3.
TEST(ParseOomMessageTest, SelectionScoreOver1000) {
  OomMessage m = ParseOomMessage(
      "Memory cgroup out of memory: Kill process 2625 (node) score 1905 or "
      "sacrifice child");
  EXPECT_EQ(KindName(m.kind), "kSelection");
  EXPECT_EQ(ScopeString(m.scope), "memcg");
  EXPECT_FALSE(m.allocating_task);
  EXPECT_EQ(m.pid, 2625);
  EXPECT_EQ(m.comm, "node");
  EXPECT_EQ(m.score, 1905);
}

// ubuntu-5.0-rsyslog-k8s-summary-parent-child.log, line 2.
TEST(ParseOomMessageTest, SelectionScore1182) {
  OomMessage m = ParseOomMessage(
      "Memory cgroup out of memory: Kill process 22232 (nginx) score 1182 or "
      "sacrifice child");
  EXPECT_EQ(KindName(m.kind), "kSelection");
  EXPECT_EQ(m.pid, 22232);
  EXPECT_EQ(m.score, 1182);
}

// linux-4.15-dmesg-fedora-web-content-reaper.log, line 8; global.
TEST(ParseOomMessageTest, SelectionGlobalCommWithSpace) {
  OomMessage m = ParseOomMessage(
      "Out of memory: Kill process 2279 (Web Content) score 426 or sacrifice "
      "child");
  EXPECT_EQ(KindName(m.kind), "kSelection");
  EXPECT_EQ(ScopeString(m.scope), "global");
  EXPECT_EQ(m.pid, 2279);
  EXPECT_EQ(m.comm, "Web Content");
  EXPECT_EQ(m.score, 426);
}

TEST(ParseOomMessageTest, SelectionCommWithBrackets) {
  OomMessage m = ParseOomMessage(
      "Memory cgroup out of memory: Kill process 7 (runc:[2:INIT]) score 398 "
      "or sacrifice child");
  EXPECT_EQ(KindName(m.kind), "kSelection");
  EXPECT_EQ(m.comm, "runc:[2:INIT]");
  EXPECT_EQ(m.score, 398);
}

// ---------------------------------------------------------------------------
// Summary lines (5.0+).

// linux-6.18-dmesg-this-machine.log, line 77.
TEST(ParseOomMessageTest, SummaryMemcg) {
  OomMessage m = ParseOomMessage(
      "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
      "mems_allowed=0,oom_memcg=/corpus_a,task_memcg=/corpus_a,task=python3,"
      "pid=25121,uid=0");
  EXPECT_EQ(KindName(m.kind), "kSummary");
  EXPECT_EQ(ScopeString(m.scope), "memcg");
  EXPECT_EQ(m.constraint, "CONSTRAINT_MEMCG");
  EXPECT_EQ(m.oom_memcg, "/corpus_a");
  EXPECT_EQ(m.task_memcg, "/corpus_a");
  EXPECT_FALSE(m.global_oom);
  EXPECT_TRUE(m.has_comm);
  EXPECT_EQ(m.comm, "python3");
  EXPECT_EQ(m.pid, 25121);
  EXPECT_EQ(m.uid, 0);
}

// ubuntu-5.0-rsyslog-k8s-summary-parent-child.log, line 1: kubepods v1.
TEST(ParseOomMessageTest, SummaryKubepods) {
  OomMessage m = ParseOomMessage(
      "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset="
      "aba6a64a8753ea5169d3f501d661492696ffeb640da38c613b81198435144dcd,"
      "mems_allowed=0-1,oom_memcg=/kubepods/burstable/"
      "poddfc7f441-06db-11ea-842a-0227fba247b6,task_memcg=/kubepods/burstable/"
      "poddfc7f441-06db-11ea-842a-0227fba247b6/"
      "aba6a64a8753ea5169d3f501d661492696ffeb640da38c613b81198435144dcd,"
      "task=nginx,pid=22232,uid=0");
  EXPECT_EQ(KindName(m.kind), "kSummary");
  EXPECT_EQ(m.oom_memcg,
            "/kubepods/burstable/poddfc7f441-06db-11ea-842a-0227fba247b6");
  EXPECT_EQ(m.task_memcg,
            "/kubepods/burstable/poddfc7f441-06db-11ea-842a-0227fba247b6/"
            "aba6a64a8753ea5169d3f501d661492696ffeb640da38c613b81198435144dcd");
  EXPECT_EQ(m.comm, "nginx");
  EXPECT_EQ(m.pid, 22232);
}

// linux-5.x-dmesg-global-oom-summary-reaper.log, line 9.
TEST(ParseOomMessageTest, SummaryGlobalOom) {
  OomMessage m = ParseOomMessage(
      "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,"
      "mems_allowed=0,global_oom,task_memcg=/user.slice/user-1000.slice/"
      "session-1.scope,task=stress-ng,pid=1811,uid=1000");
  EXPECT_EQ(KindName(m.kind), "kSummary");
  EXPECT_EQ(ScopeString(m.scope), "global");
  EXPECT_TRUE(m.global_oom);
  EXPECT_EQ(m.constraint, "CONSTRAINT_NONE");
  EXPECT_EQ(m.oom_memcg, "");
  EXPECT_EQ(m.task_memcg, "/user.slice/user-1000.slice/session-1.scope");
  EXPECT_EQ(m.comm, "stress-ng");
  EXPECT_EQ(m.pid, 1811);
  EXPECT_EQ(m.uid, 1000);
}

// The reference doc: a kernel without cpusets and memcg.
TEST(ParseOomMessageTest, SummaryWithoutCpusetOrMemcg) {
  OomMessage m = ParseOomMessage(
      "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),task=x,pid=1,"
      "uid=0");
  EXPECT_EQ(KindName(m.kind), "kSummary");
  EXPECT_EQ(ScopeString(m.scope), "global");
  EXPECT_FALSE(m.global_oom);
  EXPECT_EQ(m.constraint, "CONSTRAINT_NONE");
  EXPECT_EQ(m.oom_memcg, "");
  EXPECT_EQ(m.task_memcg, "");
  EXPECT_EQ(m.comm, "x");
  EXPECT_EQ(m.pid, 1);
  EXPECT_EQ(m.uid, 0);
}

// linux-6.18-dmesg-T-this-machine-odd-comm.log, line 77, and a comm with
// commas and the key itself in it.
TEST(ParseOomMessageTest, SummaryOddComms) {
  OomMessage m = ParseOomMessage(
      "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
      "mems_allowed=0,oom_memcg=/corpus_c,task_memcg=/corpus_c,task=my (odd) "
      "name,pid=25507,uid=0");
  EXPECT_EQ(KindName(m.kind), "kSummary");
  EXPECT_EQ(m.comm, "my (odd) name");
  EXPECT_EQ(m.pid, 25507);
  EXPECT_EQ(m.task_memcg, "/corpus_c");

  m = ParseOomMessage(
      "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
      "mems_allowed=0,oom_memcg=/g,task_memcg=/g/c,task=a,b,pid=5,c,"
      "pid=77,uid=1000");
  EXPECT_EQ(KindName(m.kind), "kSummary");
  EXPECT_EQ(m.comm, "a,b,pid=5,c");
  EXPECT_EQ(m.pid, 77);
  EXPECT_EQ(m.uid, 1000);
  EXPECT_EQ(m.oom_memcg, "/g");
  EXPECT_EQ(m.task_memcg, "/g/c");
}

// linux-5.0-next-dmesg-quoted-oom-group-caller-id.log, line 36: the
// constraint says NONE although oom_memcg is set (copied as printed; the
// scope follows the memcg context).
TEST(ParseOomMessageTest, SummaryConstraintNoneWithOomMemcg) {
  OomMessage m = ParseOomMessage(
      "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,"
      "mems_allowed=0,oom_memcg=/test1,task_memcg=/test1,task=a.out,"
      "pid=9188,uid=0");
  EXPECT_EQ(KindName(m.kind), "kSummary");
  EXPECT_EQ(m.constraint, "CONSTRAINT_NONE");
  EXPECT_EQ(m.oom_memcg, "/test1");
  EXPECT_NE(ScopeString(m.scope), "global");
  EXPECT_EQ(m.pid, 9188);
}

// nixos-6.12-journalctl-truncated-summary-out-of-order.log, line 4:
// journalctl cut the line before task=; the cut last field is dropped.
TEST(ParseOomMessageTest, SummaryCutBeforeTask) {
  OomMessage m = ParseOomMessage(
      "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=systemd-"
      "oomd.service,mems_allowed=0,global_oom,task_memcg=/user.slice/"
      "user-1000.slice/user@1000.service/app.slice/"
      "app-org.gnome.Terminal.slice/vte-s>");
  EXPECT_EQ(KindName(m.kind), "kSummary");
  EXPECT_FALSE(m.pid.has_value());
  EXPECT_FALSE(m.has_comm);
  EXPECT_EQ(m.constraint, "CONSTRAINT_NONE");
  EXPECT_TRUE(m.global_oom);
  EXPECT_EQ(ScopeString(m.scope), "global");
  EXPECT_EQ(m.task_memcg, "");
}

// Cut inside oom_memcg (a synthetic cut of line 77 of
// linux-6.18-dmesg-this-machine.log): oom_memcg is dropped, the
// constraint still gives the scope.
TEST(ParseOomMessageTest, SummaryCutInsideOomMemcg) {
  OomMessage m = ParseOomMessage(
      "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
      "mems_allowed=0,oom_memcg=/corp");
  EXPECT_EQ(KindName(m.kind), "kSummary");
  EXPECT_FALSE(m.pid.has_value());
  EXPECT_EQ(m.constraint, "CONSTRAINT_MEMCG");
  EXPECT_EQ(m.oom_memcg, "");
  EXPECT_EQ(ScopeString(m.scope), "memcg");
}

// Cut after task=: what precedes it is complete.
TEST(ParseOomMessageTest, SummaryCutAfterTask) {
  OomMessage m = ParseOomMessage(
      "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
      "mems_allowed=0,oom_memcg=/corpus_a,task_memcg=/corpus_a,task=pyth");
  EXPECT_EQ(KindName(m.kind), "kSummary");
  EXPECT_FALSE(m.pid.has_value());
  EXPECT_EQ(m.oom_memcg, "/corpus_a");
  EXPECT_EQ(m.task_memcg, "/corpus_a");
}

// lxc-k8s-journal-quoted-summary-only.log: complete, long paths.
TEST(ParseOomMessageTest, SummaryLxcPaths) {
  OomMessage m = ParseOomMessage(
      "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=cri-"
      "containerd-ec9ee26695deb4cc72bc665efff1cf3a03fdfb12f1303e02fe925298"
      "5e084a95.scope,mems_allowed=0-1,oom_memcg=/lxc.payload....-lxc/"
      "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podeded8c65"
      "_6e8e_4c6e_a889_3e427565c740.slice,task_memcg=/lxc.payload.ny2g2r5hh3-"
      "lxc/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-"
      "podeded8c65_6e8e_4c6e_a889_3e427565c740.slice/cri-containerd-ec9ee266"
      "95deb4cc72bc665efff1cf3a03fdfb12f1303e02fe9252985e084a95.scope,"
      "task=pt_main_thread,pid=461754,uid=0");
  EXPECT_EQ(KindName(m.kind), "kSummary");
  EXPECT_EQ(m.comm, "pt_main_thread");
  EXPECT_EQ(m.pid, 461754);
  EXPECT_EQ(m.uid, 0);
  EXPECT_EQ(m.oom_memcg,
            "/lxc.payload....-lxc/kubepods.slice/kubepods-burstable.slice/"
            "kubepods-burstable-podeded8c65_6e8e_4c6e_a889_3e427565c740.slice");
}

// ---------------------------------------------------------------------------
// Memcg context and memory.oom.group.

// Format of 3.10-4.20 (mm/memcontrol.c); the corpus has no sample.
TEST(ParseOomMessageTest, TaskIn) {
  OomMessage m = ParseOomMessage(
      "Task in /docker/abc killed as a result of limit of /docker");
  EXPECT_EQ(KindName(m.kind), "kTaskIn");
  EXPECT_EQ(ScopeString(m.scope), "memcg");
  EXPECT_EQ(m.task_memcg, "/docker/abc");
  EXPECT_EQ(m.oom_memcg, "/docker");
}

TEST(ParseOomMessageTest, TaskInKubepods) {
  OomMessage m = ParseOomMessage(
      "Task in /kubepods/burstable/pod1/c1 killed as a result of limit of "
      "/kubepods/burstable/pod1");
  EXPECT_EQ(KindName(m.kind), "kTaskIn");
  EXPECT_EQ(m.task_memcg, "/kubepods/burstable/pod1/c1");
  EXPECT_EQ(m.oom_memcg, "/kubepods/burstable/pod1");
}

// linux-5.0-next-dmesg-quoted-oom-group-caller-id.log, line 38.
TEST(ParseOomMessageTest, Group) {
  OomMessage m = ParseOomMessage(
      "Tasks in /test1 are going to be killed due to memory.oom.group set");
  EXPECT_EQ(KindName(m.kind), "kGroup");
  EXPECT_EQ(m.oom_memcg, "/test1");
}

// ---------------------------------------------------------------------------
// oom_reaper.

// crio-4.x-dmesg-runc-init-bracket-comm.log, line 9.
TEST(ParseOomMessageTest, Reaped) {
  OomMessage m = ParseOomMessage(
      "oom_reaper: reaped process 387951 (runc:[2:INIT]), now anon-rss:0kB, "
      "file-rss:0kB, shmem-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kReaped");
  EXPECT_EQ(m.pid, 387951);
  EXPECT_EQ(m.comm, "runc:[2:INIT]");
  // The "now" values are residuals, not the victim's size.
  EXPECT_FALSE(m.anon_rss_kb.has_value());
}

// ubuntu-5.3-rsyslog-global-resolved-comm-reaper.log, line 4.
TEST(ParseOomMessageTest, ReapedCommInParentheses) {
  OomMessage m = ParseOomMessage(
      "oom_reaper: reaped process 15925 ((resolved)), now anon-rss:0kB, "
      "file-rss:0kB, shmem-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kReaped");
  EXPECT_EQ(m.pid, 15925);
  EXPECT_EQ(m.comm, "(resolved)");
}

// Format of 4.6+ (the corpus has no sample).
TEST(ParseOomMessageTest, UnableToReap) {
  OomMessage m =
      ParseOomMessage("oom_reaper: unable to reap pid:2555 (python3)");
  EXPECT_EQ(KindName(m.kind), "kUnableToReap");
  EXPECT_EQ(m.pid, 2555);
  EXPECT_EQ(m.comm, "python3");

  m = ParseOomMessage("oom_reaper: unable to reap pid:77 (my (odd) name)");
  EXPECT_EQ(KindName(m.kind), "kUnableToReap");
  EXPECT_EQ(m.pid, 77);
  EXPECT_EQ(m.comm, "my (odd) name");
}

// ---------------------------------------------------------------------------
// Headers.

// linux-6.18-dmesg-this-machine.log, line 1.
TEST(ParseOomMessageTest, Header618) {
  OomMessage m = ParseOomMessage(
      "python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, "
      "oom_score_adj=0");
  EXPECT_EQ(KindName(m.kind), "kHeader");
  EXPECT_TRUE(m.has_comm);
  EXPECT_EQ(m.comm, "python3");
  EXPECT_EQ(m.oom_score_adj, 0);
  EXPECT_FALSE(m.pid.has_value());
}

// el7-3.10-dmesg-T-k8s-memcg-java.log, line 6: negative adj.
TEST(ParseOomMessageTest, Header310NegativeAdj) {
  OomMessage m = ParseOomMessage(
      "java invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=-998");
  EXPECT_EQ(KindName(m.kind), "kHeader");
  EXPECT_EQ(m.comm, "java");
  EXPECT_EQ(m.oom_score_adj, -998);
}

// rhel6-2.6.32-syslog-sniproxy-parent-child.log, line 13: oom_adj= first.
TEST(ParseOomMessageTest, HeaderRhel6WithOomAdj) {
  OomMessage m = ParseOomMessage(
      "named invoked oom-killer: gfp_mask=0x201da, order=0, oom_adj=-17, "
      "oom_score_adj=-1000");
  EXPECT_EQ(KindName(m.kind), "kHeader");
  EXPECT_EQ(m.comm, "named");
  EXPECT_EQ(m.oom_score_adj, -1000);
}

// linux-6.18-dmesg-T-this-machine-odd-comm.log, line 1, and
// photon-4.19-vmware-log-console-score-over-1000.log, line 6 (4.19
// nodemask=(null)).
TEST(ParseOomMessageTest, HeaderOddCommAndNodemask) {
  OomMessage m = ParseOomMessage(
      "my (odd) name invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), "
      "order=0, oom_score_adj=0");
  EXPECT_EQ(KindName(m.kind), "kHeader");
  EXPECT_EQ(m.comm, "my (odd) name");

  m = ParseOomMessage(
      "node invoked oom-killer: gfp_mask=0x6000c0(GFP_KERNEL), "
      "nodemask=(null), order=0, oom_score_adj=999");
  EXPECT_EQ(KindName(m.kind), "kHeader");
  EXPECT_EQ(m.comm, "node");
  EXPECT_EQ(m.oom_score_adj, 999);

  // 4.12/4.14: two spaces before order.
  m = ParseOomMessage(
      "a.out invoked oom-killer: gfp_mask=0x14200ca(GFP_HIGHUSER_MOVABLE), "
      "nodemask=(null),  order=0, oom_score_adj=500");
  EXPECT_EQ(KindName(m.kind), "kHeader");
  EXPECT_EQ(m.oom_score_adj, 500);
}

// ---------------------------------------------------------------------------
// Already exiting and panics.

// Format of 5.9+ (the corpus has no sample).
TEST(ParseOomMessageTest, AlreadyExiting) {
  OomMessage m = ParseOomMessage(
      "Memory cgroup out of memory: OOM victim 1234 (java) is already "
      "exiting. Skip killing the task");
  EXPECT_EQ(KindName(m.kind), "kAlreadyExiting");
  EXPECT_EQ(ScopeString(m.scope), "memcg");
  EXPECT_EQ(m.pid, 1234);
  EXPECT_EQ(m.comm, "java");

  m = ParseOomMessage(
      "Out of memory: OOM victim 99 (my (odd) name) is already exiting. Skip "
      "killing the task");
  EXPECT_EQ(KindName(m.kind), "kAlreadyExiting");
  EXPECT_EQ(ScopeString(m.scope), "global");
  EXPECT_EQ(m.comm, "my (odd) name");
}

TEST(ParseOomMessageTest, Panics) {
  // debian-3.16-console-panic_on_oom-sysrq.log, line 3.
  constexpr std::string_view kCompulsory =
      "Kernel panic - not syncing: Out of memory: compulsory panic_on_oom is "
      "enabled";
  // Format of vm.panic_on_oom=1 (reference doc).
  constexpr std::string_view kSystemWide =
      "Kernel panic - not syncing: Out of memory: system-wide panic_on_oom is "
      "enabled";
  // linux-4.18-dmesg-panic-no-killable-processes.log, line 14.
  constexpr std::string_view kNoKillable =
      "Kernel panic - not syncing: Out of memory and no killable processes...";
  // linux-5.10-dmesg-panic-deadlocked-padded.log, line 2 (padded).
  constexpr std::string_view kDeadlocked =
      "Kernel panic - not syncing: System is deadlocked on memory       ";
  for (std::string_view text :
       {kCompulsory, kSystemWide, kNoKillable, kDeadlocked}) {
    SCOPED_TRACE(text);
    OomMessage m = ParseOomMessage(text);
    EXPECT_EQ(KindName(m.kind), "kPanic");
    EXPECT_EQ(m.panic, text);
  }
}

// On 4.19+ "Out of memory and no killable processes..." is a pr_warn(); the
// kernel panics only for a global OOM, and then prints a second line
// "Kernel panic - not syncing: System is deadlocked on memory"
// (linux-5.10-dmesg-panic-deadlocked-padded.log, lines 1-2). For a memcg OOM
// nothing panics.
TEST(ParseOomMessageTest, NoKillableWarningIsNotAPanic) {
  OomMessage m = ParseOomMessage("Out of memory and no killable processes...");
  EXPECT_EQ(KindName(m.kind), "kNoKillable");
}

// linux-5.0-next-dmesg-quoted-oom-group-caller-id.log, line 59: a panic,
// but not the OOM killer's.
TEST(ParseOomMessageTest, OtherPanicsAreNotOomPanics) {
  EXPECT_EQ(KindName(ParseOomMessage("Kernel panic - not syncing: Attempted to "
                                     "kill init! exitcode=0x0000008b")
                         .kind),
            "kNone");
  EXPECT_EQ(KindName(ParseOomMessage(" panic+0xfc/0x2b0").kind), "kNone");
}

// ParseOomMessage looks for each kind's mark in a fixed order and the first
// one found decides: a comm holding a later kind's mark does not change the
// kind of its line.
TEST(ParseOomMessageTest, FirstMarkFoundDecides) {
  OomMessage m = ParseOomMessage(
      "Out of memory: Killed process 7 (Kill process 1) total-vm:1kB, "
      "anon-rss:1kB, file-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kKill");
  EXPECT_EQ(m.comm, "Kill process 1");

  m = ParseOomMessage(
      "Task in x invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, "
      "oom_score_adj=0");
  EXPECT_EQ(KindName(m.kind), "kHeader");
  EXPECT_EQ(m.comm, "Task in x");

  m = ParseOomMessage(
      "oom_reaper: reaped process 5 (Tasks in ), now anon-rss:0kB");
  EXPECT_EQ(KindName(m.kind), "kReaped");
  EXPECT_EQ(m.comm, "Tasks in ");
}

// A mark without the rest of its line is not an OOM-killer line.
TEST(ParseOomMessageTest, MarkWithoutItsLineIsNone) {
  for (std::string_view text : {
           "Out of memory: OOM victim 5 (x) was reaped",
           "Memory cgroup out of memory: OOM victim x (y) is already exiting",
           "Task in /x was moved",
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(KindName(ParseOomMessage(text).kind), "kNone");
  }
}

// ---------------------------------------------------------------------------
// Broken and unrelated lines.

TEST(ParseOomMessageTest, BrokenOomLinesAreUnrecognized) {
  for (std::string_view text : {
           "Killed process abc",
           "Killed process ",
           "Out of memory: Killed process -x (y) total-vm:1kB",
           "Killed process 1, UID x, (y) total-vm:1kB",
           "Killed process 1, UID 0, y total-vm:1kB",
           "Out of memory: Kill process abc (x) score 1 or sacrifice child",
           "Out of memory: Kill process 1 x score 1",
           "oom-kill:garbage",
           "oom-kill:",
           "oom_reaper: something new",
           "oom_reaper: reaped process x (y), now anon-rss:0kB",
           "oom_reaper: reaped process 5 (y) without now",
           "oom_reaper: unable to reap pid:x (y)",
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(KindName(ParseOomMessage(text).kind), "kUnrecognized");
  }
}

TEST(ParseOomMessageTest, OtherLinesAreNone) {
  for (std::string_view text : {
           "",
           " ",
           // Stack frames (linux-6.18-dmesg-this-machine.log and the doc).
           " oom_kill_process+0x1a5/0x4b0",
           " oom_kill_process.cold+0x8/0x8a",
           " dump_header+0x4a/0x1f0",
           " out_of_memory+0x214/0x500",
           " mem_cgroup_out_of_memory+0xc0/0x110",
           // memcg usage and statistics (same file; 5.0-next's one-line form).
           "memory: usage 65536kB, limit 65536kB, failcnt 99",
           "memory+swap: usage 65536kB, limit 9007199254740988kB, failcnt 0",
           "Memory cgroup stats for /corpus_a:",
           "rss 66875392",
           "total_rss 66875392",
           "Memory cgroup stats for /test1: cache:0KB rss:49484KB "
           "rss_huge:30720KB shmem:0KB mapped_file:0KB dirty:0KB writeback:0KB "
           "inactive_anon:0KB active_anon:49700KB inactive_file:0KB "
           "active_file:0KB unevictable:0KB",
           "Memory limit reached of cgroup /docker",
           // linux-4.9-dmesg-callbacks-suppressed-header-after-kill.log.
           "Mem-Info:",
           "active_anon:304795 inactive_anon:13357 isolated_anon:0",
           "oom_kill_process: 132 callbacks suppressed",
           "a.out cpuset=/ mems_allowed=0",
           // Task table rows (linux-6.18-dmesg-this-machine.log,
           // crio-4.x-..., linux-4.15-...).
           "Tasks state (memory values in pages):",
           "[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file "
           "rss_shmem pgtables_bytes swapents oom_score_adj name",
           "[  25121]     0 25121    18790    17958    16320     1638         "
           "0   192512        0             0 python3",
           "[387951]     0 387951   119281     1724      22       4        0  "
           "        -998 runc:[2:INIT]",
           "[ 2279]  1000  2279  1401628   423539  7999488   445698          "
           "   0 Web Content",
           // linux-4.7-dmesg-would-have-killed-debug.log, line 7.
           "oom_kill_process: would have killed process 749 (systemd-journal), "
           "but continuing instead...",
           // Unrelated (rpi-6.1-..., the 6.18 header's next line).
           "CPU: 1 UID: 0 PID: 25121 Comm: python3 Not tainted 6.18.44-fc-v445 "
           "#1 PREEMPT(none) ",
           "EXT4-fs error (device sda2): ext4_find_entry:1683: inode #2: comm "
           "celery: reading directory lblock 0",
           "Huh VM_FAULT_OOM leaked out to the #PF handler. Retrying PF",
           "Task in",
           "Tasks in /x are not going anywhere",
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(KindName(ParseOomMessage(text).kind), "kNone");
  }
}

// Every prefix of every sample must be classified without reading outside
// the text (ASan catches a read past the end; the views are checked here).
TEST(ParseOomMessageTest, EveryPrefixIsSafe) {
  const std::string samples[] = {
      "Memory cgroup out of memory: Killed process 25507 (my (odd) name) "
      "total-vm:75348kB, anon-rss:65280kB, file-rss:6680kB, shmem-rss:0kB, "
      "UID:0 pgtables:192kB oom_score_adj:0",
      "Killed process 18177 (palo_be), UID 0, total-vm:70347780kB, "
      "anon-rss:45563572kB, file-rss:0kB, shmem-rss:0kB",
      "Killed process 1153, UID 0, (sniproxy) total-vm:13132kB, "
      "anon-rss:124kB, file-rss:0kB",
      "Out of memory (oom_kill_allocating_task): Kill process 6344 (sh) "
      "score 0 or sacrifice child",
      "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
      "mems_allowed=0,oom_memcg=/corpus_c,task_memcg=/corpus_c,task=my (odd) "
      "name,pid=25507,uid=0",
      "oom_reaper: reaped process 387951 (runc:[2:INIT]), now anon-rss:0kB, "
      "file-rss:0kB, shmem-rss:0kB",
      "oom_reaper: unable to reap pid:2555 (python3)",
      "Task in /docker/abc killed as a result of limit of /docker",
      "Tasks in /test1 are going to be killed due to memory.oom.group set",
      "Memory cgroup out of memory: OOM victim 1234 (java) is already "
      "exiting. Skip killing the task",
      "python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, "
      "oom_score_adj=0",
  };
  for (const std::string& sample : samples) {
    for (std::size_t cut = 0; cut <= sample.size(); ++cut) {
      // A copy of exactly `cut` bytes, so that ASan sees any overread.
      const std::string prefix = sample.substr(0, cut);
      OomMessage m = ParseOomMessage(prefix);
      for (std::string_view view :
           {m.comm, m.constraint, m.oom_memcg, m.task_memcg, m.panic}) {
        EXPECT_TRUE(view.empty() || (view.data() >= prefix.data() &&
                                     view.data() + view.size() <=
                                         prefix.data() + prefix.size()))
            << prefix;
      }
    }
  }
}

}  // namespace
}  // namespace oom
