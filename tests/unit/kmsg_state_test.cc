#include "collectors/kmsg/kmsg_state.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::TempTree;
using ::testing::HasSubstr;

// A state with every field set, and strings that need escaping.
KmsgCounters FullState() {
  KmsgCounters c;
  c.boot_id = "0f6c1b8e-5a43-4f3b-9d0e-2b1f8a7c6d5e";
  c.last_sequence = 1207;
  c.records = 1207;
  c.lost = 3;
  c.unrecognized = 2;
  c.invocations = 5;
  c.repeated_kills = 4;
  c.panics = 1;
  c.last_kill_time = 1763778475.5;
  c.kills[{"memcg", "/corpus_b", "python3"}] = 2;
  c.kills[{"global", "/user.slice/a\tb", "my (odd)\tname"}] = 1;
  c.kills[{"memcg", "/odd\\path\nend\n", "back\\slash\\"}] = 7;
  c.kills[{"", "", ""}] = 18446744073709551615u;
  MemoryHistogram memcg;
  memcg.Observe(71832.0 * 1024);
  memcg.Observe(40748.0 * 1024);
  c.memory["memcg"] = memcg;
  MemoryHistogram global;
  global.Observe(5.0 * (1ull << 30));
  global.Observe(100.0 * (1ull << 30));
  c.memory["global"] = global;

  RecordedKill full;
  full.time = 1763778475.25;
  OomKill& k = full.kill;
  k.pid = 25507;
  k.comm = "my (odd)\tname\\\n";
  k.scope = OomScope::kMemcg;
  k.constraint = "CONSTRAINT_MEMCG";
  k.oom_memcg = "/corpus_c";
  k.task_memcg = "/corpus_c/\tjob\\N";
  k.total_vm_kb = 75348;
  k.anon_rss_kb = 65280;
  k.file_rss_kb = 6680;
  k.shmem_rss_kb = 0;
  k.uid = 100999;
  k.pgtables_kb = 192;
  k.oom_score_adj = -998;
  k.score = 1905;
  k.reaped = true;
  k.timestamp = "Sun Nov 22 02:28:02 2026";
  k.kmsg_sequence = 1207;
  k.kmsg_timestamp_us = 1508769700;
  c.recent.push_back(full);

  RecordedKill nulls;  // everything the log may not show
  nulls.kill.pid = 21525;
  c.recent.push_back(nulls);

  RecordedKill global_kill;
  global_kill.time = 0;
  global_kill.kill.pid = -1;
  global_kill.kill.comm = "";  // empty, not null
  global_kill.kill.scope = OomScope::kGlobal;
  global_kill.kill.total_vm_kb = UINT64_MAX;
  global_kill.kill.uid = INT64_MIN;
  c.recent.push_back(global_kill);
  return c;
}

void ExpectKillsEqual(const OomKill& a, const OomKill& b) {
  EXPECT_EQ(a.pid, b.pid);
  EXPECT_EQ(a.comm, b.comm);
  EXPECT_EQ(a.scope, b.scope);
  EXPECT_EQ(a.constraint, b.constraint);
  EXPECT_EQ(a.oom_memcg, b.oom_memcg);
  EXPECT_EQ(a.task_memcg, b.task_memcg);
  EXPECT_EQ(a.total_vm_kb, b.total_vm_kb);
  EXPECT_EQ(a.anon_rss_kb, b.anon_rss_kb);
  EXPECT_EQ(a.file_rss_kb, b.file_rss_kb);
  EXPECT_EQ(a.shmem_rss_kb, b.shmem_rss_kb);
  EXPECT_EQ(a.uid, b.uid);
  EXPECT_EQ(a.pgtables_kb, b.pgtables_kb);
  EXPECT_EQ(a.oom_score_adj, b.oom_score_adj);
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.reaped, b.reaped);
  EXPECT_EQ(a.timestamp, b.timestamp);
  EXPECT_EQ(a.kmsg_sequence, b.kmsg_sequence);
  EXPECT_EQ(a.kmsg_timestamp_us, b.kmsg_timestamp_us);
}

