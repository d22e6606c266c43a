#include "collectors/kernel/kmsg/log_line.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::ReadSourceFile;
using ::oom::testing::SourcePath;

std::string TransportName(Transport transport) {
  switch (transport) {
    case Transport::kPlain:
      return "kPlain";
    case Transport::kKmsg:
      return "kKmsg";
    case Transport::kDmesg:
      return "kDmesg";
    case Transport::kDmesgCtime:
      return "kDmesgCtime";
    case Transport::kDmesgRelative:
      return "kDmesgRelative";
    case Transport::kSyslog:
      return "kSyslog";
  }
  return "?";
}

// What a test looks at, copied out of the LogLine.
struct Parsed {
  std::string transport;
  std::string timestamp;
  std::string text;
  bool is_kernel;
};

Parsed Parse(std::string_view line) {
  LogLine out;
  ParseLogLine(line, &out);
  return {TransportName(out.transport), std::string(out.timestamp),
          std::string(out.text), out.is_kernel};
}

struct Case {
  const char* name;
  std::string_view line;
  Transport transport;
  std::string_view timestamp;
  std::string_view text;
  bool is_kernel;
};

void ExpectCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.name << ": \"" << c.line << "\"");
    Parsed parsed = Parse(c.line);
    EXPECT_EQ(parsed.transport, TransportName(c.transport));
    EXPECT_EQ(parsed.timestamp, c.timestamp);
    EXPECT_EQ(parsed.text, c.text);
    EXPECT_EQ(parsed.is_kernel, c.is_kernel);
  }
}

// Real kernel text used in several cases: the 6.18 kill line of
// tests/fixtures/kmsg/corpus/linux-6.18-dmesg-this-machine.log.
constexpr std::string_view kKill618 =
    "Memory cgroup out of memory: Killed process 25121 (python3) "
    "total-vm:75160kB, anon-rss:65280kB, file-rss:6552kB, shmem-rss:0kB, "
    "UID:0 pgtables:188kB oom_score_adj:0";

// ---------------------------------------------------------------------------
// /dev/kmsg records.

TEST(ParseKmsgHeaderTest, PlainRecord) {
  std::string_view text;
  std::optional<KmsgHeader> header =
      ParseKmsgHeader("6,1234,194409778,-;text", &text);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->priority, 6);
  EXPECT_EQ(header->sequence, 1234u);
  EXPECT_EQ(header->timestamp_us, 194409778u);
  EXPECT_EQ(header->flag, '-');
  EXPECT_EQ(text, "text");
}

TEST(ParseKmsgHeaderTest, CallerAndUnknownFieldsAreIgnored) {
  for (std::string_view record :
       {"6,1234,194409778,-,caller=T123;text",
        "6,1234,194409778,-,caller=C3;text",
        "6,1234,194409778,-,future=1,caller=T123,x;text"}) {
    SCOPED_TRACE(record);
    std::string_view text;
    std::optional<KmsgHeader> header = ParseKmsgHeader(record, &text);
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->priority, 6);
    EXPECT_EQ(header->sequence, 1234u);
    EXPECT_EQ(header->timestamp_us, 194409778u);
    EXPECT_EQ(header->flag, '-');
    EXPECT_EQ(text, "text");
  }
}

TEST(ParseKmsgHeaderTest, FragmentFlags) {
  std::string_view text;
  std::optional<KmsgHeader> header = ParseKmsgHeader("4,10,20,c;a", &text);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->flag, 'c');
  header = ParseKmsgHeader("4,11,21,+;b", &text);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->flag, '+');
  EXPECT_EQ(text, "b");
}

TEST(ParseKmsgHeaderTest, TextMayHoldSemicolonsAndBeEmpty) {
  std::string_view text;
  ASSERT_TRUE(ParseKmsgHeader("6,1,2,-;a;b;c", &text).has_value());
  EXPECT_EQ(text, "a;b;c");
  ASSERT_TRUE(ParseKmsgHeader("6,1,2,-;", &text).has_value());
  EXPECT_EQ(text, "");
}

TEST(ParseKmsgHeaderTest, LargestValues) {
  std::string_view text;
  std::optional<KmsgHeader> header = ParseKmsgHeader(
      "1023,18446744073709551615,18446744073709551615,-;x", &text);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->priority, 1023);
  EXPECT_EQ(header->sequence, UINT64_MAX);
  EXPECT_EQ(header->timestamp_us, UINT64_MAX);
}

