#include "collectors/base/fs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::SourcePath;
using ::oom::testing::TempTree;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(FsRootsTest, DefaultsToTheRealMounts) {
  FsRoots roots;
  EXPECT_EQ(roots.Proc("meminfo"), "/proc/meminfo");
  EXPECT_EQ(roots.Proc("pressure/memory"), "/proc/pressure/memory");
  EXPECT_EQ(roots.Proc("sys/vm/overcommit_memory"),
            "/proc/sys/vm/overcommit_memory");
  EXPECT_EQ(roots.Sys("fs/cgroup/memory.events"),
            "/sys/fs/cgroup/memory.events");
}

TEST(FsRootsTest, JoinsCustomRoots) {
  FsRoots roots{"/host/proc", "/host/sys"};
  EXPECT_EQ(roots.Proc("vmstat"), "/host/proc/vmstat");
  EXPECT_EQ(roots.Sys("kernel/mm"), "/host/sys/kernel/mm");
  FsRoots relative{"tests/fixtures/proc", "tests/fixtures/sys"};
  EXPECT_EQ(relative.Proc("meminfo"), "tests/fixtures/proc/meminfo");
  EXPECT_EQ(relative.Sys("x"), "tests/fixtures/sys/x");
}

// A root given with a trailing slash yields "//", which the kernel treats as
// "/": the joined path still names the file.
TEST(FsRootsTest, TrailingSlashInRootStillReadsTheFile) {
  FsRoots roots{SourcePath("tests/fixtures/proc") + "/", "/sys"};
  EXPECT_EQ(roots.Proc("meminfo"),
            SourcePath("tests/fixtures/proc") + "//meminfo");
  absl::StatusOr<std::string> text = ReadFile(roots.Proc("meminfo"));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, StartsWith("MemTotal:"));
}

TEST(ReadFileTest, ReadsARegularFile) {
  TempTree tree;
  tree.WriteFile("a", "50\n");
  absl::StatusOr<std::string> text = ReadFile(tree.root() + "/a");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "50\n");
}

TEST(ReadFileTest, KeepsNulAndHighBytes) {
  TempTree tree;
  const std::string content("a\0b\xff\n", 5);
  tree.WriteFile("bin", content);
  absl::StatusOr<std::string> text = ReadFile(tree.root() + "/bin");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, content);
}

TEST(ReadFileTest, EmptyFileIsEmptyString) {
  TempTree tree;
  tree.WriteFile("empty", "");
  absl::StatusOr<std::string> text = ReadFile(tree.root() + "/empty");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "");
}

TEST(ReadFileTest, ReadsFilesLargerThanOneReadBuffer) {
  TempTree tree;
  std::string content;
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&content, i, "\n");
  ASSERT_GT(content.size(), 65536u);
  tree.WriteFile("big", content);
  absl::StatusOr<std::string> text = ReadFile(tree.root() + "/big");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, content);
}

TEST(ReadFileTest, MissingFileIsNotFound) {
  TempTree tree;
  const std::string path = tree.root() + "/pressure/memory";
  absl::StatusOr<std::string> text = ReadFile(path);
  EXPECT_TRUE(absl::IsNotFound(text.status())) << text.status();
  EXPECT_TRUE(IsAbsent(text.status()));
  EXPECT_THAT(std::string(text.status().message()), HasSubstr(path));
}

// ENOTDIR: a component of the path is a file, e.g. --path.procfs pointing
// at a file instead of a directory.
TEST(ReadFileTest, PathThroughANonDirectoryIsNotFound) {
  TempTree tree;
  tree.WriteFile("file", "x");
  absl::StatusOr<std::string> text = ReadFile(tree.root() + "/file/child");
  EXPECT_TRUE(absl::IsNotFound(text.status())) << text.status();
  EXPECT_TRUE(IsAbsent(text.status()));
}

// A directory where a file was expected is a broken tree, not a missing
// kernel feature.
TEST(ReadFileTest, DirectoryIsAnErrorButNotAbsent) {
  TempTree tree;
  tree.MakeDir("pressure/memory");
  const std::string path = tree.root() + "/pressure/memory";
  absl::StatusOr<std::string> text = ReadFile(path);
  EXPECT_FALSE(text.ok());
  EXPECT_FALSE(IsAbsent(text.status())) << text.status();
  EXPECT_THAT(std::string(text.status().message()), HasSubstr(path));
}