void ExpectStatesEqual(const KmsgCounters& a, const KmsgCounters& b) {
  EXPECT_EQ(a.boot_id, b.boot_id);
  EXPECT_EQ(a.last_sequence, b.last_sequence);
  EXPECT_EQ(a.records, b.records);
  EXPECT_EQ(a.lost, b.lost);
  EXPECT_EQ(a.unrecognized, b.unrecognized);
  EXPECT_EQ(a.invocations, b.invocations);
  EXPECT_EQ(a.repeated_kills, b.repeated_kills);
  EXPECT_EQ(a.repeated_kills_counted, b.repeated_kills_counted);
  EXPECT_EQ(a.panics, b.panics);
  EXPECT_EQ(a.last_kill_time, b.last_kill_time);
  EXPECT_EQ(a.kills, b.kills);
  ASSERT_EQ(a.memory.size(), b.memory.size());
  for (const auto& [scope, histogram] : a.memory) {
    SCOPED_TRACE(scope);
    auto it = b.memory.find(scope);
    ASSERT_NE(it, b.memory.end());
    EXPECT_EQ(histogram.buckets, it->second.buckets);
    EXPECT_EQ(histogram.count, it->second.count);
    EXPECT_EQ(histogram.sum, it->second.sum);
  }
  ASSERT_EQ(a.recent.size(), b.recent.size());
  for (std::size_t i = 0; i < a.recent.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "recent[" << i << "]");
    EXPECT_EQ(a.recent[i].time, b.recent[i].time);
    ExpectKillsEqual(a.recent[i].kill, b.recent[i].kill);
  }
}

TEST(KmsgStateTest, RoundTripWithEveryField) {
  const KmsgCounters state = FullState();
  const std::string text = SerializeKmsgState(state);
  absl::StatusOr<KmsgCounters> parsed = ParseKmsgState(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  ExpectStatesEqual(*parsed, state);
  // Serialising again gives the same bytes.
  EXPECT_EQ(SerializeKmsgState(*parsed), text);
}

TEST(KmsgStateTest, RoundTripOfRepeatedKills) {
  KmsgCounters state;
  state.repeated_kills = 3;
  const std::string text = SerializeKmsgState(state);
  EXPECT_THAT(text, HasSubstr("\nrepeated_kills\t3\n"));
  absl::StatusOr<KmsgCounters> parsed = ParseKmsgState(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  EXPECT_EQ(parsed->repeated_kills, 3u);
  EXPECT_TRUE(parsed->repeated_kills_counted);
}

// A file as exporters wrote it before they counted repeated kill lines has
// no "repeated_kills" line (here the counters after
// debian-6.12-kmsg-raw-vm-oom-group.log, without memory and recent lines):
// it loads, with 0 and a mark that its run did not count them, and is saved
// again with the line.
TEST(KmsgStateTest, AFileWithoutRepeatedKillsLoads) {
  const std::string old_format =
      "oom_exporter-kmsg-state 1\n"
      "boot_id\t591a4f42-9d77-4508-8a4f-516389029cb8\n"
      "last_sequence\t772\n"
      "records\t410\n"
      "lost\t363\n"
      "unrecognized\t0\n"
      "invocations\t4\n"
      "panics\t0\n"
      "last_kill_time\t1795305606.160035\n"
      "kill\tmemcg\t/app/worker\thog\t1\n"
      "kill\tmemcg\t/early/a\thog\t1\n"
      "kill\tmemcg\t/early/b\thog\t1\n"
      "kill\tmemcg\t/grp\thog\t1\n"
      "kill\tmemcg\t/grp\tsleeper\t2\n"
      "end\n";
  absl::StatusOr<KmsgCounters> parsed = ParseKmsgState(old_format);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->repeated_kills, 0u);
  EXPECT_FALSE(parsed->repeated_kills_counted);
  EXPECT_EQ(parsed->invocations, 4u);
  EXPECT_EQ(parsed->records, 410u);
  EXPECT_EQ(parsed->last_sequence, 772u);
  EXPECT_EQ(parsed->kills.size(), 5u);
  const std::string again = SerializeKmsgState(*parsed);
  EXPECT_THAT(again, HasSubstr("\ninvocations\t4\nrepeated_kills\t0\n"));
  absl::StatusOr<KmsgCounters> reparsed = ParseKmsgState(again);
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_TRUE(reparsed->repeated_kills_counted);
}

TEST(KmsgStateTest, FormatIsLineBasedAndEndsWithEnd) {
  const std::string text = SerializeKmsgState(FullState());
  EXPECT_EQ(text.substr(0, text.find('\n')), "oom_exporter-kmsg-state 1");
  ASSERT_GE(text.size(), 4u);
  EXPECT_EQ(text.substr(text.size() - 4), "end\n");
  // Tabs and newlines inside values are escaped: exactly one "end" line.
  std::size_t ends = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line == "end") ++ends;
  }
  EXPECT_EQ(ends, 1u);
}

