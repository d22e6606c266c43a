#ifndef OOM_EXPORTER_COLLECTORS_ALL_COLLECTORS_H_
#define OOM_EXPORTER_COLLECTORS_ALL_COLLECTORS_H_

// Every collector of this binary: the one place above all the collectors
// that knows them all. all_collectors.cc is generated from the list
// OOM_COLLECTORS of collectors/CMakeLists.txt (all_collectors.cc.in): it
// calls each collector's OOM_COLLECTOR_REGISTRATION, so that the linker
// cannot leave one out. A new collector is a folder collectors/NAME/ with
// its library and registration, and its name in that list.

#include <memory>
#include <string>
#include <vector>

#include "collectors/base/fs.h"
#include "collectors/scrape/collector_registry.h"
#include "collectors/scrape/scrape_registry.h"

namespace oom {

// All collectors this binary knows, in the order --help lists them.
const CollectorRegistry& AllCollectors();

// AllCollectors().Build: the registry of the collectors `names` (collectors
// enabled by flags), with their `options` (defaults where none is given).
std::shared_ptr<ScrapeRegistry> BuildScrapeRegistry(
    const std::vector<std::string>& names, const FsRoots& roots,
    const CollectorOptionsMap& options = {});

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_ALL_COLLECTORS_H_
