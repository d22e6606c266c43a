#include "collectors/scrape/metric_sink.h"

#include <cassert>
#include <limits>

namespace oom {
namespace {

prometheus::ClientMetric MetricWithLabels(Labels labels) {
  prometheus::ClientMetric metric;
  metric.label.reserve(labels.size());
  for (auto& [name, label_value] : labels) {
    metric.label.push_back({std::move(name), std::move(label_value)});
  }
  return metric;
}

}  // namespace

prometheus::MetricFamily& MetricSink::Family(const MetricDesc& desc) {
  auto [it, inserted] =
      index_.try_emplace(std::string(desc.name), families_.size());
  if (inserted) {
    prometheus::MetricFamily family;
    family.name = std::string(desc.name);
    family.help = std::string(desc.help);
    family.type = desc.type;
    families_.push_back(std::move(family));
  }
  prometheus::MetricFamily& family = families_[it->second];
  assert(family.type == desc.type);
  return family;
}

void MetricSink::Add(const MetricDesc& desc, double value, Labels labels) {
  prometheus::MetricFamily& family = Family(desc);
  prometheus::ClientMetric metric = MetricWithLabels(std::move(labels));
  switch (desc.type) {
    case prometheus::MetricType::Counter:
      metric.counter.value = value;
      break;
    case prometheus::MetricType::Gauge:
      metric.gauge.value = value;
      break;
    default:
      metric.untyped.value = value;
      break;
  }
  family.metric.push_back(std::move(metric));
}

void MetricSink::AddHistogram(const MetricDesc& desc,
                              const std::vector<double>& bounds,
                              const std::vector<uint64_t>& bucket_counts,
                              double sum, uint64_t count, Labels labels) {
  prometheus::MetricFamily& family = Family(desc);
  prometheus::ClientMetric metric = MetricWithLabels(std::move(labels));
  for (std::size_t i = 0; i < bounds.size() && i < bucket_counts.size(); ++i) {
    metric.histogram.bucket.push_back({bucket_counts[i], bounds[i]});
  }
  metric.histogram.bucket.push_back(
      {count, std::numeric_limits<double>::infinity()});
  metric.histogram.sample_sum = sum;
  metric.histogram.sample_count = count;
  family.metric.push_back(std::move(metric));
}

void MetricSink::Append(std::vector<prometheus::MetricFamily> families) {
  for (prometheus::MetricFamily& family : families) {
    auto [it, inserted] = index_.try_emplace(family.name, families_.size());
    if (inserted) {
      families_.push_back(std::move(family));
      continue;
    }
    std::vector<prometheus::ClientMetric>& metrics =
        families_[it->second].metric;
    for (prometheus::ClientMetric& metric : family.metric) {
      metrics.push_back(std::move(metric));
    }
  }
}

std::vector<prometheus::MetricFamily> MetricSink::TakeFamilies() {
  std::vector<prometheus::MetricFamily> out = std::move(families_);
  families_.clear();
  index_.clear();
  return out;
}

}  // namespace oom
