// The cgroup collector on fixture trees: tests/fixtures/cgroup-v1 was copied
// from this project's CI machine (Linux 6.18, v1 memory controller) by
// tests/fixtures/capture-cgroup-v1.sh v1, right after a process was
// OOM-killed in the Kubernetes-style container cgroup;
// tests/fixtures/cgroup-v2 is written in the kernel's v2 formats (see
// tests/fixtures/README.md).

#include "collectors/cgroup/cgroup_collector.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
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
  return ::oom::testing::CollectSamples(collector, status);
}

std::optional<double> Value(const std::vector<Sample>& samples,
                            const std::string& name, const Labels& labels) {
  return FindValue(samples, name, labels);
}

std::string V1() { return SourcePath("tests/fixtures/cgroup-v1"); }
std::string V2() { return SourcePath("tests/fixtures/cgroup-v2"); }

// memory.failcnt of cgroup-v1's container (its worker allocated at the
// container's limit until the kernel killed it) and of its batch.service
// (stuck at its limit with the OOM killer disabled), as the kernel counted
// them.
constexpr int kContainerFailcntV1 = 4856;
constexpr int kBatchFailcntV1 = 60;

const std::string kPodV1 = std::string("/kubepods/burstable/pod") + kUid;
const std::string kContainerV1 = kPodV1 + "/" + kId;
const std::string kPodV2 =
    "/kubepods.slice/kubepods-burstable.slice/"
    "kubepods-burstable-pod7c4b3c3a_2d3f_4a8e_9b2e_1f0e4c6d8a9b.slice";
const std::string kContainerV2 =
    kPodV2 + "/cri-containerd-" + std::string(kId) + ".scope";

CgroupOptions Everything() {
  CgroupOptions options;
  options.max_depth = 8;
  options.pod_containers = true;
  options.watch = false;
  return options;
}

TEST(CgroupCollectorTest, V1RealTree) {
  std::vector<Sample> s = Collect(V1(), Everything());
  EXPECT_EQ(
      Value(s, "oom_cgroup_hierarchy_info",
            {{"version", "v1"}, {"mount_point", "/sys/fs/cgroup/memory"}}),
      1);
  // The container whose process the kernel killed: a leaf, so its own
  // counts are its totals and have no separate local series.
  EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                  {{"cgroup", kContainerV1}, {"event", "oom_kill"}}),
            1);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                  {{"cgroup", kContainerV1}, {"event", "max"}}),
            kContainerFailcntV1);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_events_local_total",
                  {{"cgroup", kContainerV1}, {"event", "oom_kill"}}),
            std::nullopt);
  // v1 counts only where the event happened; the ancestors' totals sum
  // their descendants as v2 does, and their own counts stay apart.
  for (const std::string& ancestor :
       {kPodV1, std::string("/kubepods/burstable"), std::string("/kubepods"),
        std::string("/")}) {
    EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                    {{"cgroup", ancestor}, {"event", "oom_kill"}}),
              1)
        << ancestor;
    // The root's also counts batch.service's times at its limit.
    EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                    {{"cgroup", ancestor}, {"event", "max"}}),
              ancestor == "/" ? kContainerFailcntV1 + kBatchFailcntV1
                              : kContainerFailcntV1)
        << ancestor;
    EXPECT_EQ(Value(s, "oom_cgroup_memory_events_local_total",
                    {{"cgroup", ancestor}, {"event", "oom_kill"}}),
              0)
        << ancestor;
  }
  EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                  {{"cgroup", "/docker"}, {"event", "oom_kill"}}),
            0);
  // v2-only events have no v1 source: no series rather than a made-up 0.
  EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                  {{"cgroup", kContainerV1}, {"event", "oom"}}),
            std::nullopt);
  EXPECT_EQ(
      Value(s, "oom_cgroup_memory_limit_bytes", {{"cgroup", kContainerV1}}),
      48 << 20);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_limit_bytes", {{"cgroup", kPodV1}}),
            64 << 20);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_limit_bytes",
                  {{"cgroup", "/docker/" + std::string(kId)}}),
            32 << 20);
  // Unlimited: no series. Not under OOM: no series.
  EXPECT_EQ(Value(s, "oom_cgroup_memory_limit_bytes", {{"cgroup", "/"}}),
            std::nullopt);
  EXPECT_EQ(Value(s, "oom_cgroup_under_oom", {{"cgroup", kContainerV1}}),
            std::nullopt);
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
  // A cgroup with the OOM killer disabled, its task waiting at the limit.
  EXPECT_EQ(Value(s, "oom_cgroup_under_oom",
                  {{"cgroup", "/system.slice/batch.service"}}),
            1);
  EXPECT_EQ(Value(s, "oom_cgroup_exported", {}), 10);
  EXPECT_EQ(Value(s, "oom_cgroup_retained", {}), 0);
  EXPECT_EQ(Value(s, "oom_cgroup_skipped_total", {{"reason", "malformed"}}), 0);
}

