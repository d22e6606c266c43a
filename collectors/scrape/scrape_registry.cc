#include "collectors/scrape/scrape_registry.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collectors/base/log.h"
#include "collectors/base/string_view.h"
#include "collectors/base/version.h"
#include "collectors/scrape/scrape_context.h"

namespace oom {
namespace {

using prometheus::MetricType;

constexpr MetricDesc kSuccess{
    "oom_scrape_collector_success",
    "Whether the collector read all of its sources in this scrape (1) or "
    "failed in part or in whole (0)",
    MetricType::Gauge};
constexpr MetricDesc kDuration{"oom_scrape_collector_duration_seconds",
                               "Time the collector took in this scrape",
                               MetricType::Gauge};
constexpr MetricDesc kBuildInfo{
    "oom_exporter_build_info",
    "A constant 1, labelled with the exporter's version and git revision",
    MetricType::Gauge};

}  // namespace

void ScrapeRegistry::Add(std::string name,
                         std::unique_ptr<Collector> collector) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry entry;
  entry.collector = std::move(collector);
  entry.status.name = std::move(name);
  entries_.push_back(std::move(entry));
}

void ScrapeRegistry::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  for (Entry& entry : entries_) entry.collector->Start();
}

void ScrapeRegistry::AfterUserSwitch(const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Entry& entry : entries_) entry.collector->AfterUserSwitch(user);
}

namespace {

// The scrape this thread is serving: its registry and how many runs had
// ended when it arrived (MarkScrapeArrival).
struct Arrival {
  const ScrapeRegistry* registry = nullptr;
  uint64_t completed = 0;
};
thread_local Arrival t_arrival;

}  // namespace

void ScrapeRegistry::MarkScrapeArrival() const {
  std::lock_guard<std::mutex> lock(flight_mu_);
  t_arrival.registry = this;
  t_arrival.completed = completed_;
}

uint64_t ScrapeRegistry::runs() const {
  std::lock_guard<std::mutex> lock(flight_mu_);
  return completed_;
}

std::vector<prometheus::MetricFamily> ScrapeRegistry::Collect() const {
  std::unique_lock<std::mutex> lock(flight_mu_);
  // A run that ends after `since` is fresh enough for this call.
  uint64_t since = completed_;
  if (t_arrival.registry == this) since = t_arrival.completed;
  t_arrival = Arrival();
  while (true) {
    if (completed_ > since) return last_;
    if (!in_flight_) break;
    flight_done_.wait(lock);
  }
  in_flight_ = true;
  lock.unlock();
  std::vector<prometheus::MetricFamily> result;
  try {
    result = CollectNow();
  } catch (...) {
    // CollectNow catches what collectors throw; only allocation can fail.
  }
  lock.lock();
  last_ = result;
  ++completed_;
  in_flight_ = false;
  flight_done_.notify_all();
  return result;
}

std::vector<prometheus::MetricFamily> ScrapeRegistry::CollectNow() const {
  std::lock_guard<std::mutex> lock(mu_);
  MetricSink sink;
  MetricSink self;
  ScrapeContext scrape;  // shared by this run's collectors
  for (Entry& entry : entries_) {
    absl::Time start = absl::Now();
    absl::Status status;
    MetricSink own;
    try {
      status = entry.collector->CollectInScrape(own, scrape);
    } catch (const std::exception& e) {
      status = absl::InternalError(absl::StrCat("exception: ", e.what()));
      own = MetricSink();  // Half-written samples are not trusted.
    } catch (...) {
      status = absl::InternalError("unknown exception");
      own = MetricSink();
    }
    sink.Append(own.TakeFamilies());
    double seconds = absl::ToDoubleSeconds(absl::Now() - start);

    CollectorStatus& last = entry.status;
    bool was_ok = !last.scraped || last.success;
    if (!status.ok() && was_ok) {
      Log(LogLevel::kWarn, "collector failed",
          {{"collector", last.name}, {"err", FromAbsl(status.message())}});
    } else if (status.ok() && !was_ok) {
      Log(LogLevel::kInfo, "collector recovered", {{"collector", last.name}});
    }
    last.scraped = true;
    last.success = status.ok();
    last.error = std::string(status.message());
    last.duration_seconds = seconds;
    last.last_scrape = start;

    self.Add(kSuccess, status.ok() ? 1 : 0, {{"collector", last.name}});
    self.Add(kDuration, seconds, {{"collector", last.name}});
  }
  self.Add(kBuildInfo, 1, {{"revision", Revision()}, {"version", Version()}});

  sink.Append(self.TakeFamilies());
  return sink.TakeFamilies();
}

std::vector<HttpRoute> ScrapeRegistry::Routes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HttpRoute> routes;
  for (Entry& entry : entries_) {
    for (HttpRoute& route : entry.collector->Routes()) {
      routes.push_back(std::move(route));
    }
  }
  return routes;
}

std::vector<CollectorStatus> ScrapeRegistry::Statuses() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<CollectorStatus> out;
  out.reserve(entries_.size());
  for (const Entry& entry : entries_) out.push_back(entry.status);
  return out;
}

}  // namespace oom
