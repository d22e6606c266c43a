#include "collectors/kernel/kmsg/kmsg_reader.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::TempTree;
using ::testing::ElementsAre;

TEST(KmsgReaderTest, ReadsLinesOfAFileAndWaitsAtItsEnd) {
  TempTree tree;
  tree.WriteFile("kmsg",
                 "6,1,10,-;first\n SUBSYSTEM=x\n6,2,20,-;last without newline");
  auto reader = KmsgReader::Open(tree.root() + "/kmsg");
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<std::string> lines;
  EXPECT_EQ((*reader)->Read(0, &lines), KmsgReader::Result::kLines);
  EXPECT_THAT(lines, ElementsAre("6,1,10,-;first", " SUBSYSTEM=x",
                                 "6,2,20,-;last without newline"));
  lines.clear();
  EXPECT_EQ((*reader)->Read(50, &lines), KmsgReader::Result::kTimeout);
  EXPECT_TRUE(lines.empty());
}

// A read error (here EISDIR) must not be taken for "caught up": poll() would
// then report the descriptor ready at once and Read() would spin for ever.
TEST(KmsgReaderTest, AReadErrorWaitsInsteadOfSpinning) {
  TempTree tree;
  tree.MakeDir("not_a_log");
  auto reader = KmsgReader::Open(tree.root() + "/not_a_log");
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<std::string> lines;
  EXPECT_EQ((*reader)->Read(200, &lines), KmsgReader::Result::kTimeout);
  EXPECT_TRUE(lines.empty());
}

TEST(KmsgReaderTest, StopWakesABlockedRead) {
  TempTree tree;
  tree.WriteFile("kmsg", "");
  auto reader = KmsgReader::Open(tree.root() + "/kmsg");
  ASSERT_TRUE(reader.ok()) << reader.status();
  KmsgReader* raw = reader->get();
  std::thread stopper([raw] { raw->Stop(); });
  std::vector<std::string> lines;
  EXPECT_EQ(raw->Read(-1, &lines), KmsgReader::Result::kStopped);
  stopper.join();
  EXPECT_EQ(raw->Read(-1, &lines), KmsgReader::Result::kStopped);
}

TEST(KmsgReaderTest, AMissingLogIsAClearError) {
  auto reader = KmsgReader::Open("/nonexistent/kmsg");
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(std::string(reader.status().message()),
              ::testing::HasSubstr("/nonexistent/kmsg"));
}

}  // namespace
}  // namespace oom
