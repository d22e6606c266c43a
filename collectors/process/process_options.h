#ifndef OOM_EXPORTER_COLLECTORS_PROCESS_PROCESS_OPTIONS_H_
#define OOM_EXPORTER_COLLECTORS_PROCESS_PROCESS_OPTIONS_H_

// The process collector's options; process_registration.cc binds each to its
// flag (--collector.process.*), whose default is the value here.

#include <cstddef>
#include <string>
#include <vector>

namespace oom {

struct ProcessOptions {
  // Processes exported by oom_score rank; a tracked one stays until it falls
  // below rank 2 * top_k.
  std::size_t top_k = 10;
  // Shell patterns (fnmatch) on the comm: matching processes are exported
  // whatever their rank. Empty: none (and comm is read only for candidates).
  std::vector<std::string> include;
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_PROCESS_PROCESS_OPTIONS_H_
