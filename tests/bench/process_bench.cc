// CPU per scrape of the process collector alone: constructs it on the real
// /proc and /sys (or --path.procfs/--path.sysfs given as the first two
// arguments) and calls Collect() ITERATIONS times after one warm-up scrape,
// timing each call with getrusage(RUSAGE_SELF). Prints the median in
// microseconds and the exported series, for tests/bench/process_bench.sh.
//   process_bench [ITERATIONS] [PROCFS SYSFS]

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "collectors/metric_sink.h"
#include "collectors/process_collector.h"

namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) /
             1e6;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 20;
  oom::FsRoots roots;
  if (argc > 3) {
    roots.procfs = argv[2];
    roots.sysfs = argv[3];
  }
  oom::ProcessCollector collector(roots, oom::ProcessOptions{});
  std::size_t series = 0;
  double processes = 0;
  std::vector<double> samples;
  for (int i = 0; i <= iterations; ++i) {
    oom::MetricSink sink;
    double start = CpuSeconds();
    absl::Status status = collector.Collect(sink);
    double spent = CpuSeconds() - start;
    if (!status.ok()) {
      std::fprintf(stderr, "collect: %s\n", status.ToString().c_str());
      return 1;
    }
    if (i == 0) continue;  // warm-up: caches, the first allocation
    samples.push_back(spent);
    series = 0;
    for (const auto& family : sink.TakeFamilies()) {
      series += family.metric.size();
      if (family.name == "oom_processes") {
        processes = family.metric[0].gauge.value;
      }
    }
  }
  std::sort(samples.begin(), samples.end());
  std::printf(
      "collector_us_per_scrape %.0f\ncollector_processes %.0f\n"
      "collector_series %zu\n",
      samples[samples.size() / 2] * 1e6, processes, series);
  return 0;
}