TEST(KmsgStateTest, RoundTripOfAnEmptyState) {
  const KmsgCounters empty;
  absl::StatusOr<KmsgCounters> parsed =
      ParseKmsgState(SerializeKmsgState(empty));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ExpectStatesEqual(*parsed, empty);
  EXPECT_FALSE(parsed->last_sequence.has_value());
  EXPECT_FALSE(parsed->last_kill_time.has_value());
  EXPECT_TRUE(parsed->kills.empty());
  EXPECT_TRUE(parsed->recent.empty());
}

// A file cut anywhere is an error: never a crash, never part of a state.
TEST(KmsgStateTest, TruncatedAtEveryByteIsAnError) {
  const std::string text = SerializeKmsgState(FullState());
  for (std::size_t cut = 0; cut + 1 < text.size(); ++cut) {
    // A copy of exactly `cut` bytes, so that ASan sees any overread.
    const std::string prefix = text.substr(0, cut);
    absl::StatusOr<KmsgCounters> parsed = ParseKmsgState(prefix);
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status()))
        << "cut at byte " << cut << " of " << text.size() << ": "
        << parsed.status();
  }
  // Only the final newline missing: every line is there, so either an
  // error or the complete state is acceptable, never anything else.
  absl::StatusOr<KmsgCounters> parsed =
      ParseKmsgState(text.substr(0, text.size() - 1));
  if (parsed.ok()) ExpectStatesEqual(*parsed, FullState());
}

TEST(KmsgStateTest, EmptyAndWrongMagicAreErrors) {
  const std::string valid = SerializeKmsgState(FullState());
  const std::string body = valid.substr(valid.find('\n'));
  for (const std::string& text : {
           std::string(), std::string("\n"), std::string("garbage"),
           "oom_exporter-kmsg-state 2" + body, "oom_exporter-kmsg-state" + body,
           "oom_exporter-kmsg-state 1 " + body,
           "# oom_exporter-kmsg-state 1" + body,
           body.substr(1),  // no magic line at all
       }) {
    SCOPED_TRACE(text.substr(0, 40));
    EXPECT_TRUE(absl::IsInvalidArgument(ParseKmsgState(text).status()));
  }
  absl::StatusOr<KmsgCounters> parsed =
      ParseKmsgState("oom_exporter-kmsg-state 2" + body);
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("line 1"));
}

TEST(KmsgStateTest, DataAfterEndIsAnError) {
  const std::string valid = SerializeKmsgState(KmsgCounters());
  for (std::string_view extra : {"records\t1\n", "end\n", "x\n", "end"}) {
    SCOPED_TRACE(extra);
    absl::StatusOr<KmsgCounters> parsed =
        ParseKmsgState(valid + std::string(extra));
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status())) << parsed.status();
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("after"));
  }
}