TEST(ParseKmsgHeaderTest, RejectsWhatIsNotAHeader) {
  for (std::string_view record : {
           "",
           ";",
           "6,1234,194409778,-",   // no ';'
           "6,1234,194409778;x",   // no flag
           "6,1234,194409778,;x",  // empty flag
           "6,1234;x",
           "x,1,2,-;t",
           "6,-1,2,-;t",
           "6,1,2.5,-;t",
           " 6,1,2,-;t",
           "1024,1,2,-;t",                  // priority out of range
           "18446744073709551616,1,2,-;t",  // overflow
           "6,18446744073709551616,2,-;t",  // overflow
           "[  194.409778] a,b,c,d;e",      // dmesg text with ';'
           "Jul 12 10:00:01 host kernel: a,b,c;d",
       }) {
    SCOPED_TRACE(record);
    std::string_view text = "untouched";
    EXPECT_FALSE(ParseKmsgHeader(record, &text).has_value());
  }
  // The header ends within 96 bytes; a ';' further away is text.
  std::string far = "6,1,2,-," + std::string(100, 'a') + ";text";
  std::string_view text;
  EXPECT_FALSE(ParseKmsgHeader(far, &text).has_value());
}

TEST(ParseLogLineTest, KmsgRecords) {
  ExpectCases({
      {"plain", "6,1234,194409778,-;text", Transport::kKmsg, "194409778",
       "text", true},
      {"caller id", "6,1234,194409778,-,caller=T123;text", Transport::kKmsg,
       "194409778", "text", true},
      {"unknown fields", "6,1234,194409778,c,foo=bar,caller=C1;text",
       Transport::kKmsg, "194409778", "text", true},
      // tests/fixtures/kmsg/corpus/linux-6.18-kmsg-raw-this-machine.log
      {"6.18 kill record",
       "3,1050,1504398833,-;Memory cgroup out of memory: Killed process 25121 "
       "(python3) total-vm:75160kB, anon-rss:65280kB, file-rss:6552kB, "
       "shmem-rss:0kB, UID:0 pgtables:188kB oom_score_adj:0",
       Transport::kKmsg, "1504398833", kKill618, true},
      {"trailing space kept",
       "4,974,1504398563,-;CPU: 1 UID: 0 PID: 25121 Comm: python3 Not "
       "tainted 6.18.44-fc-v445 #1 PREEMPT(none) ",
       Transport::kKmsg, "1504398563",
       "CPU: 1 UID: 0 PID: 25121 Comm: python3 Not tainted 6.18.44-fc-v445 "
       "#1 PREEMPT(none) ",
       true},
      {"stack frame keeps its space",
       "4,977,1504398606,-; dump_stack_lvl+0x57/0x80", Transport::kKmsg,
       "1504398606", " dump_stack_lvl+0x57/0x80", true},
      {"empty text", "6,5,6,-;", Transport::kKmsg, "6", "", true},
      {"priority 0", "0,1,2,-;emerg", Transport::kKmsg, "2", "emerg", true},
      {"priority 7", "7,1,2,-;debug", Transport::kKmsg, "2", "debug", true},
      {"crlf", "6,1,2,-;text\r", Transport::kKmsg, "2", "text", true},
      // Userspace writes to /dev/kmsg with a facility other than 0.
      {"userspace priority 8", "8,1,2,-;x", Transport::kKmsg, "2", "x", false},
      {"systemd record",
       "14,1236,194409800,-;systemd[1]: Started Journal Service.",
       Transport::kKmsg, "194409800", "systemd[1]: Started Journal Service.",
       false},
  });
}

TEST(ParseLogLineTest, KmsgHeaderIsExposed) {
  LogLine line;
  ParseLogLine("4,1051,1508740891,c,caller=T9;python3 invoked oom-killer",
               &line);
  ASSERT_TRUE(line.kmsg.has_value());
  EXPECT_EQ(line.kmsg->priority, 4);
  EXPECT_EQ(line.kmsg->sequence, 1051u);
  EXPECT_EQ(line.kmsg->timestamp_us, 1508740891u);
  EXPECT_EQ(line.kmsg->flag, 'c');
  // Other transports have none.
  ParseLogLine("[ 1508.740891] python3 invoked oom-killer", &line);
  EXPECT_FALSE(line.kmsg.has_value());
}

