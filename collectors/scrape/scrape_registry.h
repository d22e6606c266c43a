#ifndef OOM_EXPORTER_COLLECTORS_SCRAPE_SCRAPE_REGISTRY_H_
#define OOM_EXPORTER_COLLECTORS_SCRAPE_SCRAPE_REGISTRY_H_

// Runs the enabled collectors on every scrape and adds, for each one,
//   oom_scrape_collector_success{collector}           1 or 0
//   oom_scrape_collector_duration_seconds{collector}
// plus oom_exporter_build_info{version,revision}. One failing (or throwing)
// collector never keeps the others' samples out of the scrape.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "collectors/scrape/collector.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace oom {

// How one collector fared in the latest scrape (for the landing page).
struct CollectorStatus {
  std::string name;
  bool scraped = false;  // false until the first scrape
  bool success = false;
  std::string error;  // empty on success
  double duration_seconds = 0;
  absl::Time last_scrape;
};

class ScrapeRegistry : public prometheus::Collectable {
 public:
  ScrapeRegistry() = default;
  ScrapeRegistry(const ScrapeRegistry&) = delete;
  ScrapeRegistry& operator=(const ScrapeRegistry&) = delete;

  // Adds a collector under `name`. Call before the first scrape.
  void Add(std::string name, std::unique_ptr<Collector> collector);

  // Starts every collector (Collector::Start), in the order they were added.
  // Call once, after the Adds, before the first scrape and before the
  // exporter gives up the privileges it started with.
  void Start();

  // Tells every collector that the exporter now runs as `user`
  // (Collector::AfterUserSwitch).
  void AfterUserSwitch(const std::string& user);

  // Runs every collector once (CollectInScrape, with one ScrapeContext for
  // the run), or shares a run: calls that come while a run is in flight wait
  // for it and all return its result, so N simultaneous scrapes cost one.
  // Collectors are called from one thread at a time. Thread-safe.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // Says that a scrape arrived, on the thread that will call Collect for it
  // (the HTTP server's, before handing the request to prometheus-cpp). That
  // Collect may then return the result of any run that ended after this
  // call. Needed because prometheus-cpp's handler serialises Collect calls
  // under its own mutex: scrapes that arrived together reach Collect one
  // after another, and the later ones take the run the first one made.
  void MarkScrapeArrival() const;

  // How many times the collectors have run (for tests).
  uint64_t runs() const;

  // The extra endpoints of every collector.
  std::vector<HttpRoute> Routes() const;

  // The latest outcome of each collector, in the order they were added.
  std::vector<CollectorStatus> Statuses() const;

 private:
  struct Entry {
    std::unique_ptr<Collector> collector;
    CollectorStatus status;
  };

  std::vector<prometheus::MetricFamily> CollectNow() const;

  // std::mutex rather than absl::Mutex: Debian builds abseil without
  // ThreadSanitizer annotations, so TSan could not see absl::Mutex.
  mutable std::mutex mu_;
  mutable std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);

  // The shared run: whether one is in flight, how many have ended, and the
  // result of the latest (kept until the next, a copy of one scrape).
  mutable std::mutex flight_mu_;
  mutable std::condition_variable flight_done_;
  mutable bool in_flight_ ABSL_GUARDED_BY(flight_mu_) = false;
  mutable uint64_t completed_ ABSL_GUARDED_BY(flight_mu_) = 0;
  mutable std::vector<prometheus::MetricFamily> last_
      ABSL_GUARDED_BY(flight_mu_);
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_SCRAPE_SCRAPE_REGISTRY_H_