TEST(ReadFileTest, LargerThanMaxBytesIsOutOfRange) {
  TempTree tree;
  tree.WriteFile("ten", "0123456789");
  const std::string path = tree.root() + "/ten";

  absl::StatusOr<std::string> too_large = ReadFile(path, 9);
  EXPECT_TRUE(absl::IsOutOfRange(too_large.status())) << too_large.status();
  EXPECT_FALSE(IsAbsent(too_large.status()));
  EXPECT_THAT(std::string(too_large.status().message()), HasSubstr(path));

  absl::StatusOr<std::string> exact = ReadFile(path, 10);
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(*exact, "0123456789");

  EXPECT_TRUE(absl::IsOutOfRange(ReadFile(path, 0).status()));
}

TEST(ReadFileTest, MaxBytesAppliesAcrossReads) {
  TempTree tree;
  const std::string content(20000, 'x');
  tree.WriteFile("big", content);
  const std::string path = tree.root() + "/big";
  EXPECT_TRUE(absl::IsOutOfRange(ReadFile(path, 19999).status()));
  EXPECT_TRUE(absl::IsOutOfRange(ReadFile(path, 10000).status()));
  absl::StatusOr<std::string> exact = ReadFile(path, 20000);
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->size(), 20000u);
}

TEST(ReadFileTest, EmptyFileFitsInZeroBytes) {
  TempTree tree;
  tree.WriteFile("empty", "");
  absl::StatusOr<std::string> text = ReadFile(tree.root() + "/empty", 0);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "");
}

TEST(ReadFileTest, UnreadableFileIsPermissionDenied) {
  if (geteuid() == 0) {
    GTEST_SKIP() << "running as root, which bypasses file permissions: "
                    "run the tests as an unprivileged user to check EACCES";
  }
  TempTree tree;
  tree.WriteFile("secret", "1\n");
  const std::string path = tree.root() + "/secret";
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  absl::StatusOr<std::string> text = ReadFile(path);
  EXPECT_TRUE(absl::IsPermissionDenied(text.status())) << text.status();
  EXPECT_FALSE(IsAbsent(text.status()));
}

TEST(IsAbsentTest, OnlyNotFoundAndUnimplemented) {
  EXPECT_TRUE(IsAbsent(absl::NotFoundError("x")));
  EXPECT_TRUE(IsAbsent(absl::UnimplementedError("psi=0")));
  EXPECT_FALSE(IsAbsent(absl::OkStatus()));
  EXPECT_FALSE(IsAbsent(absl::PermissionDeniedError("x")));
  EXPECT_FALSE(IsAbsent(absl::OutOfRangeError("x")));
  EXPECT_FALSE(IsAbsent(absl::InvalidArgumentError("x")));
  EXPECT_FALSE(IsAbsent(absl::FailedPreconditionError("x")));
  EXPECT_FALSE(IsAbsent(absl::InternalError("x")));
}

// /proc files report size 0 and are generated on read; ReadFile must loop
// until read() returns 0. /proc/self/smaps is well over one 8 KiB read.
TEST(ReadFileTest, ReadsRealProcFiles) {
  absl::StatusOr<std::string> status = ReadFile("/proc/self/status");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_THAT(*status, StartsWith("Name:\t"));
  EXPECT_THAT(*status, HasSubstr(absl::StrCat("\nPid:\t", getpid(), "\n")));
  EXPECT_EQ(status->back(), '\n');

  absl::StatusOr<std::string> smaps = ReadFile("/proc/self/smaps");
  ASSERT_TRUE(smaps.ok()) << smaps.status();
  EXPECT_GT(smaps->size(), 8192u);
  EXPECT_EQ(smaps->back(), '\n');
  EXPECT_THAT(*smaps, HasSubstr("[stack]"));

  // Each call opens the file anew and sees the whole text again.
  absl::StatusOr<std::string> again = ReadFile("/proc/self/status");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(*again, StartsWith("Name:\t"));
}

// Moved from privileges_test.cc with the function (StateFileProblem then).
TEST(ReplaceFileProblemTest, SaysWhenTheDirectoryCannotTakeTheFile) {
  TempTree tree;
  EXPECT_EQ(ReplaceFileProblem(tree.root() + "/kmsg.state"), "");
  EXPECT_EQ(
      ReplaceFileProblem(tree.root() + "/missing/kmsg.state"),
      tree.root() + "/missing is not writable: No such file or directory");
}

}  // namespace
}  // namespace oom