TEST(ParseLogLineTest, UserspaceRecordsAreNotKernelMessages) {
  // A kill line written by a program (priority 30 = daemon.info) is not the
  // kernel's.
  std::string record = "30,1237,194409801,-;" + std::string(kKill618);
  LogLine line;
  ParseLogLine(record, &line);
  EXPECT_EQ(line.transport, Transport::kKmsg);
  EXPECT_EQ(line.text, kKill618);
  EXPECT_FALSE(line.is_kernel);
}

TEST(ParseLogLineTest, KmsgDictionaryLinesAreNotKernelMessages) {
  ExpectCases({
      {"subsystem", " SUBSYSTEM=memory", Transport::kPlain, "", "", false},
      {"device", " DEVICE=+cgroup:corpus_a", Transport::kPlain, "", "", false},
      {"crlf", " SUBSYSTEM=memory\r", Transport::kPlain, "", "", false},
  });
}

TEST(ParseLogLineTest, KmsgEscapesAreUndone) {
  ExpectCases({
      {"newline", "6,1,2,-;a\\x0ab", Transport::kKmsg, "2", "a\nb", true},
      {"backslash", "6,1,2,-;C:\\x5cdir", Transport::kKmsg, "2", "C:\\dir",
       true},
      // An escaped backslash followed by "x41" is not unescaped twice.
      {"escaped backslash then x41", "6,1,2,-;\\x5cx41", Transport::kKmsg, "2",
       "\\x41", true},
      {"upper-case hex", "6,1,2,-;\\x7F", Transport::kKmsg, "2", "\x7f", true},
      {"utf-8 comm", "6,1,2,-;caf\\xc3\\xa9", Transport::kKmsg, "2",
       "caf\xc3\xa9", true},
      {"escape at the very end", "6,1,2,-;ab\\x41", Transport::kKmsg, "2",
       "abA", true},
      {"invalid escapes stay", "6,1,2,-;a\\xZZb\\x4", Transport::kKmsg, "2",
       "a\\xZZb\\x4", true},
      {"lone backslash-x at the end", "6,1,2,-;a\\x", Transport::kKmsg, "2",
       "a\\x", true},
      {"other backslashes stay", "6,1,2,-;a\\qb\\\\", Transport::kKmsg, "2",
       "a\\qb\\\\", true},
      // dmesg and syslog text is not escaped: left as it is.
      {"dmesg text is not unescaped", "[    1.000000] a\\x0ab",
       Transport::kDmesg, "1.000000", "a\\x0ab", true},
  });
}

TEST(ParseLogLineTest, EscapedKillLineKeepsItsComm) {
  LogLine line;
  ParseLogLine(
      "3,7,8,-;Memory cgroup out of memory: Killed process 7 (caf\\xc3\\xa9 "
      "\\x5c\\x09) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
      &line);
  EXPECT_EQ(line.text,
            "Memory cgroup out of memory: Killed process 7 (caf\xc3\xa9 \\\t) "
            "total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB");
}

TEST(ParseLogLineTest, ReusedLogLineDoesNotKeepStaleText) {
  LogLine line;
  ParseLogLine("6,1,2,-;escaped\\x0atext", &line);
  EXPECT_EQ(line.text, "escaped\ntext");
  ParseLogLine("[    1.500000] plain", &line);
  EXPECT_EQ(line.text, "plain");
  EXPECT_EQ(line.timestamp, "1.500000");
  EXPECT_FALSE(line.kmsg.has_value());
  EXPECT_TRUE(line.is_kernel);
  ParseLogLine("14,3,4,-;user", &line);
  EXPECT_FALSE(line.is_kernel);
  ParseLogLine("6,5,6,-;kernel", &line);
  EXPECT_TRUE(line.is_kernel);
  EXPECT_EQ(line.text, "kernel");
}

TEST(UnescapeKmsgTest, NothingToUndoLeavesOutputUntouched) {
  std::string out = "sentinel";
  EXPECT_FALSE(UnescapeKmsg("plain text \\q", &out));
  EXPECT_EQ(out, "sentinel");
  EXPECT_FALSE(UnescapeKmsg("", &out));
  EXPECT_EQ(out, "sentinel");
}

TEST(UnescapeKmsgTest, Unescapes) {
  std::string out = "old content";
  EXPECT_TRUE(UnescapeKmsg("a\\x0ab\\x5c\\x00c", &out));
  EXPECT_EQ(out, std::string("a\nb\\\0c", 6));
  EXPECT_TRUE(UnescapeKmsg("\\xff\\xFE", &out));
  EXPECT_EQ(out, "\xff\xfe");
}