TEST(CgroupCollectorTest, DefaultsStopAtThePod) {
  CgroupOptions options;
  options.watch = false;
  std::vector<Sample> s = Collect(V1(), options);
  EXPECT_FALSE(
      Value(s, "oom_cgroup_info", {{"cgroup", kContainerV1}}).has_value());
  EXPECT_FALSE(Value(s, "oom_cgroup_memory_events_total",
                     {{"cgroup", kContainerV1}, {"event", "oom_kill"}})
                   .has_value());
  // The pod's totals hold its container's kill.
  EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                  {{"cgroup", kPodV1}, {"event", "oom_kill"}}),
            1);
  EXPECT_EQ(Value(s, "oom_cgroup_exported", {}), 9);

  s = Collect(V2(), options);
  EXPECT_FALSE(
      Value(s, "oom_cgroup_info", {{"cgroup", kContainerV2}}).has_value());
  EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                  {{"cgroup", kPodV2}, {"event", "oom_kill"}}),
            2);
}

TEST(CgroupCollectorTest, V2Tree) {
  std::vector<Sample> s = Collect(V2(), Everything());
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
    for (const std::string& cgroup : {kContainerV2, kPodV2}) {
      EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                      {{"cgroup", cgroup}, {"event", event}}),
                count)
          << cgroup << " " << event;
    }
    // The container's local counts equal its totals: no series. The pod's
    // own counts differ from its totals.
    EXPECT_EQ(Value(s, "oom_cgroup_memory_events_local_total",
                    {{"cgroup", kContainerV2}, {"event", event}}),
              std::nullopt)
        << event;
    EXPECT_EQ(Value(s, "oom_cgroup_memory_events_local_total",
                    {{"cgroup", kPodV2}, {"event", event}}),
              count == 0 ? std::nullopt : std::optional<double>(0))
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
  // kubelet sets memory.oom.group on containers, not on pods.
  EXPECT_EQ(Value(s, "oom_cgroup_oom_group", {{"cgroup", kContainerV2}}), 1);
  EXPECT_EQ(Value(s, "oom_cgroup_oom_group", {{"cgroup", kPodV2}}),
            std::nullopt);
  // The fixture has no meminfo, so swap is not known to be off.
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

TEST(CgroupCollectorTest, NoSwapNoSwapSeries) {
  TempTree tree;
  tree.CopyFixture("cgroup-v2", "");
  tree.WriteFile("proc/meminfo",
                 "MemTotal:       24568804 kB\nSwapTotal:             0 kB\n");
  std::vector<Sample> s = Collect(tree.root(), Everything());
  EXPECT_EQ(testing::CountSamples(s, "oom_cgroup_swap_usage_bytes"), 0);
  EXPECT_EQ(
      Value(s, "oom_cgroup_memory_usage_bytes", {{"cgroup", kContainerV2}}),
      50208768);
}

