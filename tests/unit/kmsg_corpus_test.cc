// Runs `oom_exporter parse` (RunParseCommand) on every log of the kernel
// log corpus, tests/fixtures/kmsg/corpus (see SOURCES.md there), and
// compares its output with the hand-written .expected files.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/cli/parse_command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

namespace fs = std::filesystem;

using ::oom::testing::ReadSourceFile;
using ::oom::testing::SourcePath;
using ::testing::HasSubstr;

constexpr std::string_view kCorpus = "tests/fixtures/kmsg/corpus";

// The corpus's .log files, sorted by name.
std::vector<fs::path> CorpusLogs() {
  std::vector<fs::path> logs;
  for (const auto& entry : fs::directory_iterator(SourcePath(kCorpus))) {
    if (entry.is_regular_file() && entry.path().extension() == ".log") {
      logs.push_back(entry.path());
    }
  }
  std::sort(logs.begin(), logs.end());
  return logs;
}

std::string ReadAll(const fs::path& path) {
  return ReadSourceFile(std::string(kCorpus) + "/" + path.filename().string());
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    lines.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

// A temporary FILE*, read back as a string.
class TempFile {
 public:
  TempFile() : file_(std::tmpfile()) {}
  ~TempFile() {
    if (file_ != nullptr) std::fclose(file_);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  std::FILE* get() const { return file_; }

  // Writes `content` and rewinds, for use as stdin.
  void Fill(std::string_view content) {
    std::fwrite(content.data(), 1, content.size(), file_);
    std::fflush(file_);
    std::rewind(file_);
  }

  std::string Contents() const {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), file_)) > 0) {
      text.append(buffer, n);
    }
    return text;
  }

 private:
  std::FILE* file_;
};

struct RunResult {
  int status;
  std::string out;
  std::string err;
};

RunResult RunParse(const std::vector<std::string>& args,
                   std::string_view input = "") {
  TempFile in;
  TempFile out;
  TempFile err;
  EXPECT_NE(in.get(), nullptr);
  EXPECT_NE(out.get(), nullptr);
  EXPECT_NE(err.get(), nullptr);
  in.Fill(input);
  int status = RunParseCommand(args, in.get(), out.get(), err.get());
  return {status, out.Contents(), err.Contents()};
}

TEST(KmsgCorpusTest, CorpusIsThere) {
  EXPECT_GE(CorpusLogs().size(), 40u) << "in " << SourcePath(kCorpus);
}

// Each log gives exactly its .expected output, line by line.
TEST(KmsgCorpusTest, EveryLogGivesItsExpectedKills) {
  const std::vector<fs::path> logs = CorpusLogs();
  ASSERT_GE(logs.size(), 40u) << "in " << SourcePath(kCorpus);
  for (const fs::path& log : logs) {
    const std::string name = log.filename().string();
    SCOPED_TRACE(name);
    fs::path expected_path = log;
    expected_path.replace_extension(".expected");
    ASSERT_TRUE(fs::exists(expected_path)) << expected_path;
    const std::vector<std::string> expected = Lines(ReadAll(expected_path));
    RunResult result = RunParse({log.string()});
    EXPECT_EQ(result.status, 0) << name;
    EXPECT_EQ(result.err, "") << name;
    const std::vector<std::string> actual = Lines(result.out);
    const std::size_t common = std::min(actual.size(), expected.size());
    bool same = true;
    for (std::size_t i = 0; i < common && same; ++i) {
      if (actual[i] != expected[i]) {
        ADD_FAILURE() << name << ": first difference at output line " << i + 1
                      << "\n  expected: " << expected[i]
                      << "\n  actual:   " << actual[i];
        same = false;
      }
    }
    if (same && actual.size() != expected.size()) {
      ADD_FAILURE() << name << ": " << actual.size() << " output lines, "
                    << expected.size() << " expected; first difference at "
                    << "line " << common + 1 << ":\n  "
                    << (actual.size() > common
                            ? "extra:   " + actual[common]
                            : "missing: " + expected[common]);
    }
    // The output is complete lines.
    if (!result.out.empty()) {
      EXPECT_EQ(result.out.back(), '\n') << name;
    }
  }
}

TEST(KmsgCorpusTest, Summary) {
  const std::string path = SourcePath(
      std::string(kCorpus) + "/linux-6.18-kmsg-raw-this-machine-two-kills.log");
  RunResult result = RunParse({"--summary", path});
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(result.out,
            "kills: 2\n"
            "oom-killer invocations: 2\n"
            "unrecognized OOM lines: 0\n"
            "OOM panics: 0\n"
            "by scope:\n"
            "         2  memcg\n"
            "by comm:\n"
            "         2  python3\n"
            "by cgroup:\n"
            "         2  /corpus_b\n");
}

TEST(KmsgCorpusTest, SummaryCountsLines) {
  // linux-5.0-next-dmesg-quoted-oom-group-caller-id: 12 kills in one
  // memory.oom.group OOM, of which 11 are a.out and one systemd.
  const std::string path =
      SourcePath(std::string(kCorpus) +
                 "/linux-5.0-next-dmesg-quoted-oom-group-caller-id.log");
  RunResult result = RunParse({"--summary", path});
  EXPECT_EQ(result.status, 0);
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_GE(lines.size(), 4u) << result.out;
  EXPECT_EQ(lines[0], "kills: 12");
  EXPECT_EQ(lines[1], "oom-killer invocations: 1");
  EXPECT_EQ(lines[2], "unrecognized OOM lines: 0");
  EXPECT_EQ(lines[3], "OOM panics: 0");  // "Attempted to kill init!" is not
  EXPECT_THAT(result.out, HasSubstr("by scope:\n        12  memcg\n"));
  EXPECT_THAT(result.out,
              HasSubstr("by comm:\n        11  a.out\n         1  systemd\n"));
  EXPECT_THAT(result.out, HasSubstr("by cgroup:\n        12  /test1\n"));
  // No JSON with --summary.
  EXPECT_THAT(result.out, ::testing::Not(HasSubstr("{\"pid\"")));
}

