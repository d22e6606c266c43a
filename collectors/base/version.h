#ifndef OOM_EXPORTER_COLLECTORS_BASE_VERSION_H_
#define OOM_EXPORTER_COLLECTORS_BASE_VERSION_H_

namespace oom {

// The release, e.g. "0.1.0" (CMake's project version).
const char* Version();

// The git revision the binary was configured from, or "unknown".
const char* Revision();

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_BASE_VERSION_H_
