#include "collectors/scrape/scrape_registry.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collectors/all_collectors.h"
#include "collectors/base/log.h"
#include "collectors/base/version.h"
#include "collectors/scrape/scrape_context.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/samples.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr MetricDesc kValue{"test_value", "A test value",
                            prometheus::MetricType::Gauge};

// Adds test_value{from=NAME} and returns what it is told to.
class FakeCollector : public Collector {
 public:
  FakeCollector(std::string name, absl::Status* result, bool* throws)
      : name_(std::move(name)), result_(result), throws_(throws) {}
  absl::Status Collect(MetricSink& sink) override {
    sink.Add(kValue, 1, {{"from", name_}});
    if (*throws_) throw std::runtime_error("boom");
    return *result_;
  }

 private:
  std::string name_;
  absl::Status* result_;
  bool* throws_;
};

// The value of the sample `name` whose labels include all of `labels`.
std::optional<double> Find(
    const std::vector<prometheus::MetricFamily>& families,
    const std::string& name, const Labels& labels) {
  return ::oom::testing::FindValue(::oom::testing::Flatten(families), name,
                                   labels);
}

std::vector<std::string>* g_lines = nullptr;
void Capture(std::string_view line) { g_lines->emplace_back(line); }

class ScrapeRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_lines = &log_;
    SetLogSinkForTesting(&Capture);
    registry_.Add("good",
                  std::make_unique<FakeCollector>("good", &good_, &no_));
    registry_.Add("bad",
                  std::make_unique<FakeCollector>("bad", &bad_, &bad_throws_));
  }
  void TearDown() override {
    SetLogSinkForTesting(nullptr);
    g_lines = nullptr;
  }

  absl::Status good_;
  absl::Status bad_;
  bool no_ = false;
  bool bad_throws_ = false;
  std::vector<std::string> log_;
  ScrapeRegistry registry_;
};

TEST_F(ScrapeRegistryTest, ReportsSuccessDurationAndBuildInfo) {
  auto families = registry_.Collect();
  EXPECT_EQ(Find(families, "test_value", {{"from", "good"}}), 1);
  EXPECT_EQ(Find(families, "test_value", {{"from", "bad"}}), 1);
  EXPECT_EQ(
      Find(families, "oom_scrape_collector_success", {{"collector", "good"}}),
      1);
  EXPECT_EQ(
      Find(families, "oom_scrape_collector_success", {{"collector", "bad"}}),
      1);
  std::optional<double> duration =
      Find(families, "oom_scrape_collector_duration_seconds",
           {{"collector", "good"}});
  ASSERT_TRUE(duration.has_value());
  EXPECT_GE(*duration, 0);
  EXPECT_EQ(Find(families, "oom_exporter_build_info",
                 {{"version", Version()}, {"revision", Revision()}}),
            1);
  // Samples of one name stay in one family.
  int test_families = 0;
  for (const auto& family : families)
    test_families += family.name == "test_value";
  EXPECT_EQ(test_families, 1);
}

TEST_F(ScrapeRegistryTest, FailingCollectorKeepsItsSamplesAndTheOthers) {
  bad_ = absl::UnavailableError("/proc/meminfo: gone");
  auto families = registry_.Collect();
  EXPECT_EQ(
      Find(families, "oom_scrape_collector_success", {{"collector", "bad"}}),
      0);
  EXPECT_EQ(
      Find(families, "oom_scrape_collector_success", {{"collector", "good"}}),
      1);
  EXPECT_EQ(Find(families, "test_value", {{"from", "bad"}}), 1);
  EXPECT_EQ(Find(families, "test_value", {{"from", "good"}}), 1);
}

TEST_F(ScrapeRegistryTest, ThrowingCollectorIsAFailureNotACrash) {
  bad_throws_ = true;
  auto families = registry_.Collect();
  EXPECT_EQ(
      Find(families, "oom_scrape_collector_success", {{"collector", "bad"}}),
      0);
  EXPECT_EQ(Find(families, "test_value", {{"from", "bad"}}), std::nullopt);
  EXPECT_EQ(Find(families, "test_value", {{"from", "good"}}), 1);
  std::vector<CollectorStatus> statuses = registry_.Statuses();
  ASSERT_THAT(statuses, SizeIs(2));
  EXPECT_FALSE(statuses[1].success);
  EXPECT_THAT(statuses[1].error, HasSubstr("boom"));
}

