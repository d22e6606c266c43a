// The kmsg collector's flags (--collector.kmsg.*, into KmsgOptions) and its
// registration (collectors/scrape/collector_registry.h).

#include <memory>

#include "collectors/kmsg/kmsg_collector.h"
#include "collectors/kmsg/kmsg_options.h"
#include "collectors/scrape/collector_registry.h"

namespace oom {

OOM_COLLECTOR_REGISTRATION(kmsg) {
  CollectorRegistration kmsg;
  kmsg.name = "kmsg";
  kmsg.enabled_by_default = true;
  kmsg.help =
      "Every OOM kill in the kernel log, with its victim, counted once "
      "across restarts (/dev/kmsg)";
  kmsg.flags = {
      TextFlag("path", &KmsgOptions::path,
               "Kernel log device (or a file of /dev/kmsg records)"),
      TextFlag("state-file", &KmsgOptions::state_file,
               "Where kill counts survive restarts; empty disables"),
      CountFlag("max-series", &KmsgOptions::max_series,
                "Most oom_kills_total label sets; more fold into (other)",
                100000),
      CountFlag("recent-kills", &KmsgOptions::recent_kills,
                "Kills shown in oom_recent_kill_timestamp_seconds", 1000),
      CountFlag("api-kills", &KmsgOptions::api_kills,
                "Kills listed by /api/v1/kills", 100000),
  };
  SetFactory<KmsgOptions>(
      &kmsg, [](const FsRoots& roots, const KmsgOptions& options) {
        return std::make_unique<KmsgCollector>(roots, options);
      });
  return kmsg;
}

}  // namespace oom
