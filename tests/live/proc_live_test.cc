// The memory collector against this machine's real /proc, served over HTTP
// exactly as the binary serves it, compared with the kernel's own files read
// in the same test; and a real OOM kill in a small memory cgroup.

#include <unistd.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collectors/all_collectors.h"
#include "collectors/scrape/scrape_registry.h"
#include "exporter/http/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"
#include "tests/support/memcg.h"

namespace oom {
namespace {

using ::oom::testing::HttpGet;
using ::oom::testing::HttpResponse;
using ::oom::testing::MemoryCgroup;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The number after `key` on the line that starts with it in a /proc file
// ("MemTotal:" in meminfo, "oom_kill" in vmstat, "some" in PSI where the
// field is "total=").
std::optional<double> KernelValue(const std::string& path,
                                  const std::string& key,
                                  const std::string& field_prefix = "") {
  std::istringstream lines(Slurp(path));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first != key) continue;
    std::string word;
    while (words >> word) {
      if (word.rfind(field_prefix, 0) != 0) continue;
      double value = 0;
      if (absl::SimpleAtod(word.substr(field_prefix.size()), &value))
        return value;
    }
  }
  return std::nullopt;
}

std::optional<double> SysctlValue(const std::string& name) {
  double value = 0;
  std::string text = Slurp("/proc/sys/vm/" + name);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (!absl::SimpleAtod(text, &value)) return std::nullopt;
  return value;
}

// The value of the unlabelled sample `name` in an exposition text.
std::optional<double> Sample(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name + " ", 0) != 0) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(name.size() + 1), &value)) return value;
  }
  return std::nullopt;
}

class ProcLiveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    FsRoots roots;  // The real /proc and /sys.
    std::shared_ptr<ScrapeRegistry> registry =
        BuildScrapeRegistry({"memory"}, roots);
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    auto server = HttpServer::Start(options, registry);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::string Scrape() {
    HttpResponse response = HttpGet(server_->port(), "/metrics");
    EXPECT_EQ(response.status, 200) << response.error;
    return response.body;
  }
  static HttpServer* server_;
};

HttpServer* ProcLiveTest::server_ = nullptr;

TEST_F(ProcLiveTest, CollectorSucceedsOnThisMachine) {
  EXPECT_THAT(Scrape(),
              ::testing::HasSubstr(
                  "oom_scrape_collector_success{collector=\"memory\"} 1\n"));
}

TEST_F(ProcLiveTest, CountersMatchTheKernelReadAroundTheScrape) {
  // Counters only grow: the scraped value lies between a read before and a
  // read after the scrape (equal to both on a quiet machine).
  struct Counter {
    const char* metric;
    const char* file;
    const char* key;
    const char* field;
    double scale;
  };
  const Counter counters[] = {
      {"oom_kernel_kills_total", "/proc/vmstat", "oom_kill", "", 1},
      {"oom_memory_pressure_waiting_seconds_total", "/proc/pressure/memory",
       "some", "total=", 1e-6},
      {"oom_memory_pressure_stalled_seconds_total", "/proc/pressure/memory",
       "full", "total=", 1e-6},
  };
  for (const Counter& counter : counters) {
    std::optional<double> before =
        KernelValue(counter.file, counter.key, counter.field);
    std::string scrape = Scrape();
    std::optional<double> after =
        KernelValue(counter.file, counter.key, counter.field);
    std::optional<double> exported = Sample(scrape, counter.metric);
    if (!before.has_value()) {
      // The kernel lacks the feature: then the exporter has no series.
      EXPECT_FALSE(exported.has_value()) << counter.metric;
      continue;
    }
    ASSERT_TRUE(exported.has_value()) << counter.metric << " missing";
    EXPECT_GE(*exported, *before * counter.scale - 1e-9) << counter.metric;
    EXPECT_LE(*exported, *after * counter.scale + 1e-9) << counter.metric;
  }
}

TEST_F(ProcLiveTest, GaugesMatchTheKernel) {
  struct Gauge {
    const char* metric;
    const char* key;
    double tolerance_bytes;  // how far a value may move between two reads
  };
  const double kMoving = 256.0 * 1024 * 1024;
  const Gauge gauges[] = {
      {"oom_memory_total_bytes", "MemTotal:", 0},
      {"oom_swap_total_bytes", "SwapTotal:", 0},
      {"oom_memory_commit_limit_bytes", "CommitLimit:", 0},
      {"oom_memory_available_bytes", "MemAvailable:", kMoving},
      {"oom_swap_free_bytes", "SwapFree:", kMoving},
      {"oom_memory_committed_bytes", "Committed_AS:", kMoving},
  };
  std::string scrape = Scrape();
  for (const Gauge& gauge : gauges) {
    std::optional<double> kb = KernelValue("/proc/meminfo", gauge.key);
    std::optional<double> exported = Sample(scrape, gauge.metric);
    ASSERT_TRUE(kb.has_value()) << gauge.key;
    ASSERT_TRUE(exported.has_value()) << gauge.metric;
    EXPECT_NEAR(*exported, *kb * 1024, gauge.tolerance_bytes) << gauge.metric;
  }
  for (const char* name : {"overcommit_memory", "overcommit_ratio",
                           "panic_on_oom", "oom_kill_allocating_task"}) {
    std::optional<double> kernel = SysctlValue(name);
    std::optional<double> exported =
        Sample(scrape, std::string("oom_vm_") + name);
    ASSERT_TRUE(kernel.has_value()) << name;
    EXPECT_EQ(exported, kernel) << name;
  }
}

TEST_F(ProcLiveTest, ARealOomKillMovesTheKernelKillCounter) {
  absl::StatusOr<MemoryCgroup> cgroup = MemoryCgroup::Create(
      absl::StrCat("oom_exporter_live_", getpid()), 32 << 20);
  if (!cgroup.ok()) {
    GTEST_SKIP() << "cannot provoke an OOM kill here: "
                 << cgroup.status().message();
  }
  std::optional<double> before = Sample(Scrape(), "oom_kernel_kills_total");
  if (!before.has_value())
    GTEST_SKIP() << "kernel has no /proc/vmstat oom_kill (< 4.13)";
  absl::StatusOr<int> victim = cgroup->RunUntilOomKilled("oom_live_hog");
  ASSERT_TRUE(victim.ok()) << victim.status();
  std::optional<double> after = Sample(Scrape(), "oom_kernel_kills_total");
  ASSERT_TRUE(after.has_value());
  // Exactly one kill, unless something else on the machine was killed too.
  std::optional<double> kernel = KernelValue("/proc/vmstat", "oom_kill");
  EXPECT_GE(*after, *before + 1);
  EXPECT_LE(*after, *kernel);
}

}  // namespace
}  // namespace oom
