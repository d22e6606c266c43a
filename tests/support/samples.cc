#include "tests/support/samples.h"

#include "gtest/gtest.h"

namespace oom::testing {

std::vector<Sample> Flatten(
    const std::vector<prometheus::MetricFamily>& families) {
  std::vector<Sample> out;
  for (const auto& family : families) {
    for (const auto& metric : family.metric) {
      Sample sample;
      sample.name = family.name;
      for (const auto& label : metric.label) {
        sample.labels.emplace_back(label.name, label.value);
      }
      switch (family.type) {
        case prometheus::MetricType::Counter:
          sample.value = metric.counter.value;
          break;
        case prometheus::MetricType::Gauge:
          sample.value = metric.gauge.value;
          break;
        case prometheus::MetricType::Histogram:
          sample.value = static_cast<double>(metric.histogram.sample_count);
          break;
        default:
          sample.value = metric.untyped.value;
      }
      out.push_back(std::move(sample));
    }
  }
  return out;
}

std::optional<double> FindValue(const std::vector<Sample>& samples,
                                const std::string& name, const Labels& labels) {
  for (const Sample& sample : samples) {
    if (sample.name != name) continue;
    bool all = true;
    for (const auto& wanted : labels) {
      bool found = false;
      for (const auto& label : sample.labels) found |= label == wanted;
      all &= found;
    }
    if (all) return sample.value;
  }
  return std::nullopt;
}

int CountSamples(const std::vector<Sample>& samples, const std::string& name) {
  int n = 0;
  for (const Sample& sample : samples) n += sample.name == name;
  return n;
}

std::vector<Sample> CollectSamples(Collector& collector, absl::Status* status) {
  MetricSink sink;
  absl::Status result = collector.Collect(sink);
  if (status != nullptr) {
    *status = result;
  } else {
    EXPECT_TRUE(result.ok()) << result;
  }
  return Flatten(sink.TakeFamilies());
}

}  // namespace oom::testing
