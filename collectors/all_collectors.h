#ifndef OOM_EXPORTER_COLLECTORS_ALL_COLLECTORS_H_
#define OOM_EXPORTER_COLLECTORS_ALL_COLLECTORS_H_

// Every collector of this binary, by name: the one place above all the
// collectors that knows them all.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/scrape/collector.h"
#include "collectors/scrape/scrape_registry.h"

namespace oom {

// All collectors this binary knows, in the order --help lists them.
const std::vector<CollectorInfo>& AllCollectors();

// The entry named `name`, or nullptr.
const CollectorInfo* FindCollector(std::string_view name);

// Builds the registry for `names` (collectors enabled by flags) from
// AllCollectors(). Unknown names are a programming error and are skipped.
std::shared_ptr<ScrapeRegistry> BuildScrapeRegistry(
    const std::vector<std::string>& names, const CollectorConfig& config);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_ALL_COLLECTORS_H_