TEST(CgroupCollectorTest, DepthIncludeAndExclude) {
  CgroupOptions options = Everything();
  options.max_depth = 1;
  std::vector<Sample> s = Collect(V1(), options);
  EXPECT_TRUE(Value(s, "oom_cgroup_info", {{"cgroup", "/docker"}}).has_value());
  EXPECT_FALSE(
      Value(s, "oom_cgroup_info", {{"cgroup", "/docker/" + std::string(kId)}})
          .has_value());
  // Totals still count what lies deeper.
  EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                  {{"cgroup", "/kubepods"}, {"event", "oom_kill"}}),
            1);

  options = Everything();
  options.include = {"/kubepods/*"};
  options.exclude = {"*/burstable"};
  s = Collect(V1(), options);
  EXPECT_TRUE(
      Value(s, "oom_cgroup_info", {{"cgroup", kContainerV1}}).has_value());
  EXPECT_TRUE(Value(s, "oom_cgroup_info", {{"cgroup", kPodV1}}).has_value());
  // Excluded, but walked through.
  EXPECT_FALSE(Value(s, "oom_cgroup_info", {{"cgroup", "/kubepods/burstable"}})
                   .has_value());
  EXPECT_FALSE(Value(s, "oom_cgroup_memory_events_total",
                     {{"cgroup", "/kubepods/burstable"}, {"event", "max"}})
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
  std::vector<Sample> s = Collect(tree.root(), Everything(), &status);
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(Value(s, "oom_cgroup_skipped_total", {{"reason", "malformed"}}), 2);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_limit_bytes",
                  {{"cgroup", "/docker/" + std::string(kId)}}),
            std::nullopt);
  // The others are untouched.
  EXPECT_EQ(Value(s, "oom_cgroup_memory_limit_bytes", {{"cgroup", kPodV1}}),
            64 << 20);
}

// Working set and unreclaimable memory from memory.stat, on v1 (the real
// sample of memory_stat_test.cc: 15 MiB of anonymous memory and 16 MiB of
// page cache read twice) and v2; a garbled memory.stat costs only them.
TEST(CgroupCollectorTest, ReclaimableMemoryFromMemoryStat) {
  TempTree v1;
  v1.CopyFixture("cgroup-v1", "");
  std::string dir = "sys/fs/cgroup/memory" + kContainerV1;
  v1.WriteFile(dir + "/memory.usage_in_bytes", "33206272\n");
  v1.WriteFile(dir + "/memory.stat",
               "cache 17285120\nrss 15421440\ninactive_file 0\n"
               "active_file 17285120\ntotal_cache 17285120\n"
               "total_rss 15421440\ntotal_inactive_file 0\n"
               "total_active_file 17285120\n");
  std::string docker = "/docker/" + std::string(kId);
  v1.WriteFile("sys/fs/cgroup/memory" + docker + "/memory.stat",
               "total_active_file x\n");
  std::vector<Sample> s = Collect(v1.root(), Everything());
  Labels container = {{"cgroup", kContainerV1}};
  EXPECT_EQ(Value(s, "oom_cgroup_memory_usage_bytes", container), 33206272);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_working_set_bytes", container),
            33206272);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_unreclaimable_bytes", container),
            33206272 - 17285120);
  Labels garbled = {{"cgroup", docker}};
  EXPECT_TRUE(Value(s, "oom_cgroup_memory_usage_bytes", garbled).has_value());
  EXPECT_EQ(Value(s, "oom_cgroup_memory_unreclaimable_bytes", garbled),
            std::nullopt);
  EXPECT_EQ(Value(s, "oom_cgroup_memory_working_set_bytes", garbled),
            std::nullopt);
  EXPECT_EQ(Value(s, "oom_cgroup_skipped_total", {{"reason", "malformed"}}), 1);

  TempTree v2;
  v2.CopyFixture("cgroup-v2", "");
  dir = "sys/fs/cgroup" + kContainerV2;
  v2.WriteFile(dir + "/memory.current", "104857600\n");
  v2.WriteFile(dir + "/memory.stat",
               "anon 52428800\nfile 50331648\nshmem 8388608\n"
               "inactive_file 25165824\nactive_file 16777216\n"
               "slab_reclaimable 1048576\n");
  s = Collect(v2.root(), Everything());
  container = {{"cgroup", kContainerV2}};
  EXPECT_EQ(Value(s, "oom_cgroup_memory_working_set_bytes", container),
            104857600 - 25165824);
  // Anon, shmem and the rest of kernel memory stay.
  EXPECT_EQ(Value(s, "oom_cgroup_memory_unreclaimable_bytes", container),
            104857600 - 25165824 - 16777216 - 1048576);
  // The v2 root has no memory.current: nothing to subtract from.
  EXPECT_EQ(
      Value(s, "oom_cgroup_memory_unreclaimable_bytes", {{"cgroup", "/"}}),
      std::nullopt);
}

