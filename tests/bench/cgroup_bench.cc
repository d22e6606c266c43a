// Speed of one cgroup-collector scrape over 1,000 memory cgroups, against
// the floor of the same run: a plain loop that opens, reads and closes the
// files the collector reads for those cgroups (v1: memory.oom_control,
// memory.failcnt, memory.usage_in_bytes, memory.stat, memory.limit_in_bytes;
// v2: memory.events, memory.events.local, memory.current, memory.stat,
// memory.max, memory.high, memory.oom.group, memory.pressure, plus swap
// where the node has swap) and nothing else. Compare BM_CollectorScrape with
// BM_PlainReads of the same run. Run with tests/bench/run.sh.
//
// The cgroups are real: 250 "pods" with 3 "containers" each under
// oom_exporter_bench_<pid> in this machine's memory hierarchy (root needed),
// removed at the end. Where that cannot be done, the benchmark says so and
// exits 1: a tmpfs copy would measure a different file system.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "collectors/base/fs.h"
#include "collectors/cgroup/cgroup_collector.h"

namespace oom {
namespace {

constexpr int kPods = 250;
constexpr int kContainersPerPod = 3;

struct Setup {
  bool v2 = false;
  std::string hierarchy;  // /sys/fs/cgroup/memory or /sys/fs/cgroup
  std::string top;        // the benchmark's own cgroup path, e.g. /oom_...
  std::vector<std::string> dirs;   // every cgroup made, parents first
  std::vector<std::string> files;  // what the plain loop reads
};

Setup& TheSetup() {
  static Setup setup;
  return setup;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool WriteText(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) ==
            static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// Makes the cgroups; false (with a message) when this machine cannot.
bool MakeCgroups(Setup& setup) {
  if (Exists("/sys/fs/cgroup/memory/memory.oom_control")) {
    setup.hierarchy = "/sys/fs/cgroup/memory";
  } else if (Exists("/sys/fs/cgroup/cgroup.subtree_control")) {
    setup.hierarchy = "/sys/fs/cgroup";
    setup.v2 = true;
  } else {
    std::fprintf(stderr, "cgroup_bench: no memory cgroup hierarchy here\n");
    return false;
  }
  setup.top = absl::StrCat("/oom_exporter_bench_", ::getpid());
  std::vector<std::string> paths = {setup.top};
  for (int pod = 0; pod < kPods; ++pod) {
    std::string pod_path = absl::StrCat(setup.top, "/pod", pod);
    paths.push_back(pod_path);
    for (int c = 0; c < kContainersPerPod; ++c) {
      paths.push_back(absl::StrCat(pod_path, "/container", c));
    }
  }
  for (const std::string& path : paths) {
    std::string dir = setup.hierarchy + path;
    if (::mkdir(dir.c_str(), 0755) != 0) {
      std::fprintf(stderr, "cgroup_bench: cannot create %s: %s\n", dir.c_str(),
                   std::strerror(errno));
      return false;
    }
    setup.dirs.push_back(dir);
    // Limits on pods and containers, as Kubernetes sets them.
    if (path != setup.top) {
      WriteText(dir + (setup.v2 ? "/memory.max" : "/memory.limit_in_bytes"),
                "268435456");
    }
  }
  std::vector<const char*> names =
      setup.v2
          ? std::vector<const char*>{"memory.events",    "memory.events.local",
                                     "memory.current",   "memory.stat",
                                     "memory.max",       "memory.high",
                                     "memory.oom.group", "memory.pressure"}
          : std::vector<const char*>{"memory.oom_control", "memory.failcnt",
                                     "memory.usage_in_bytes", "memory.stat",
                                     "memory.limit_in_bytes"};
  for (const std::string& dir : setup.dirs) {
    for (const char* name : names) setup.files.push_back(dir + "/" + name);
  }
  return true;
}

void RemoveCgroups(const Setup& setup) {
  for (auto it = setup.dirs.rbegin(); it != setup.dirs.rend(); ++it) {
    ::rmdir(it->c_str());
  }
}

// The floor: open, read, close each file, nothing else.
void BM_PlainReads(benchmark::State& state) {
  const Setup& setup = TheSetup();
  char buffer[4096];
  for (auto _ : state) {
    for (const std::string& file : setup.files) {
      int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      ssize_t n = ::read(fd, buffer, sizeof(buffer));
      benchmark::DoNotOptimize(n);
      ::close(fd);
    }
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(setup.dirs.size()));
}
BENCHMARK(BM_PlainReads)->Unit(benchmark::kMillisecond);

// One scrape of the collector, with the watcher running as in production,
// exporting the benchmark's cgroups (and walking the rest of the machine's
// hierarchy, as it must).
void BM_CollectorScrape(benchmark::State& state) {
  const Setup& setup = TheSetup();
  CgroupOptions options;
  options.include = {setup.top, setup.top + "/*"};
  options.max_depth = 8;
  CgroupCollector collector(FsRoots(), options);
  std::size_t samples = 0;
  for (auto _ : state) {
    MetricSink sink;
    if (!collector.Collect(sink).ok()) state.SkipWithError("Collect failed");
    for (const auto& family : sink.TakeFamilies()) {
      samples += family.metric.size();
    }
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(setup.dirs.size()));
  state.counters["samples_per_scrape"] =
      static_cast<double>(samples) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_CollectorScrape)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace oom

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  oom::Setup& setup = oom::TheSetup();
  if (!oom::MakeCgroups(setup)) {
    oom::RemoveCgroups(setup);
    return 1;
  }
  std::fprintf(stderr, "cgroup_bench: %zu cgroups (%s) under %s%s\n",
               setup.dirs.size(), setup.v2 ? "v2" : "v1",
               setup.hierarchy.c_str(), setup.top.c_str());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  oom::RemoveCgroups(setup);
  return 0;
}
