// Writes to stdout a kmsg state file (SerializeKmsgState) with the kills of
// the kernel logs named on the command line, counted as the kmsg collector
// counts them; with no argument, the state of a boot without kills. Seeds
// kmsg_state_fuzzer with files of the current format.
//   make_state_seed tests/fixtures/kmsg/corpus/*.log > state

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "collectors/kernel/kmsg/log_line.h"
#include "collectors/kmsg/kmsg_state.h"
#include "collectors/oom/oom_kills.h"

namespace {

// The collector's labels for a kill: scope, cgroup, comm.
std::tuple<std::string, std::string, std::string> Labels(
    const oom::OomKill& kill) {
  std::string scope(oom::ScopeName(kill.scope));
  std::string cgroup = kill.task_memcg ? *kill.task_memcg
                       : kill.scope == oom::OomScope::kMemcg && kill.oom_memcg
                           ? *kill.oom_memcg
                           : "";
  return {scope.empty() ? "unknown" : scope, cgroup, kill.comm.value_or("")};
}

}  // namespace

int main(int argc, char** argv) {
  oom::KmsgCounters counters;
  counters.boot_id = "591a4f42-9d77-4508-8a4f-516389029cb8";
  for (int i = 1; i < argc; ++i) {
    std::ifstream file(argv[i], std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "make_state_seed: cannot read %s\n", argv[i]);
      return 1;
    }
    std::stringstream content;
    content << file.rdbuf();
    oom::KillAssembler assembler;
    oom::KillAssembler::Events events;
    oom::LogLine line;
    std::string text = content.str();
    std::string_view rest = text;
    while (!rest.empty()) {
      std::size_t end = rest.find('\n');
      oom::ParseLogLine(rest.substr(0, end), &line);
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
      ++counters.records;
      if (line.kmsg &&
          line.kmsg->sequence >= counters.last_sequence.value_or(0)) {
        counters.last_sequence = line.kmsg->sequence;
      }
      assembler.Add(line, &events);
    }
    assembler.Flush(&events);
    counters.invocations += assembler.invocations();
    counters.repeated_kills += assembler.repeated_kills();
    counters.unrecognized += assembler.unrecognized();
    counters.panics += assembler.panics();
    for (oom::OomKill& kill : events.kills) {
      auto labels = Labels(kill);
      ++counters.kills[labels];
      if (std::optional<uint64_t> bytes = kill.RssBytes()) {
        counters.memory[std::get<0>(labels)].Observe(
            static_cast<double>(*bytes));
      }
      oom::RecordedKill recorded;
      if (kill.kmsg_timestamp_us) {
        // A boot at 2026-11-22 00:00:00 UTC.
        recorded.time = 1795305600.0 + *kill.kmsg_timestamp_us / 1e6;
        counters.last_kill_time = recorded.time;
      }
      recorded.kill = std::move(kill);
      counters.recent.push_back(std::move(recorded));
    }
  }
  std::cout << oom::SerializeKmsgState(counters);
  return std::cout.good() ? 0 : 1;
}