// A removed cgroup keeps its counters (not its gauges) for the retention
// period; afterwards its counts live on in its ancestors' totals.
TEST(CgroupCollectorTest, RemovedCgroupsAreRetainedThenFolded) {
  for (bool keep : {true, false}) {
    TempTree tree;
    tree.CopyFixture("cgroup-v1", "");
    FsRoots roots;
    roots.procfs = tree.root() + "/proc";
    roots.sysfs = tree.root() + "/sys";
    CgroupOptions options = Everything();
    options.retention = keep ? std::chrono::milliseconds(std::chrono::hours(1))
                             : std::chrono::milliseconds(0);
    CgroupCollector collector(roots, options);
    MetricSink first;
    ASSERT_TRUE(collector.Collect(first).ok());
    std::filesystem::remove_all(tree.root() + "/sys/fs/cgroup/memory" +
                                kContainerV1);
    MetricSink second;
    ASSERT_TRUE(collector.Collect(second).ok());
    std::vector<Sample> s = Flatten(second.TakeFamilies());

    EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                    {{"cgroup", kContainerV1}, {"event", "oom_kill"}}),
              keep ? std::optional<double>(1) : std::nullopt);
    EXPECT_EQ(Value(s, "oom_cgroup_info", {{"cgroup", kContainerV1}}),
              keep ? std::optional<double>(1) : std::nullopt);
    EXPECT_EQ(
        Value(s, "oom_cgroup_memory_usage_bytes", {{"cgroup", kContainerV1}}),
        std::nullopt);
    EXPECT_EQ(Value(s, "oom_cgroup_retained", {}), keep ? 1 : 0);
    // Either way the pod's total does not go down.
    EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                    {{"cgroup", kPodV1}, {"event", "oom_kill"}}),
              1)
        << keep;
    EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                    {{"cgroup", "/"}, {"event", "max"}}),
              kContainerFailcntV1 + kBatchFailcntV1)
        << keep;
    EXPECT_EQ(Value(s, "oom_cgroup_exported", {}), 9);
  }
}

// Start follows the tree at once (the watcher records every cgroup before
// Start returns): a cgroup removed between Start and the first scrape keeps
// its kill. Without Start, the first scrape never knew it.
TEST(CgroupCollectorTest, StartFollowsTheTreeBeforeTheFirstScrape) {
  for (bool start : {true, false}) {
    TempTree tree;
    tree.CopyFixture("cgroup-v2", "");
    FsRoots roots;
    roots.procfs = tree.root() + "/proc";
    roots.sysfs = tree.root() + "/sys";
    CgroupOptions options = Everything();
    options.watch = true;
    CgroupCollector collector(roots, options);
    if (start) collector.Start();
    std::filesystem::remove_all(tree.root() + "/sys/fs/cgroup" + kContainerV2);
    MetricSink sink;
    ASSERT_TRUE(collector.Collect(sink).ok());
    std::vector<Sample> s = Flatten(sink.TakeFamilies());
    EXPECT_EQ(Value(s, "oom_cgroup_memory_events_total",
                    {{"cgroup", kContainerV2}, {"event", "oom_kill"}}),
              start ? std::optional<double>(2) : std::nullopt)
        << start;
    EXPECT_EQ(Value(s, "oom_cgroup_retained", {}), start ? 1 : 0) << start;
  }
}