// Each corrupt line, put just before "end" of a valid file, is an error
// naming its line.
TEST(KmsgStateTest, CorruptLinesAreErrors) {
  const std::string valid = SerializeKmsgState(FullState());
  const std::size_t end = valid.rfind("end\n");
  const std::size_t line_number =
      static_cast<std::size_t>(
          std::count(valid.begin(), valid.begin() + end, '\n')) +
      1;
  const std::string nine_buckets = "\t1\t1\t1\t1\t1\t1\t1\t1\t1";
  const std::string recent_ok =
      "recent\t1.000000\t5\t7\tcomm\tmemcg\tC\t/a\t/b\t1\t2\t3\t4\t0\t5\t0\t0"
      "\t1\tts\t9";
  // The valid recent line is valid indeed.
  ASSERT_TRUE(
      ParseKmsgState(valid.substr(0, end) + recent_ok + "\nend\n").ok());
  for (const std::string& line : {
           std::string("bogus\t1"),
           std::string("records"),
           std::string("records\t"),
           std::string("records\tabc"),
           std::string("records\t-1"),
           std::string("records\t1\t2"),
           std::string("records\t18446744073709551616"),
           std::string("records\t\\N"),
           std::string("lost\t1.5"),
           std::string("repeated_kills"),
           std::string("repeated_kills\tx"),
           std::string("repeated_kills\t-1"),
           std::string("repeated_kills\t\\N"),
           std::string("boot_id"),
           std::string("boot_id\t\\N"),
           std::string("last_sequence\tx"),
           std::string("last_kill_time\tyesterday"),
           std::string("kill\tmemcg\t/a\tpython3"),
           std::string("kill\tmemcg\t/a\tpython3\tx"),
           std::string("kill\tmemcg\t/a\tpython3\t1\t2"),
           std::string("kill\t\\N\t/a\tpython3\t1"),
           std::string("memory\tmemcg\t1\t1.0"),
           "memory\tmemcg\tx\t1.0" + nine_buckets,
           "memory\tmemcg\t1\tx" + nine_buckets,
           "memory\tmemcg\t1\t1.0" + nine_buckets + "\t1",
           std::string("memory\tmemcg\t1\t1.0\t1\t1\t1\t1\t1\t1\t1\t1\tx"),
           recent_ok.substr(0, recent_ok.rfind('\t')),  // 19 fields
           recent_ok + "\t1",                           // 21 fields
           "recent\t1.000000\t5\t\\N" +
               recent_ok.substr(recent_ok.find("\tcomm")),  // null pid
           "recent\t1.000000\t5\tx" +
               recent_ok.substr(recent_ok.find("\tcomm")),
       }) {
    SCOPED_TRACE(line);
    const std::string text = valid.substr(0, end) + line + "\nend\n";
    absl::StatusOr<KmsgCounters> parsed = ParseKmsgState(text);
    ASSERT_TRUE(absl::IsInvalidArgument(parsed.status())) << parsed.status();
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr("line " + std::to_string(line_number)));
  }
}

// A recent line whose optional fields hold garbage instead of a number or
// "\N" is corrupt too; it must not load as nulls.
TEST(KmsgStateTest, CorruptOptionalFieldsOfRecentKillsAreErrors) {
  const std::string valid = SerializeKmsgState(KmsgCounters());
  const std::size_t end = valid.rfind("end\n");
  const std::vector<std::string> fields = {
      "recent", "1.000000", "5", "7", "comm", "memcg", "C", "/a", "/b", "1",
      "2",      "3",        "4", "0", "5",    "0",     "0", "1",  "ts", "9"};
  for (std::size_t i : {1, 2, 5, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19}) {
    std::vector<std::string> bad = fields;
    bad[i] = "x";
    std::string line = bad[0];
    for (std::size_t j = 1; j < bad.size(); ++j) line += "\t" + bad[j];
    SCOPED_TRACE(line);
    const std::string text = valid.substr(0, end) + line + "\nend\n";
    EXPECT_TRUE(absl::IsInvalidArgument(ParseKmsgState(text).status()));
  }
}

// ---------------------------------------------------------------------------
// Lost records.

TEST(LostRecordsBeforeTest, AfterTheLastRecordRead) {
  EXPECT_EQ(LostRecordsBefore(11, 10, std::nullopt), 0u);
  EXPECT_EQ(LostRecordsBefore(15, 10, std::nullopt), 4u);
  // The state file no longer matters once this run has read a record.
  EXPECT_EQ(LostRecordsBefore(15, 10, 2), 4u);
  EXPECT_EQ(LostRecordsBefore(15, 10, 20), 4u);
}

TEST(LostRecordsBeforeTest, FirstRecordAfterARestart) {
  EXPECT_EQ(LostRecordsBefore(8, std::nullopt, 7), 0u);
  EXPECT_EQ(LostRecordsBefore(12, std::nullopt, 7), 4u);
  // The ring still holds records the earlier run counted: none lost.
  EXPECT_EQ(LostRecordsBefore(3, std::nullopt, 7), 0u);
  EXPECT_EQ(LostRecordsBefore(7, std::nullopt, 7), 0u);
  EXPECT_EQ(LostRecordsBefore(0, std::nullopt, 0), 0u);
}

TEST(LostRecordsBeforeTest, FirstRecordOfTheFirstRun) {
  EXPECT_EQ(LostRecordsBefore(0, std::nullopt, std::nullopt), 0u);
  EXPECT_EQ(LostRecordsBefore(363, std::nullopt, std::nullopt), 363u);
}