TEST(UnescapeKmsgTest, InvalidEscapesAreCopied) {
  std::string out;
  EXPECT_TRUE(UnescapeKmsg("\\xg0 \\x0 \\x", &out));
  EXPECT_EQ(out, "\\xg0 \\x0 \\x");
}

// ---------------------------------------------------------------------------
// dmesg in all its forms.

TEST(ParseLogLineTest, Dmesg) {
  ExpectCases({
      {"plain", "[  194.409778] text", Transport::kDmesg, "194.409778", "text",
       true},
      {"boot", "[    0.000000] Linux version 6.18.44", Transport::kDmesg,
       "0.000000", "Linux version 6.18.44", true},
      // tests/fixtures/kmsg/corpus/rpi-6.1-dmesg-celery-interleaved-disk-errors.log
      {"six-digit seconds",
       "[123565.452985] gvfs-afc-volume invoked oom-killer: "
       "gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, "
       "oom_score_adj=0",
       Transport::kDmesg, "123565.452985",
       "gvfs-afc-volume invoked oom-killer: "
       "gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, "
       "oom_score_adj=0",
       true},
      {"stack frame keeps its space", "[ 1504.398618]  dump_header+0x43/0x1c0",
       Transport::kDmesg, "1504.398618", " dump_header+0x43/0x1c0", true},
      {"no text", "[    1.000000]", Transport::kDmesg, "1.000000", "", true},
      {"crlf", "[  194.409778] text\r", Transport::kDmesg, "194.409778", "text",
       true},
      // The kernel's console format with CONFIG_PRINTK_CALLER: no space
      // before the caller id (corpus linux-5.0-next-dmesg-quoted-...).
      {"console caller id", "[   37.128158][ T9185] text", Transport::kDmesg,
       "37.128158", "text", true},
      {"console caller id, cpu", "[   37.128158][    C3] text",
       Transport::kDmesg, "37.128158", "text", true},
      {"dmesg caller id", "[  1.0] [T12] text", Transport::kDmesg, "1.0",
       "text", true},
      {"bracketed text that is not a caller id", "[  1.0] [abc] text",
       Transport::kDmesg, "1.0", "[abc] text", true},
  });
}

TEST(ParseLogLineTest, DmesgCtime) {
  ExpectCases({
      {"dmesg -T", "[Thu Dec  7 00:05:15 2017] text", Transport::kDmesgCtime,
       "Thu Dec  7 00:05:15 2017", "text", true},
      // tests/fixtures/kmsg/corpus/el7-3.10-dmesg-T-k8s-memcg-java.log
      {"el7 kill line",
       "[Thu Dec  7 00:05:15 2017] Killed process 28438 (java) "
       "total-vm:20255636kB, anon-rss:466160kB, file-rss:13684kB",
       Transport::kDmesgCtime, "Thu Dec  7 00:05:15 2017",
       "Killed process 28438 (java) total-vm:20255636kB, anon-rss:466160kB, "
       "file-rss:13684kB",
       true},
      {"two-digit day", "[Sun Nov 22 02:27:55 2026] text",
       Transport::kDmesgCtime, "Sun Nov 22 02:27:55 2026", "text", true},
  });
}

TEST(ParseLogLineTest, DmesgRelative) {
  ExpectCases({
      {"wall-clock marker", "[Oct28 16:58] text", Transport::kDmesgRelative,
       "Oct28 16:58", "text", true},
      // tests/fixtures/kmsg/corpus/linux-6.18-dmesg-H-this-machine.log
      {"marker before a header",
       "[Nov22 02:28] my (odd) name invoked oom-killer: "
       "gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
       Transport::kDmesgRelative, "Nov22 02:28",
       "my (odd) name invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), "
       "order=0, oom_score_adj=0",
       true},
      {"delta", "[  +0.000082] text", Transport::kDmesgRelative, "+0.000082",
       "text", true},
      {"large delta", "[+1234.000082] text", Transport::kDmesgRelative,
       "+1234.000082", "text", true},
  });
}

