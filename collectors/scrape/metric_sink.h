#ifndef OOM_EXPORTER_COLLECTORS_SCRAPE_METRIC_SINK_H_
#define OOM_EXPORTER_COLLECTORS_SCRAPE_METRIC_SINK_H_

// What a collector writes its samples into. This is the only place where
// collector code meets prometheus-cpp's data model.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "prometheus/metric_family.h"
#include "prometheus/metric_type.h"

namespace oom {

// Label name/value pairs of one sample, in the order they are exported.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Name, HELP and TYPE of a metric family. Collectors declare theirs as
// constants; tests check every name against the Prometheus naming rules.
struct MetricDesc {
  std::string_view name;
  std::string_view help;
  prometheus::MetricType type;
};

// Collects samples and groups them into families by name, in first-use order.
class MetricSink {
 public:
  // Adds one sample of a gauge or counter family.
  void Add(const MetricDesc& desc, double value, Labels labels = {});

  // Adds one histogram sample: `bucket_counts[i]` observations were <=
  // `bounds[i]` (cumulative, as Prometheus wants them), `count` in all.
  void AddHistogram(const MetricDesc& desc, const std::vector<double>& bounds,
                    const std::vector<uint64_t>& bucket_counts, double sum,
                    uint64_t count, Labels labels = {});

  // Moves every sample of `families` in, merging families of the same name.
  void Append(std::vector<prometheus::MetricFamily> families);

  // The families added so far; leaves the sink empty.
  std::vector<prometheus::MetricFamily> TakeFamilies();

 private:
  prometheus::MetricFamily& Family(const MetricDesc& desc);

  std::vector<prometheus::MetricFamily> families_;
  absl::flat_hash_map<std::string, std::size_t> index_;
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_SCRAPE_METRIC_SINK_H_