// ---------------------------------------------------------------------------
// One recent kill's line.

// The line of a kill with every field set, column by column.
TEST(RecentKillLineTest, ColumnsInTheOrderOfTheFieldTable) {
  const RecordedKill full = FullState().recent[0];
  EXPECT_EQ(SerializeRecentKill(full),
            "recent\t1763778475.250000\t1207\t25507\tmy (odd)\\tname\\\\\\n"
            "\tmemcg\tCONSTRAINT_MEMCG\t/corpus_c\t/corpus_c/\\tjob\\\\N\t75348"
            "\t65280\t6680\t0\t100999\t192\t-998\t1905\t1\t"
            "Sun Nov 22 02:28:02 2026\t1508769700");
}

TEST(RecentKillLineTest, NullsAndTheFieldsThatAreNeverNull) {
  RecordedKill nulls;
  nulls.kill.pid = -3;
  EXPECT_EQ(SerializeRecentKill(nulls),
            "recent\t\\N\t\\N\t-3\t\\N\t\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N"
            "\t\\N\t\\N\t\\N\t\\N\t0\t\\N\t\\N");
}

TEST(RecentKillLineTest, RoundTrip) {
  for (const RecordedKill& recorded : FullState().recent) {
    const std::string line = SerializeRecentKill(recorded);
    SCOPED_TRACE(line);
    std::optional<RecordedKill> parsed = ParseRecentKill(line);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->time, recorded.time);
    EXPECT_EQ(SerializeRecentKill(*parsed), line);
  }
}

TEST(RecentKillLineTest, EachColumnIsReadIntoItsField) {
  std::optional<RecordedKill> parsed = ParseRecentKill(
      "recent\t1.500000\t5\t7\tcomm\tglobal\tC\t/a\t/b\t1\t2\t3\t4\t-5\t6"
      "\t-7\t8\t0\tts\t9");
  ASSERT_TRUE(parsed.has_value());
  const OomKill& k = parsed->kill;
  EXPECT_EQ(parsed->time, 1.5);
  EXPECT_EQ(k.kmsg_sequence, 5u);
  EXPECT_EQ(k.pid, 7);
  EXPECT_EQ(k.comm, "comm");
  EXPECT_EQ(k.scope, OomScope::kGlobal);
  EXPECT_EQ(k.constraint, "C");
  EXPECT_EQ(k.oom_memcg, "/a");
  EXPECT_EQ(k.task_memcg, "/b");
  EXPECT_EQ(k.total_vm_kb, 1u);
  EXPECT_EQ(k.anon_rss_kb, 2u);
  EXPECT_EQ(k.file_rss_kb, 3u);
  EXPECT_EQ(k.shmem_rss_kb, 4u);
  EXPECT_EQ(k.uid, -5);
  EXPECT_EQ(k.pgtables_kb, 6u);
  EXPECT_EQ(k.oom_score_adj, -7);
  EXPECT_EQ(k.score, 8);
  EXPECT_FALSE(k.reaped);
  EXPECT_EQ(k.timestamp, "ts");
  EXPECT_EQ(k.kmsg_timestamp_us, 9u);
}

TEST(RecentKillLineTest, MalformedLinesAreRejected) {
  const std::vector<std::string> fields = {
      "recent", "1.000000", "5", "7", "comm", "memcg", "C", "/a", "/b", "1",
      "2",      "3",        "4", "0", "5",    "0",     "0", "1",  "ts", "9"};
  auto join = [](const std::vector<std::string>& parts) {
    std::string line = parts[0];
    for (std::size_t j = 1; j < parts.size(); ++j) line += "\t" + parts[j];
    return line;
  };
  ASSERT_TRUE(ParseRecentKill(join(fields)).has_value());
  // Not a recent line; a column too few or too many.
  std::vector<std::string> other = fields;
  other[0] = "kill";
  EXPECT_FALSE(ParseRecentKill(join(other)).has_value());
  EXPECT_FALSE(ParseRecentKill(join(std::vector<std::string>(fields.begin(),
                                                             fields.end() - 1)))
                   .has_value());
  std::vector<std::string> longer = fields;
  longer.push_back("1");
  EXPECT_FALSE(ParseRecentKill(join(longer)).has_value());
  // Null where a field has no null: pid, scope, reaped.
  for (std::size_t i : {3, 5, 17}) {
    std::vector<std::string> bad = fields;
    bad[i] = "\\N";
    SCOPED_TRACE(join(bad));
    EXPECT_FALSE(ParseRecentKill(join(bad)).has_value());
  }
  // Garbage in any column that is not free text.
  for (std::size_t i : {1, 2, 3, 5, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19}) {
    std::vector<std::string> bad = fields;
    bad[i] = "x";
    SCOPED_TRACE(join(bad));
    EXPECT_FALSE(ParseRecentKill(join(bad)).has_value());
  }
  // Reaped is 0 or 1; a scope "" is unknown.
  std::vector<std::string> reaped = fields;
  reaped[17] = "2";
  EXPECT_FALSE(ParseRecentKill(join(reaped)).has_value());
  std::vector<std::string> unknown = fields;
  unknown[5] = "";
  std::optional<RecordedKill> parsed = ParseRecentKill(join(unknown));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(parsed->kill.scope.has_value());
}

