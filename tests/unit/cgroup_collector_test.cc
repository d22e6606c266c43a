// The cgroup collector on fixture trees: tests/fixtures/cgroup-v1 was copied
// from this project's CI machine (Linux 6.18, v1 memory controller) right
// after a process was OOM-killed in the Kubernetes-style container cgroup;
// tests/fixtures/cgroup-v2 is written in the kernel's v2 formats (see
// tests/fixtures/README.md).

#include "collectors/cgroup_collector.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/samples.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::FindValue;
using ::oom::testing::Flatten;
using ::oom::testing::Sample;
using ::oom::testing::SourcePath;
using ::oom::testing::TempTree;

constexpr char kUid[] = "7c4b3c3a-2d3f-4a8e-9b2e-1f0e4c6d8a9b";
constexpr char kId[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::vector<Sample> Collect(const std::string& fixture,
                            CgroupOptions options = {},
                            absl::Status* status = nullptr) {
  FsRoots roots;
  roots.procfs = fixture + "/proc";
  roots.sysfs = fixture + "/sys";
  CgroupCollector collector(roots, options);
  MetricSink sink;
  absl::Status result = collector.Collect(sink);
  EXPECT_TRUE(result.ok()) << result;
  if (status != nullptr) *status = result;
  return Flatten(sink.TakeFamilies());
}

std::optional<double> Value(const std::vector<Sample>& samples,
                            const std::string& name, const Labels& labels) {
  return FindValue(samples, name, labels);
}

std::string V1() { return SourcePath("tests/fixtures/cgroup-v1"); }
std::string V2() { return SourcePath("tests/fixtures/cgroup-v2"); }

const std::string kPodV1 = std::string("/kubepods/burstable/pod") + kUid;
const std::string kContainerV1 = kPodV1 + "/" + kId;
const std::string kPodV2 =
    "/kubepods.slice/kubepods-burstable.slice/"
    "kubepods-burstable-pod7c4b3c3a_2d3f_4a8e_9b2e_1f0e4c6d8a9b.slice";
const std::string kContainerV2 =
    kPodV2 + "/cri-containerd-" + std::string(kId) + ".scope";

TEST(CgroupCollectorTest, V1RealTree) {
  std::vector<Sample> s = Collect(V1());
  EXPECT_EQ(
      Value(s, "oom_cgroup_hierarchy_info",
            {{"version", "v1"}, {"mount_point", "/sys/fs/cgroup/memory"}}),
      1);
  // The container whose process the kernel killed.
  EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                  {{"cgroup", kContainerV1}, {"event", "oom_kill"}}),
            1);
  std::optional<double> failcnt =
      Value(s, "oom_cgroup_memory_events_total",
            {{"cgroup", kContainerV1}, {"event", "max"}});
  ASSERT_TRUE(failcnt.has_value());
  EXPECT_GT(*failcnt, 0);
  EXPECT_EQ(
      Value(s, "oom_cgroup_memory_limit_bytes", {{"cgroup", kContainerV1}}),
      48 << 20);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_limit_bytes", {{"cgroup", kPodV1}}),
            64 << 20);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_limit_bytes",
                  {{"cgroup", "/docker/" + std::string(kId)}}),
            32 << 20);
  // Unlimited: no series.
  EXPECT_EQ(Value(s, "oom_cgroup_memory_limit_bytes", {{"cgroup", "/"}}),
            std::nullopt);
  EXPECT_EQ(Value(s, "oom_cgroup_under_oom", {{"cgroup", kContainerV1}}), 0);
  EXPECT_TRUE(Value(s, "oom_cgroup_memory_usage_bytes", {{"cgroup", kPodV1}})
                  .has_value());
  // Who each cgroup is.
  EXPECT_EQ(Value(s, "oom_cgroup_info",
                  {{"cgroup", kContainerV1},
                   {"uid", kUid},
                   {"qos_class", "burstable"},
                   {"container_id", kId}}),
            1);
  EXPECT_EQ(Value(s, "oom_cgroup_info",
                  {{"cgroup", "/docker/" + std::string(kId)},
                   {"container_id", "docker://" + std::string(kId)}}),
            1);
  EXPECT_EQ(Value(s, "oom_cgroup_info",
                  {{"cgroup", "/system.slice/nginx.service"},
                   {"unit", "nginx.service"}}),
            1);
  EXPECT_EQ(Value(s, "oom_cgroup_exported", {}), 9);
  EXPECT_EQ(Value(s, "oom_cgroup_skipped_total", {{"reason", "malformed"}}), 0);
}