// The defaults keep a 110-pod Kubernetes node (cgroup v2, systemd driver,
// containerd, no swap) under about 1,500 series from this collector; the
// arithmetic is in docs/cgroup-collector.md. The node is generated here in
// v2's formats.
TEST(CgroupCollectorTest, DefaultsBoundA110PodNode) {
  TempTree tree;
  tree.WriteFile("proc/self/mountinfo",
                 "35 30 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime "
                 "shared:9 - cgroup2 cgroup2 rw,nsdelegate\n");
  tree.WriteFile("proc/meminfo",
                 "MemTotal:       65849096 kB\nSwapTotal:             0 kB\n");
  const std::string root = "sys/fs/cgroup";
  tree.WriteFile(root + "/cgroup.controllers", "cpuset cpu io memory pids\n");
  tree.WriteFile(root + "/memory.pressure",
                 "some avg10=0.00 avg60=0.00 avg300=0.00 total=1200\n"
                 "full avg10=0.00 avg60=0.00 avg300=0.00 total=800\n");
  auto cgroup = [&](const std::string& path, const std::string& max,
                    bool oom_group) {
    std::string dir = root + path;
    const char* events =
        "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n";
    tree.WriteFile(dir + "/memory.events", events);
    tree.WriteFile(dir + "/memory.events.local", events);
    tree.WriteFile(dir + "/memory.current", "52428800\n");
    tree.WriteFile(dir + "/memory.stat",
                   "anon 20971520\nfile 31457280\ninactive_file 10485760\n"
                   "active_file 20971520\nslab_reclaimable 0\n");
    tree.WriteFile(dir + "/memory.max", max + "\n");
    tree.WriteFile(dir + "/memory.high", "max\n");
    tree.WriteFile(dir + "/memory.swap.current", "0\n");
    tree.WriteFile(dir + "/memory.oom.group", oom_group ? "1\n" : "0\n");
    tree.WriteFile(dir + "/memory.pressure",
                   "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                   "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
  };
  cgroup("/kubepods.slice", "60000000000", false);
  cgroup("/kubepods.slice/kubepods-burstable.slice", "max", false);
  cgroup("/kubepods.slice/kubepods-besteffort.slice", "max", false);
  for (int pod = 0; pod < 110; ++pod) {
    // 30 guaranteed, 60 burstable, 20 besteffort pods.
    std::string uid =
        absl::StrFormat("0000%04d_1111_2222_3333_444444444444", pod);
    std::string path = pod < 30
                           ? "/kubepods.slice/kubepods-pod" + uid + ".slice"
                       : pod < 90 ? "/kubepods.slice/kubepods-burstable.slice/"
                                    "kubepods-burstable-pod" +
                                        uid + ".slice"
                                  : "/kubepods.slice/kubepods-besteffort.slice/"
                                    "kubepods-besteffort-pod" +
                                        uid + ".slice";
    cgroup(path, pod < 90 ? "536870912" : "max", false);
    for (int container = 0; container < 2; ++container) {
      cgroup(absl::StrFormat("%s/cri-containerd-%064x.scope", path,
                             pod * 2 + container),
             pod < 90 ? "268435456" : "max", true);
    }
  }
  cgroup("/system.slice", "max", false);
  for (int unit = 0; unit < 20; ++unit) {
    cgroup(absl::StrFormat("/system.slice/unit-%d.service", unit), "max",
           false);
  }
  cgroup("/user.slice", "max", false);
  cgroup("/user.slice/user-1000.slice", "max", false);
  cgroup("/user.slice/user-1000.slice/session-1.scope", "max", false);
  cgroup("/init.scope", "max", false);

  CgroupOptions defaults;
  defaults.watch = false;
  std::vector<Sample> s = Collect(tree.root(), defaults);
  EXPECT_EQ(Value(s, "oom_cgroup_exported", {}), 139);
  std::printf("110-pod node, defaults: %zu series\n", s.size());
  // docs/cgroup-collector.md, "Cardinality", counts 1,759.
  EXPECT_LE(s.size(), 1800u);
  // Not vacuous: every pod is there, with its kill counter and its limit,
  // and every cgroup but the root with its unreclaimable memory.
  EXPECT_GE(s.size(), 1700u);
  EXPECT_EQ(testing::CountSamples(s, "oom_cgroup_memory_limit_bytes"), 91);
  EXPECT_EQ(testing::CountSamples(s, "oom_cgroup_memory_unreclaimable_bytes"),
            138);
  EXPECT_EQ(testing::CountSamples(s, "oom_cgroup_memory_working_set_bytes"),
            138);
  // Containers (one level deeper in burstable and besteffort pods) would
  // more than double it.
  CgroupOptions containers = defaults;
  containers.pod_containers = true;
  containers.max_depth = 4;
  std::size_t with_containers = Collect(tree.root(), containers).size();
  std::printf("with pod containers: %zu series\n", with_containers);
  EXPECT_GT(with_containers, 3000u);
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
