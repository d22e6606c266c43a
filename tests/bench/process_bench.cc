// CPU per scrape of the process collector alone against the naive loop
// (naive_proc_loop.c: oom_score, oom_score_adj, comm and statm of every pid):
// constructs the collector on the real /proc and /sys (or the PROCFS and
// SYSFS given) and, after one warm-up of each, alternates one naive pass and
// one Collect() ITERATIONS times, so that both meet the same machine load,
// timing each with getrusage(RUSAGE_SELF). Prints the medians in
// microseconds and the exported series, for tests/bench/process_bench.sh.
//   process_bench [ITERATIONS] [PROCFS SYSFS]

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "collectors/process/process_collector.h"
#include "collectors/scrape/metric_sink.h"

extern "C" long NaiveProcPass(const char* procfs);

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
  std::vector<double> naive;
  long naive_pids = 0;
  for (int i = 0; i <= iterations; ++i) {
    double naive_start = CpuSeconds();
    naive_pids = NaiveProcPass(roots.procfs.c_str());
    if (i > 0) naive.push_back(CpuSeconds() - naive_start);
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
  std::sort(naive.begin(), naive.end());
  std::printf("naive_loop_us_per_iteration %.0f\nnaive_loop_pids %ld\n",
              naive[naive.size() / 2] * 1e6, naive_pids);
  std::printf(
      "collector_us_per_scrape %.0f\ncollector_processes %.0f\n"
      "collector_series %zu\n",
      samples[samples.size() / 2] * 1e6, processes, series);
  return 0;
}