TEST(ParseLogLineTest, DmesgLevelAndFacilityPrefixes) {
  ExpectCases({
      {"dmesg -r", "<3>[  1.2] text", Transport::kDmesg, "1.2", "text", true},
      {"dmesg -r two digits", "<12>[  1.2] text", Transport::kDmesg, "1.2",
       "text", true},
      {"dmesg -x", "kern  :err   : [  1.2] text", Transport::kDmesg, "1.2",
       "text", true},
      {"dmesg -x info relative", "kern  :info  : [  +0.000003] text",
       Transport::kDmesgRelative, "+0.000003", "text", true},
      {"dmesg -x -T", "kern  :warn  : [Thu Dec  7 00:05:15 2017] text",
       Transport::kDmesgCtime, "Thu Dec  7 00:05:15 2017", "text", true},
  });
}

// ---------------------------------------------------------------------------
// journalctl -k and syslog files.

TEST(ParseLogLineTest, Syslog) {
  ExpectCases({
      {"journalctl -k", "Jul 12 10:00:01 host kernel: text", Transport::kSyslog,
       "Jul 12 10:00:01", "text", true},
      {"space-padded day", "May  8 14:05:27 doris-03 kernel: text",
       Transport::kSyslog, "May  8 14:05:27", "text", true},
      // tests/fixtures/kmsg/corpus/linux-4.x-journalctl-zero-padded-day.log
      {"zero-padded day",
       "May 07 21:43:54 doom kernel: Out of memory: Kill process 27438 (R) "
       "score 31 or sacrifice child",
       Transport::kSyslog, "May 07 21:43:54",
       "Out of memory: Kill process 27438 (R) score 31 or sacrifice child",
       true},
      {"russian month", "июл 12 10:00:01 host kernel: text", Transport::kSyslog,
       "июл 12 10:00:01", "text", true},
      // tests/fixtures/kmsg/corpus/linux-4.x-journalctl-russian-month.log
      {"russian month, corpus",
       "апр 28 01:23:30 PC kernel: Out of memory: Kill process 27541 (bash) "
       "score 572 or sacrifice child",
       Transport::kSyslog, "апр 28 01:23:30",
       "Out of memory: Kill process 27541 (bash) score 572 or sacrifice child",
       true},
      {"german month, padded", "Mär  3 10:00:01 host kernel: text",
       Transport::kSyslog, "Mär  3 10:00:01", "text", true},
      {"short-precise", "Jul 12 10:00:01.123456 host kernel: text",
       Transport::kSyslog, "Jul 12 10:00:01.123456", "text", true},
      {"short-iso", "2023-07-12T10:00:01.123456+02:00 host kernel: text",
       Transport::kSyslog, "2023-07-12T10:00:01.123456+02:00", "text", true},
      {"short-iso without fraction",
       "2023-07-12T10:00:01+0200 host kernel: text", Transport::kSyslog,
       "2023-07-12T10:00:01+0200", "text", true},
      // tests/fixtures/kmsg/corpus/openwrt-4.x-logread-netifd.log
      {"openwrt logread",
       "Sat Jan 25 09:40:15 2020 kern.err kernel: [22043.048568] text",
       Transport::kSyslog, "Sat Jan 25 09:40:15 2020", "text", true},
      // tests/fixtures/kmsg/corpus/arch-6.1-journalctl-kill-before-...
      {"no host name", "Jan 09 14:15:16 kernel: text", Transport::kSyslog,
       "Jan 09 14:15:16", "text", true},
      // tests/fixtures/kmsg/corpus/debian-4.9-rsyslog-glued-hostname-...
      {"host glued to the tag",
       "Dec 20 15:32:34 MyVMkernel: [497806.660728] text", Transport::kSyslog,
       "Dec 20 15:32:34", "text", true},
      // tests/fixtures/kmsg/corpus/rhel6-2.6.32-rsyslog-grep-mysqld.log
      {"rsyslog keeps the kernel stamp",
       "Mar  2 17:35:10 server1 kernel: [2858609.598568] Killed process "
       "11726, UID 498, (mysqld) total-vm:7823732kB, anon-rss:2539268kB, "
       "file-rss:768kB",
       Transport::kSyslog, "Mar  2 17:35:10",
       "Killed process 11726, UID 498, (mysqld) total-vm:7823732kB, "
       "anon-rss:2539268kB, file-rss:768kB",
       true},
      {"rsyslog stamp and caller id",
       "Jul 12 10:00:01 host kernel: [   37.128158][ T9185] text",
       Transport::kSyslog, "Jul 12 10:00:01", "text", true},
      // tests/fixtures/kmsg/corpus/photon-4.19-vmware-log-console-...: a
      // guest console in a hypervisor log, with "<level>[seconds]".
      {"vmware.log guest console",
       "2023-12-04T10:49:30.125Z In(05) vcpu-5 - Guest: <3>[39290745.072599] "
       "text",
       Transport::kSyslog, "2023-12-04T10:49:30.125Z", "text", true},
      {"crlf", "Jul 12 10:00:01 host kernel: text\r", Transport::kSyslog,
       "Jul 12 10:00:01", "text", true},
  });
}