TEST(CgroupCollectorTest, V2Tree) {
  std::vector<Sample> s = Collect(V2());
  EXPECT_EQ(Value(s, "oom_cgroup_hierarchy_info",
                  {{"version", "v2"}, {"mount_point", "/sys/fs/cgroup"}}),
            1);
  for (const auto& [event, count] :
       std::vector<std::pair<std::string, double>>{{"low", 0},
                                                   {"high", 12},
                                                   {"max", 57},
                                                   {"oom", 3},
                                                   {"oom_kill", 2},
                                                   {"oom_group_kill", 0}}) {
    EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                    {{"cgroup", kContainerV2}, {"event", event}}),
              count)
        << event;
    EXPECT_EQ(Value(s, "oom_cgroup_memory_events_local_total",
                    {{"cgroup", kContainerV2}, {"event", event}}),
              count)
        << event;
  }
  EXPECT_EQ(
      Value(s, "oom_cgroup_memory_limit_bytes", {{"cgroup", kContainerV2}}),
      50331648);
  EXPECT_EQ(
      Value(s, "oom_cgroup_memory_high_bytes", {{"cgroup", kContainerV2}}),
      41943040);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_high_bytes", {{"cgroup", kPodV2}}),
            std::nullopt);
  EXPECT_EQ(
      Value(s, "oom_cgroup_memory_usage_bytes", {{"cgroup", kContainerV2}}),
      50208768);
  EXPECT_EQ(Value(s, "oom_cgroup_oom_group", {{"cgroup", kPodV2}}), 1);
  EXPECT_EQ(Value(s, "oom_cgroup_swap_usage_bytes", {{"cgroup", kContainerV2}}),
            0);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_pressure_waiting_seconds_total",
                  {{"cgroup", kContainerV2}}),
            2.5);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_pressure_stalled_seconds_total",
                  {{"cgroup", kContainerV2}}),
            1.75);
  EXPECT_EQ(Value(s, "oom_cgroup_info",
                  {{"cgroup", kContainerV2},
                   {"uid", kUid},
                   {"qos_class", "burstable"},
                   {"container_id", "containerd://" + std::string(kId)}}),
            1);
  // The v2 root has only memory.pressure of these files: its series are
  // the pressure and the info, no failure.
  EXPECT_EQ(Value(s, "oom_cgroup_memory_pressure_waiting_seconds_total",
                  {{"cgroup", "/"}}),
            0.0012);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_usage_bytes", {{"cgroup", "/"}}),
            std::nullopt);
  EXPECT_EQ(Value(s, "oom_cgroup_exported", {}), 7);
}

TEST(CgroupCollectorTest, DepthIncludeAndExclude) {
  CgroupOptions options;
  options.max_depth = 3;
  std::vector<Sample> s = Collect(V1(), options);
  EXPECT_TRUE(Value(s, "oom_cgroup_info", {{"cgroup", kPodV1}}).has_value());
  EXPECT_FALSE(
      Value(s, "oom_cgroup_info", {{"cgroup", kContainerV1}}).has_value());

  options = CgroupOptions();
  options.include = {"/kubepods/*"};
  options.exclude = {"*/burstable"};
  s = Collect(V1(), options);
  EXPECT_TRUE(
      Value(s, "oom_cgroup_info", {{"cgroup", kContainerV1}}).has_value());
  EXPECT_TRUE(Value(s, "oom_cgroup_info", {{"cgroup", kPodV1}}).has_value());
  // Excluded, but walked through.
  EXPECT_FALSE(Value(s, "oom_cgroup_info", {{"cgroup", "/kubepods/burstable"}})
                   .has_value());
  EXPECT_FALSE(
      Value(s, "oom_cgroup_info", {{"cgroup", "/docker"}}).has_value());
  EXPECT_EQ(Value(s, "oom_cgroup_exported", {}), 2);
}

TEST(CgroupCollectorTest, MalformedFilesAreSkippedAndCounted) {
  TempTree tree;
  tree.CopyFixture("cgroup-v1", "");
  std::string dir = "sys/fs/cgroup/memory/docker/" + std::string(kId);
  tree.WriteFile(dir + "/memory.limit_in_bytes", "lots\n");
  tree.WriteFile(dir + "/memory.oom_control", "\x01\x02garbage");
  absl::Status status;
  std::vector<Sample> s = Collect(tree.root(), {}, &status);
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(Value(s, "oom_cgroup_skipped_total", {{"reason", "malformed"}}), 2);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_limit_bytes",
                  {{"cgroup", "/docker/" + std::string(kId)}}),
            std::nullopt);
  // The others are untouched.
  EXPECT_EQ(Value(s, "oom_cgroup_memory_limit_bytes", {{"cgroup", kPodV1}}),
            64 << 20);
}

TEST(CgroupCollectorTest, NoMemoryControllerIsNoDataNotAFailure) {
  TempTree tree;
  tree.WriteFile("proc/self/mountinfo",
                 "22 27 0:21 / /proc rw,relatime - proc proc rw\n");
  tree.MakeDir("sys");
  absl::Status status;
  std::vector<Sample> s = Collect(tree.root(), {}, &status);
  EXPECT_TRUE(status.ok());
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace oom
