#include "collectors/base/version.h"

namespace oom {

const char* Version() { return OOM_VERSION; }

const char* Revision() { return OOM_REVISION; }

}  // namespace oom
