#include "collectors/collector.h"

namespace oom {

const CollectorInfo* FindCollector(std::string_view name) {
  for (const CollectorInfo& info : AllCollectors()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace oom