// ---------------------------------------------------------------------------
// MemoryHistogram.

TEST(MemoryHistogramTest, BucketBoundariesAreInclusive) {
  for (std::size_t i = 0; i < kKilledMemoryBuckets.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "bound " << kKilledMemoryBuckets[i]);
    MemoryHistogram at;
    at.Observe(kKilledMemoryBuckets[i]);
    MemoryHistogram above;
    above.Observe(kKilledMemoryBuckets[i] + 1);
    for (std::size_t j = 0; j < kKilledMemoryBuckets.size(); ++j) {
      EXPECT_EQ(at.buckets[j], j >= i ? 1u : 0u) << "bucket " << j;
      EXPECT_EQ(above.buckets[j], j > i ? 1u : 0u) << "bucket " << j;
    }
    EXPECT_EQ(at.count, 1u);
    EXPECT_EQ(above.count, 1u);
    EXPECT_EQ(at.sum, kKilledMemoryBuckets[i]);
  }
}

TEST(MemoryHistogramTest, BoundsAreOneMebibyteToSixtyFourGibibytes) {
  EXPECT_EQ(kKilledMemoryBuckets.front(), 1048576.0);
  EXPECT_EQ(kKilledMemoryBuckets.back(), 68719476736.0);
  for (std::size_t i = 1; i < kKilledMemoryBuckets.size(); ++i) {
    EXPECT_EQ(kKilledMemoryBuckets[i], 4 * kKilledMemoryBuckets[i - 1]);
  }
}

TEST(MemoryHistogramTest, ZeroAndHugeValues) {
  MemoryHistogram h;
  h.Observe(0);
  for (uint64_t bucket : h.buckets) EXPECT_EQ(bucket, 1u);
  h.Observe(1e15);  // above every bound: only count and sum
  for (uint64_t bucket : h.buckets) EXPECT_EQ(bucket, 1u);
  EXPECT_EQ(h.count, 2u);
  EXPECT_EQ(h.sum, 1e15);
}

TEST(MemoryHistogramTest, AccumulatesCumulatively) {
  MemoryHistogram h;
  h.Observe(512 * 1024.0);        // <= 1 MiB
  h.Observe(71832 * 1024.0);      // ~70 MiB: <= 256 MiB
  h.Observe(5.0 * (1ull << 30));  // 5 GiB: <= 16 GiB
  EXPECT_EQ(h.count, 3u);
  EXPECT_EQ(h.sum, 512 * 1024.0 + 71832 * 1024.0 + 5.0 * (1ull << 30));
  const uint64_t expected[] = {1, 1, 1, 1, 2, 2, 2, 3, 3};
  for (std::size_t i = 0; i < h.buckets.size(); ++i) {
    EXPECT_EQ(h.buckets[i], expected[i]) << "bucket " << i;
  }
}

// ---------------------------------------------------------------------------
// WriteFileAtomically.

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool Exists(const std::string& path) {
  return std::filesystem::exists(std::filesystem::symlink_status(path));
}

TEST(WriteFileAtomicallyTest, WritesANewFile) {
  TempTree tree;
  const std::string path = tree.root() + "/state";
  ASSERT_TRUE(WriteFileAtomically(path, "content\n").ok());
  EXPECT_EQ(ReadFile(path), "content\n");
  EXPECT_FALSE(Exists(path + ".tmp"));
}

