// The kmsg collector on this machine's real kernel: a process OOM-killed in
// a small memory cgroup shows up with its comm and cgroup, in the metrics
// and in /api/v1/kills; a restart counts nothing twice; a kill while the
// exporter is down is counted when it starts again. Skips, saying why, where
// the machine cannot provoke an OOM kill or read /dev/kmsg.

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "collectors/kmsg/kmsg_collector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/memcg.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::MemoryCgroup;
using ::oom::testing::TempTree;
using ::testing::HasSubstr;

// oom_kills_total for one victim, or -1 when there is no such series.
double KillsOf(KmsgCollector& collector, const std::string& cgroup,
               const std::string& comm) {
  MetricSink sink;
  EXPECT_TRUE(collector.Collect(sink).ok());
  for (const auto& family : sink.TakeFamilies()) {
    if (family.name != "oom_kills_total") continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& label : metric.label) {
        if (label.name == "cgroup") match &= label.value == cgroup;
        if (label.name == "comm") match &= label.value == comm;
        if (label.name == "scope") match &= label.value == "memcg";
      }
      if (match) return metric.counter.value;
    }
  }
  return -1;
}

class KmsgLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fd = ::open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
    if (fd < 0)
      GTEST_SKIP() << "cannot read /dev/kmsg here: " << strerror(errno);
    ::close(fd);
  }

  std::unique_ptr<KmsgCollector> Start() {
    KmsgOptions options;
    options.state_file = tree_.root() + "/kmsg.state";
    auto collector = std::make_unique<KmsgCollector>(FsRoots(), options);
    collector->Start();
    return collector;
  }

  // Kills one process named `comm` in a fresh 32 MiB memory cgroup; returns
  // the cgroup's path as the kernel prints it, or "" after GTEST_SKIP.
  std::string OomKill(const std::string& name, const std::string& comm) {
    absl::StatusOr<MemoryCgroup> cgroup =
        MemoryCgroup::Create(absl::StrCat(name, "_", getpid()), 32 << 20);
    if (!cgroup.ok()) {
      ADD_FAILURE() << "cannot create a memory cgroup: " << cgroup.status();
      return "";
    }
    absl::StatusOr<int> victim = cgroup->RunUntilOomKilled(comm);
    EXPECT_TRUE(victim.ok()) << victim.status();
    if (victim.ok()) last_victim_ = *victim;
    return cgroup->path();  // the cgroup is removed here, at once
  }

  TempTree tree_;
  int last_victim_ = 0;
};

TEST_F(KmsgLiveTest, KillsAreCountedOnceThroughRestartsAndDowntime) {
  absl::StatusOr<MemoryCgroup> probe =
      MemoryCgroup::Create("oom_exporter_probe", 32 << 20);
  if (!probe.ok())
    GTEST_SKIP() << "cannot provoke an OOM kill here: "
                 << probe.status().message();

  auto collector = Start();
  std::string cgroup = OomKill("oom_exporter_kmsg", "kmsg_live_hog");
  ASSERT_FALSE(cgroup.empty());
  auto killed_at = std::chrono::steady_clock::now();
  double seen = -1;
  while (std::chrono::steady_clock::now() - killed_at <
         std::chrono::seconds(10)) {
    seen = KillsOf(*collector, cgroup, "kmsg_live_hog");
    if (seen >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed_at);
  // A kill whose header the kernel rate-limited (10 per 5 s) has no cgroup
  // in the log: the tests that provoke kills take turns (tests/CMakeLists).
  ASSERT_EQ(seen, 1) << "the kill never reached oom_kills_total; kills: "
                     << collector->KillsJson();
  std::printf(
      "kill visible in oom_kills_total %lld ms after the victim was reaped\n",
      static_cast<long long>(latency.count()));
  EXPECT_THAT(collector->KillsJson(),
              HasSubstr(absl::StrCat(
                  "\"pid\":", last_victim_,
                  ",\"comm\":\"kmsg_live_hog\",\"scope\":\"memcg\"")));

  // A restart: the same kill is still counted once.
  collector.reset();
  collector = Start();
  EXPECT_EQ(KillsOf(*collector, cgroup, "kmsg_live_hog"), 1);

  // A kill while the exporter is down is counted when it comes back.
  collector.reset();
  std::string while_down = OomKill("oom_exporter_kmsg_down", "kmsg_down_hog");
  ASSERT_FALSE(while_down.empty());
  collector = Start();
  EXPECT_EQ(KillsOf(*collector, while_down, "kmsg_down_hog"), 1);
  EXPECT_EQ(KillsOf(*collector, cgroup, "kmsg_live_hog"), 1);
}

}  // namespace
}  // namespace oom