TEST_F(ScrapeRegistryTest, LogsOnlyWhenAStatusChanges) {
  registry_.Collect();
  EXPECT_TRUE(log_.empty());
  bad_ = absl::UnavailableError("disk on fire");
  registry_.Collect();
  registry_.Collect();
  registry_.Collect();
  ASSERT_THAT(log_, SizeIs(1));
  EXPECT_THAT(log_[0], HasSubstr("level=warn msg=\"collector failed\" "
                                 "collector=bad err=\"disk on fire\""));
  bad_ = absl::OkStatus();
  registry_.Collect();
  registry_.Collect();
  ASSERT_THAT(log_, SizeIs(2));
  EXPECT_THAT(
      log_[1],
      HasSubstr("level=info msg=\"collector recovered\" collector=bad"));
}

TEST_F(ScrapeRegistryTest, StatusesBeforeAndAfterTheFirstScrape) {
  std::vector<CollectorStatus> before = registry_.Statuses();
  ASSERT_THAT(before, SizeIs(2));
  EXPECT_EQ(before[0].name, "good");
  EXPECT_FALSE(before[0].scraped);
  registry_.Collect();
  std::vector<CollectorStatus> after = registry_.Statuses();
  EXPECT_TRUE(after[0].scraped);
  EXPECT_TRUE(after[0].success);
  EXPECT_EQ(after[0].error, "");
}

// Records the calls of the steps around the scrapes.
class StepsCollector : public Collector {
 public:
  StepsCollector(std::string name, std::vector<std::string>* calls)
      : name_(std::move(name)), calls_(calls) {}
  void Start() override { calls_->push_back(name_ + ".Start"); }
  void AfterUserSwitch(const std::string& user) override {
    calls_->push_back(name_ + ".AfterUserSwitch(" + user + ")");
  }
  absl::Status Collect(MetricSink&) override {
    calls_->push_back(name_ + ".Collect");
    return absl::OkStatus();
  }

 private:
  std::string name_;
  std::vector<std::string>* calls_;
};

TEST(ScrapeRegistryStepsTest, StartsAndTellsEveryCollectorInOrder) {
  std::vector<std::string> calls;
  ScrapeRegistry registry;
  registry.Add("a", std::make_unique<StepsCollector>("a", &calls));
  registry.Add("b", std::make_unique<StepsCollector>("b", &calls));
  registry.Start();
  EXPECT_EQ(registry.runs(), 0u) << "Start is not a scrape";
  registry.AfterUserSwitch("nobody");
  registry.Collect();
  EXPECT_THAT(calls, ::testing::ElementsAre("a.Start", "b.Start",
                                            "a.AfterUserSwitch(nobody)",
                                            "b.AfterUserSwitch(nobody)",
                                            "a.Collect", "b.Collect"));
}

TEST(BuildScrapeRegistryTest, BuildsTheNamedCollectors) {
  FsRoots roots;
  roots.procfs = std::string(OOM_SOURCE_DIR) + "/tests/fixtures/proc";
  std::shared_ptr<ScrapeRegistry> registry =
      BuildScrapeRegistry({"memory"}, roots);
  auto families = registry->Collect();
  EXPECT_EQ(
      Find(families, "oom_scrape_collector_success", {{"collector", "memory"}}),
      1);
  EXPECT_EQ(Find(families, "oom_kernel_kills_total", {}), 1);
  EXPECT_THAT(BuildScrapeRegistry({}, roots)->Statuses(), SizeIs(0));
}

// Counts its runs; blocks until released so that callers pile up.
class GateCollector : public Collector {
 public:
  GateCollector(std::atomic<int>* runs, std::atomic<bool>* open)
      : runs_(runs), open_(open) {}
  absl::Status Collect(MetricSink& sink) override {
    runs_->fetch_add(1);
    while (!open_->load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    sink.Add(kValue, 7, {{"from", "gate"}});
    return absl::OkStatus();
  }

 private:
  std::atomic<int>* runs_;
  std::atomic<bool>* open_;
};

TEST(ScrapeRegistrySingleFlightTest, CallersDuringARunShareIt) {
  std::atomic<int> runs{0};
  std::atomic<bool> open{false};
  ScrapeRegistry registry;
  registry.Add("gate", std::make_unique<GateCollector>(&runs, &open));
  constexpr int kCallers = 8;
  std::vector<std::vector<prometheus::MetricFamily>> results(kCallers);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = registry.Collect(); });
  while (runs.load() == 0) std::this_thread::yield();  // the run is in flight
  for (int i = 1; i < kCallers; ++i) {
    threads.emplace_back([&, i] { results[i] = registry.Collect(); });
  }
  // The callers that came while the gate was shut all wait for that run.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  open = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(registry.runs(), 1u);
  for (const auto& families : results) {
    EXPECT_EQ(Find(families, "test_value", {{"from", "gate"}}), 7);
  }
  // A call after the run ended runs the collectors again.
  registry.Collect();
  EXPECT_EQ(runs.load(), 2);
}