TEST(WriteFileAtomicallyTest, ReplacesAnOldFile) {
  TempTree tree;
  const std::string path = tree.root() + "/state";
  tree.WriteFile("state", "a much longer old content\n");
  const std::string big(1 << 20, 'x');
  ASSERT_TRUE(WriteFileAtomically(path, big).ok());
  EXPECT_EQ(ReadFile(path), big);
  ASSERT_TRUE(WriteFileAtomically(path, "new\n").ok());
  EXPECT_EQ(ReadFile(path), "new\n");
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  EXPECT_EQ(ReadFile(path), "");
  EXPECT_FALSE(Exists(path + ".tmp"));
}

TEST(WriteFileAtomicallyTest, MissingDirectoryIsAnError) {
  TempTree tree;
  absl::Status status =
      WriteFileAtomically(tree.root() + "/no/such/dir/state", "x");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("/no/such/dir/state"));
}

TEST(WriteFileAtomicallyTest, ReadOnlyDirectoryLeavesTheOldFile) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "running as root, which writes into a directory without "
                    "write permission; see ReadOnlyMountLeavesTheOldFile";
  }
  TempTree tree;
  const std::string dir = tree.root() + "/ro";
  tree.WriteFile("ro/state", "old\n");
  ASSERT_EQ(::chmod(dir.c_str(), 0555), 0);
  absl::Status status = WriteFileAtomically(dir + "/state", "new\n");
  ::chmod(dir.c_str(), 0755);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("state.tmp"));
  EXPECT_EQ(ReadFile(dir + "/state"), "old\n");
  EXPECT_FALSE(Exists(dir + "/state.tmp"));
}

// Mounts a tmpfs on a directory of a TempTree and unmounts it at the end.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& dir, const std::string& options) : dir_(dir) {
    const std::string command = "mount -t tmpfs -o " + options +
                                " oom_exporter_test " + dir + " 2>/dev/null";
    mounted_ = std::system(command.c_str()) == 0;
  }
  ~TmpfsMount() {
    if (mounted_) {
      [[maybe_unused]] int status = std::system(("umount " + dir_).c_str());
    }
  }
  bool mounted() const { return mounted_; }
  bool Remount(const std::string& options) {
    return std::system(
               ("mount -o remount," + options + " " + dir_ + " 2>/dev/null")
                   .c_str()) == 0;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

TEST(WriteFileAtomicallyTest, ReadOnlyMountLeavesTheOldFile) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "not root: cannot mount a tmpfs; see "
                    "ReadOnlyDirectoryLeavesTheOldFile";
  }
  TempTree tree;
  const std::string dir = tree.root() + "/mnt";
  tree.MakeDir("mnt");
  TmpfsMount mount(dir, "size=64k");
  if (!mount.mounted()) {
    GTEST_SKIP() << "mount -t tmpfs is not permitted here";
  }
  ASSERT_TRUE(WriteFileAtomically(dir + "/state", "old\n").ok());
  ASSERT_TRUE(mount.Remount("ro")) << "cannot remount " << dir << " read-only";
  absl::Status status = WriteFileAtomically(dir + "/state", "new\n");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("state.tmp"));
  EXPECT_EQ(ReadFile(dir + "/state"), "old\n");
  EXPECT_FALSE(Exists(dir + "/state.tmp"));
}

TEST(WriteFileAtomicallyTest, FullDiskLeavesTheOldFile) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "not root: cannot mount a tiny tmpfs to fill";
  }
  TempTree tree;
  const std::string dir = tree.root() + "/mnt";
  tree.MakeDir("mnt");
  TmpfsMount mount(dir, "size=4k");
  if (!mount.mounted()) {
    GTEST_SKIP() << "mount -t tmpfs is not permitted here";
  }
  const std::string old_content = SerializeKmsgState(FullState());
  ASSERT_LT(old_content.size(), 4096u);
  ASSERT_TRUE(WriteFileAtomically(dir + "/state", old_content).ok());
  const std::string big(64 * 1024, 'x');
  absl::Status status = WriteFileAtomically(dir + "/state", big);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("state.tmp"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("No space left on device"));
  EXPECT_EQ(ReadFile(dir + "/state"), old_content);
  EXPECT_FALSE(Exists(dir + "/state.tmp"));
  // And the old file is still a valid state.
  EXPECT_TRUE(ParseKmsgState(ReadFile(dir + "/state")).ok());
}

}  // namespace
}  // namespace oom