TEST(ParseLogLineTest, SyslogLinesOfOtherProgramsAreNotKernelMessages) {
  ExpectCases({
      {"systemd", "Jul 12 10:00:01 host systemd[1]: Started Session 1.",
       Transport::kSyslog, "Jul 12 10:00:01", "Started Session 1.", false},
      {"oomd",
       "Aug 20 13:44:01 kinga systemd-oomd[812]: Killed /user.slice/x due to "
       "memory pressure",
       Transport::kSyslog, "Aug 20 13:44:01",
       "Killed /user.slice/x due to memory pressure", false},
      {"kill text from a program",
       "Jul 12 10:00:01 host myapp: Killed process 1 (x) total-vm:1kB",
       Transport::kSyslog, "Jul 12 10:00:01",
       "Killed process 1 (x) total-vm:1kB", false},
      {"kernel-ish program name", "Jul 12 10:00:01 host kernelcare[5]: patched",
       Transport::kSyslog, "Jul 12 10:00:01", "patched", false},
  });
}

TEST(ParseLogLineTest, Quoting) {
  ExpectCases({
      {"dmesg", "> [  1.0] text", Transport::kDmesg, "1.0", "text", true},
      {"nested", "> > Jul 12 10:00:01 host kernel: text", Transport::kSyslog,
       "Jul 12 10:00:01", "text", true},
      {"no space between", ">> [  1.0] text", Transport::kDmesg, "1.0", "text",
       true},
      {"quoted console caller id", "> [   37.128158][ T9185] text",
       Transport::kDmesg, "37.128158", "text", true},
      {"quoted kmsg record", "> 6,1,2,-;text", Transport::kKmsg, "2", "text",
       true},
      {"quote only", "> ", Transport::kPlain, "", "", true},
      {"quoted crlf", "> [  1.0] text\r", Transport::kDmesg, "1.0", "text",
       true},
  });
}

// ---------------------------------------------------------------------------
// Garbage: a plain line, never a crash.

TEST(ParseLogLineTest, GarbageFallsBackToPlain) {
  ExpectCases({
      {"only spaces (blank, like an empty line)", "   ", Transport::kPlain, "",
       "", false},
      {"open bracket", "[", Transport::kPlain, "", "[", true},
      {"empty brackets", "[]", Transport::kPlain, "", "[]", true},
      {"words in brackets", "[abc] x", Transport::kPlain, "", "[abc] x", true},
      {"unclosed stamp", "[  194.409778 text", Transport::kPlain, "",
       "[  194.409778 text", true},
      {"stamp without fraction", "[  194] text", Transport::kPlain, "",
       "[  194] text", true},
      {"stamp with letters", "[  1.2x] text", Transport::kPlain, "",
       "[  1.2x] text", true},
      {"level only", "<3>", Transport::kPlain, "", "<3>", true},
      {"kmsg header without ';'", "6,1,2,-", Transport::kPlain, "", "6,1,2,-",
       true},
      {"number", "42", Transport::kPlain, "", "42", true},
      {"prose", "Out of memory: Kill process 1 (x) score 1 or sacrifice child",
       Transport::kPlain, "",
       "Out of memory: Kill process 1 (x) score 1 or sacrifice child", true},
      {"syslog stamp without a tag", "Jul 12 10:00:01 host", Transport::kPlain,
       "", "Jul 12 10:00:01 host", true},
      {"syslog stamp only", "Jul 12 10:00:01", Transport::kPlain, "",
       "Jul 12 10:00:01", true},
  });
}

TEST(ParseLogLineTest, EmptyLineIsNotAKernelMessage) {
  Parsed parsed = Parse("");
  EXPECT_EQ(parsed.transport, "kPlain");
  EXPECT_EQ(parsed.text, "");
  EXPECT_EQ(parsed.timestamp, "");
  EXPECT_FALSE(parsed.is_kernel);
}

