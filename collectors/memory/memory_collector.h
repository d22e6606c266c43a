#ifndef OOM_EXPORTER_COLLECTORS_MEMORY_MEMORY_COLLECTOR_H_
#define OOM_EXPORTER_COLLECTORS_MEMORY_MEMORY_COLLECTOR_H_

// The `memory` collector: the node's OOM state.
//   oom_kernel_kills_total                     /proc/vmstat oom_kill
//   oom_memory_pressure_{waiting,stalled}_seconds_total
//                                              /proc/pressure/memory
//   oom_memory_{total,available}_bytes         /proc/meminfo
//   oom_swap_{total,free}_bytes                /proc/meminfo
//   oom_memory_{committed,commit_limit}_bytes  /proc/meminfo
//   oom_vm_{overcommit_memory,overcommit_ratio,panic_on_oom,
//           oom_kill_allocating_task}          /proc/sys/vm/*
//   oom_exporter_malformed_lines_total{collector="memory",source}

#include <array>
#include <cstdint>
#include <string>

#include "collectors/base/fs.h"
#include "collectors/scrape/collector.h"

namespace oom {

class MemoryCollector : public Collector {
 public:
  explicit MemoryCollector(FsRoots roots);

  // Collects with a ScrapeContext of its own.
  absl::Status Collect(MetricSink& sink) override;
  // Reads meminfo from `scrape`.
  absl::Status CollectInScrape(MetricSink& sink,
                               ScrapeContext& scrape) override;

 private:
  // Each reads one source and adds its samples. OK when the source is absent.
  absl::Status CollectVmstat(MetricSink& sink);
  absl::Status CollectPressure(MetricSink& sink);
  absl::Status CollectMeminfo(ScrapeContext& scrape, MetricSink& sink);
  absl::Status CollectSysctls(MetricSink& sink);

  // Adds `count` malformed lines of source `index` to the running total.
  void CountMalformed(std::size_t index, int count);

  FsRoots roots_;
  // Malformed lines seen since start, per source (kSourceNames order).
  std::array<uint64_t, 3> malformed_{};
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_MEMORY_MEMORY_COLLECTOR_H_
