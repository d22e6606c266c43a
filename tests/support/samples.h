#ifndef OOM_EXPORTER_TESTS_SUPPORT_SAMPLES_H_
#define OOM_EXPORTER_TESTS_SUPPORT_SAMPLES_H_

// Collector output flattened into samples, and look-ups by name and labels.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "collectors/scrape/collector.h"
#include "collectors/scrape/metric_sink.h"
#include "prometheus/metric_family.h"

namespace oom::testing {

struct Sample {
  std::string name;
  Labels labels;
  // Counter or gauge value; a histogram's sample count.
  double value = 0;
};

std::vector<Sample> Flatten(
    const std::vector<prometheus::MetricFamily>& families);

// Runs one Collect() of `collector` and flattens what it added. With
// `status`, the collector's status is stored there for the caller to check;
// without, a failure fails the test.
std::vector<Sample> CollectSamples(Collector& collector,
                                   absl::Status* status = nullptr);

// The value of the first sample `name` whose labels include all of `labels`.
std::optional<double> FindValue(const std::vector<Sample>& samples,
                                const std::string& name,
                                const Labels& labels = {});

// How many samples are named `name`.
int CountSamples(const std::vector<Sample>& samples, const std::string& name);

}  // namespace oom::testing

#endif  // OOM_EXPORTER_TESTS_SUPPORT_SAMPLES_H_
