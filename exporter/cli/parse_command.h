#ifndef OOM_EXPORTER_EXPORTER_CLI_PARSE_COMMAND_H_
#define OOM_EXPORTER_EXPORTER_CLI_PARSE_COMMAND_H_

// `oom_exporter parse [--summary] [FILE...]`: reads saved kernel logs (any
// transport: dmesg, journalctl -k, syslog, /dev/kmsg records; stdin when no
// file is named) and prints one JSON object per OOM kill, or with --summary
// the counts per scope, comm and cgroup.

#include <cstdio>
#include <string>
#include <vector>

namespace oom {

// Runs the command with the arguments after "parse". Writes to `out` and
// `err`; returns the exit status: 0, 1 for unreadable input, 2 for bad usage.
int RunParseCommand(const std::vector<std::string>& args, std::FILE* in,
                    std::FILE* out, std::FILE* err);

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_CLI_PARSE_COMMAND_H_