TEST(ScrapeRegistrySingleFlightTest, AMarkedScrapeTakesARunThatEndedAfterIt) {
  std::atomic<int> runs{0};
  std::atomic<bool> open{true};
  ScrapeRegistry registry;
  registry.Add("gate", std::make_unique<GateCollector>(&runs, &open));
  // As prometheus-cpp does it: a scrape arrives (the mark), waits behind
  // another scrape's run, then calls Collect: that run is fresh enough.
  std::atomic<bool> marked{false};
  std::atomic<bool> ran{false};
  std::thread waiting([&] {
    registry.MarkScrapeArrival();
    marked = true;
    while (!ran.load()) std::this_thread::yield();
    registry.Collect();
  });
  while (!marked.load()) std::this_thread::yield();
  registry.Collect();  // the other scrape's run
  ran = true;
  waiting.join();
  EXPECT_EQ(runs.load(), 1);
  // A scrape that arrives after the run ended gets a run of its own.
  std::thread late([&] {
    registry.MarkScrapeArrival();
    registry.Collect();
  });
  late.join();
  EXPECT_EQ(runs.load(), 2);
  // So does an unmarked call.
  registry.Collect();
  EXPECT_EQ(runs.load(), 3);
}

// Adds test_value{from=NAME} = MemTotal as the scrape's context has it, then
// (`rewrite`) changes meminfo, as the node might in the middle of a scrape.
class MeminfoCollector : public Collector {
 public:
  MeminfoCollector(std::string name, ::oom::testing::TempTree* tree,
                   bool rewrite)
      : name_(std::move(name)), tree_(tree), rewrite_(rewrite) {}
  absl::Status Collect(MetricSink& sink) override {
    ScrapeContext scrape;
    return CollectInScrape(sink, scrape);
  }
  absl::Status CollectInScrape(MetricSink& sink,
                               ScrapeContext& scrape) override {
    FsRoots roots;
    roots.procfs = tree_->root();
    const absl::StatusOr<Meminfo>& meminfo = scrape.MeminfoOf(roots);
    if (!meminfo.ok()) return meminfo.status();
    sink.Add(kValue, static_cast<double>(*meminfo->Get("MemTotal")),
             {{"from", name_}});
    if (rewrite_) {
      tree_->WriteFile("meminfo",
                       absl::StrCat("MemTotal: ", ++written_, " kB\n"));
    }
    return absl::OkStatus();
  }

 private:
  std::string name_;
  ::oom::testing::TempTree* tree_;
  bool rewrite_;
  int written_ = 1;
};

TEST(ScrapeRegistryContextTest, TheCollectorsOfOneRunShareOneContext) {
  ::oom::testing::TempTree tree;
  tree.WriteFile("meminfo", "MemTotal: 1 kB\n");
  ScrapeRegistry registry;
  registry.Add("first", std::make_unique<MeminfoCollector>("first", &tree,
                                                           /*rewrite=*/true));
  registry.Add("second", std::make_unique<MeminfoCollector>("second", &tree,
                                                            /*rewrite=*/false));
  auto families = registry.Collect();
  // The second collector sees what the first one read, not the new file.
  EXPECT_EQ(Find(families, "test_value", {{"from", "first"}}), 1024);
  EXPECT_EQ(Find(families, "test_value", {{"from", "second"}}), 1024);
  // The next run has a context of its own, which reads the file again.
  families = registry.Collect();
  EXPECT_EQ(Find(families, "test_value", {{"from", "first"}}), 2048);
  EXPECT_EQ(Find(families, "test_value", {{"from", "second"}}), 2048);
}

}  // namespace
}  // namespace oom