TEST(ParseLogLineTest, EmptyLineIsPlainAndEmpty) {
  Parsed parsed = Parse("");
  EXPECT_EQ(parsed.transport, "kPlain");
  EXPECT_EQ(parsed.text, "");
  EXPECT_EQ(parsed.timestamp, "");
}

TEST(ParseLogLineTest, VeryLongLines) {
  const std::string payload(10 * 1024, 'A');
  Parsed parsed = Parse("[  1.0] " + payload);
  EXPECT_EQ(parsed.transport, "kDmesg");
  EXPECT_EQ(parsed.text, payload);

  parsed = Parse("6,1,2,-;" + payload);
  EXPECT_EQ(parsed.transport, "kKmsg");
  EXPECT_EQ(parsed.text, payload);

  for (char fill : {'A', '[', ' ', '>', '<', '\\', ':', ',', ';', '0'}) {
    SCOPED_TRACE(::testing::Message() << "fill '" << fill << "'");
    const std::string line(10 * 1024, fill);
    LogLine out;
    ParseLogLine(line, &out);
    if (fill == '>' || fill == ' ') continue;  // quoting/padding stripped
    EXPECT_EQ(out.transport, Transport::kPlain);
    EXPECT_EQ(out.text, line);
  }
}

TEST(ParseLogLineTest, BinaryBytes) {
  const std::string binary("\x00\xff\xfe[\x01]\x7f\x00;,", 10);
  Parsed parsed = Parse(binary);
  EXPECT_EQ(parsed.transport, "kPlain");
  EXPECT_EQ(parsed.text, binary);

  // A NUL inside a dmesg line is kept in the text.
  const std::string with_nul("[  1.0] a\0b", 11);
  parsed = Parse(with_nul);
  EXPECT_EQ(parsed.transport, "kDmesg");
  EXPECT_EQ(parsed.text, std::string("a\0b", 3));
}

// Every view the parser returns must point into the line (or into the
// LogLine's own buffer for kmsg text).
void ExpectViewsInside(std::string_view line, const LogLine& out) {
  auto inside = [](std::string_view part, std::string_view whole) {
    return part.empty() ||
           (part.data() >= whole.data() &&
            part.data() + part.size() <= whole.data() + whole.size());
  };
  EXPECT_TRUE(inside(out.timestamp, line)) << line;
  EXPECT_TRUE(inside(out.text, line) || inside(out.text, out.unescaped))
      << line;
}

// Cuts every real line of the corpus (and the lines above) at every byte:
// whatever the parser makes of a prefix, it stays within the line.
TEST(ParseLogLineTest, EveryPrefixOfEveryCorpusLineIsSafe) {
  std::vector<std::string> lines = {
      "6,1234,194409778,-,caller=T123;a\\x0ab\\x5",
      "kern  :err   : [  1.2] text",
      "<3>[  1.2] text",
      "[Thu Dec  7 00:05:15 2017] text",
      "[Oct28 16:58] text",
      "[   37.128158][ T9185] text",
      "2023-07-12T10:00:01.123456+02:00 host kernel: text",
      "Sat Jan 25 09:40:15 2020 kern.err kernel: [22043.048568] text",
      "> > Jul 12 10:00:01 host kernel: text",
  };
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto& entry :
       fs::directory_iterator(SourcePath("tests/fixtures/kmsg/corpus"))) {
    if (entry.path().extension() != ".log") continue;
    ++files;
    std::string content = ReadSourceFile("tests/fixtures/kmsg/corpus/" +
                                         entry.path().filename().string());
    std::size_t start = 0;
    while (start < content.size()) {
      std::size_t end = content.find('\n', start);
      if (end == std::string::npos) end = content.size();
      lines.push_back(content.substr(start, end - start));
      start = end + 1;
    }
  }
  EXPECT_GT(files, 0);
  LogLine out;
  for (const std::string& line : lines) {
    for (std::size_t cut = 0; cut <= line.size(); ++cut) {
      std::string_view prefix = std::string_view(line).substr(0, cut);
      ParseLogLine(prefix, &out);
      ExpectViewsInside(prefix, out);
      std::string_view suffix = std::string_view(line).substr(cut);
      ParseLogLine(suffix, &out);
      ExpectViewsInside(suffix, out);
    }
  }
}

}  // namespace
}  // namespace oom
