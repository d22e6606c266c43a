#ifndef OOM_EXPORTER_COLLECTORS_SCRAPE_COLLECTOR_H_
#define OOM_EXPORTER_COLLECTORS_SCRAPE_COLLECTOR_H_

// The collector interface. What each collector says about itself (name,
// default, flags, factory) is in collector_registry.h.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "collectors/scrape/metric_sink.h"

namespace oom {

class ScrapeContext;  // collectors/scrape/scrape_context.h

// An extra HTTP endpoint a collector serves, e.g. /api/v1/kills.
struct HttpRoute {
  std::string path;
  std::string content_type;
  std::function<std::string()> body;  // called per request, thread-safe
};

class Collector {
 public:
  virtual ~Collector() = default;

  // Does what needs the privileges the exporter starts with (root, before
  // --run-as-user gives them up): opening devices, locking files, starting
  // to follow the kernel, so that nothing that happens from now on is missed
  // by the first scrape. Called once, after construction (which touches
  // nothing) and before the first Collect. A collector that cannot start
  // says why from Collect, as it would for data it cannot read. Does
  // nothing by default.
  virtual void Start() {}

  // Called once the exporter has switched to the unprivileged `user`
  // (--run-as-user), after Start and before serving: the collector logs
  // what it will not be able to do as that user. Does nothing by default.
  virtual void AfterUserSwitch(const std::string& user) { (void)user; }

  // Endpoints this collector serves besides the metrics; none by default.
  virtual std::vector<HttpRoute> Routes() { return {}; }

  // Adds this scrape's samples to `sink`. Returns an error when part of the
  // collector's data could not be read; whatever it added is still exported.
  // A kernel feature that is absent (no PSI, no oom_kill counter) is not an
  // error: the collector exports no series for it and returns OK.
  // Called from one thread at a time.
  virtual absl::Status Collect(MetricSink& sink) = 0;

  // Collect as one of the collectors of a scrape: `scrape` holds what they
  // share (meminfo, the memory hierarchy), read once for all of them. The
  // ScrapeRegistry calls this. By default the context is not used; a
  // collector that uses it makes its Collect(sink) run this with a context
  // of its own.
  virtual absl::Status CollectInScrape(MetricSink& sink,
                                       ScrapeContext& scrape) {
    static_cast<void>(scrape);
    return Collect(sink);
  }
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_SCRAPE_COLLECTOR_H_