TEST(KmsgCorpusTest, MissingFileIsExitStatusOne) {
  RunResult result = RunParse({"/nonexistent/oom_exporter/kern.log"});
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, HasSubstr("/nonexistent/oom_exporter/kern.log"));
  EXPECT_THAT(result.err, HasSubstr("No such file"));
  EXPECT_EQ(result.out, "");
}

TEST(KmsgCorpusTest, UnknownFlagIsExitStatusTwo) {
  RunResult result = RunParse({"--bogus"});
  EXPECT_EQ(result.status, 2);
  EXPECT_THAT(result.err, HasSubstr("--bogus"));
  EXPECT_EQ(result.out, "");
}

TEST(KmsgCorpusTest, ReadsStandardInput) {
  const fs::path log =
      SourcePath(std::string(kCorpus) + "/el7-3.10-syslog-ltp-memcg-burst.log");
  fs::path expected_path = log;
  expected_path.replace_extension(".expected");
  const std::string expected = ReadAll(expected_path);
  ASSERT_EQ(Lines(expected).size(), 5u);
  const std::string input = ReadAll(log);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"-"}, std::vector<std::string>{}}) {
    SCOPED_TRACE(args.empty() ? "no argument" : "\"-\"");
    RunResult result = RunParse(args, input);
    EXPECT_EQ(result.status, 0);
    EXPECT_EQ(result.err, "");
    EXPECT_EQ(result.out, expected);
  }
}

// Sum of the .expected line counts, and the logs' text as one stream with
// `separator` after each log.
std::size_t ConcatenateCorpus(std::string_view separator, std::string* all) {
  std::size_t expected_kills = 0;
  for (const fs::path& log : CorpusLogs()) {
    std::string text = ReadAll(log);
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
    *all += text;
    *all += separator;
    fs::path expected_path = log;
    expected_path.replace_extension(".expected");
    expected_kills += Lines(ReadAll(expected_path)).size();
  }
  return expected_kills;
}

// linux-4.7-dmesg-would-have-killed-debug.log is the next excerpt (0.4 s
// later) of the machine log of linux-4.7-dmesg-reaper-without-kill-line.log.
// Each file alone counts reaper-only kills of pids 21525 and 26334; in one
// stream the later reaper lines are recognised as the same victims and are
// not counted twice.
constexpr std::size_t kSameVictimsInTwoExcerpts = 2;

std::size_t Count(const std::string& json, std::string_view pid) {
  std::size_t n = 0;
  for (const std::string& line : Lines(json)) {
    if (line.rfind("{\"pid\":" + std::string(pid) + ",", 0) == 0) ++n;
  }
  return n;
}

// Kernel logs one after another, as in a log spanning several OOMs (each
// OOM starting with its header): every kill is counted, none twice.
TEST(KmsgCorpusTest, ConcatenatedCorpusWithHeadersBetweenLogs) {
  ASSERT_TRUE(fs::exists(SourcePath(
      std::string(kCorpus) + "/linux-4.7-dmesg-would-have-killed-debug.log")));
  std::string all;
  const std::size_t expected_kills = ConcatenateCorpus(
      "[    0.000000] separator invoked oom-killer: "
      "gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n",
      &all);
  RunResult result = RunParse({"-"}, all);
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(Lines(result.out).size(),
            expected_kills - kSameVictimsInTwoExcerpts);
  EXPECT_EQ(Count(result.out, "21525"), 1u);
  EXPECT_EQ(Count(result.out, "26334"), 1u);
  EXPECT_EQ(Count(result.out, "18624"), 1u);
}

// The same without the headers.
TEST(KmsgCorpusTest, ConcatenatedCorpusGivesTheSumOfKills) {
  std::string all;
  const std::size_t expected_kills = ConcatenateCorpus("", &all);
  RunResult result = RunParse({"-"}, all);
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(Lines(result.out).size(),
            expected_kills - kSameVictimsInTwoExcerpts);
  EXPECT_EQ(Count(result.out, "32550"), 1u);
  EXPECT_EQ(Count(result.out, "116013"), 1u);
}

// Several files: one assembler per file, so exactly the sum.
TEST(KmsgCorpusTest, EveryFileAsAnArgumentGivesTheSumOfKills) {
  std::string all;
  const std::size_t expected_kills = ConcatenateCorpus("", &all);
  std::vector<std::string> args;
  for (const fs::path& log : CorpusLogs()) args.push_back(log.string());
  ASSERT_GE(args.size(), 40u);
  RunResult result = RunParse(args);
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(Lines(result.out).size(), expected_kills);
  // In the order of the arguments.
  std::string expected_out;
  for (const fs::path& log : CorpusLogs()) {
    fs::path expected_path = log;
    expected_path.replace_extension(".expected");
    expected_out += ReadAll(expected_path);
  }
  EXPECT_EQ(result.out, expected_out);
}

}  // namespace
}  // namespace oom
