// The binary's list of collectors (collectors/all_collectors.h, generated
// from OOM_COLLECTORS in collectors/CMakeLists.txt): every collector folder
// is in it, in --help's order, and each registration is whole.

#include "collectors/all_collectors.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oom {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Names(const CollectorRegistry& registry) {
  std::vector<std::string> names;
  for (const CollectorRegistration& collector : registry.collectors()) {
    names.push_back(collector.name);
  }
  return names;
}

// The folders collectors/NAME/ that hold a collector (NAME_collector.cc).
std::set<std::string> CollectorFolders() {
  std::string root = std::string(OOM_SOURCE_DIR) + "/collectors";
  std::set<std::string> names;
  DIR* dir = ::opendir(root.c_str());
  if (dir == nullptr) return names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    struct stat st;
    std::string source = root + "/" + name + "/" + name + "_collector.cc";
    if (name[0] != '.' && ::stat(source.c_str(), &st) == 0) names.insert(name);
  }
  ::closedir(dir);
  return names;
}

TEST(AllCollectorsTest, EveryCollectorFolderIsRegistered) {
  std::set<std::string> folders = CollectorFolders();
  ASSERT_FALSE(folders.empty());
  std::vector<std::string> names = Names(AllCollectors());
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), folders)
      << "a collector folder is missing from OOM_COLLECTORS "
         "(collectors/CMakeLists.txt), or a name there has no folder";
  EXPECT_EQ(names.size(), folders.size()) << "a name is registered twice";
}

TEST(AllCollectorsTest, InTheOrderOfHelp) {
  EXPECT_THAT(Names(AllCollectors()),
              ElementsAre("memory", "kmsg", "process", "cgroup"));
  std::vector<std::string> flags_order;
  for (const CollectorRegistration* collector :
       AllCollectors().InFlagsOrder()) {
    flags_order.push_back(collector->name);
  }
  EXPECT_THAT(flags_order, ElementsAre("kmsg", "cgroup", "process", "memory"));
}

TEST(AllCollectorsTest, EveryRegistrationIsWhole) {
  CollectorOptionsMap defaults = AllCollectors().Defaults();
  for (const CollectorRegistration& collector : AllCollectors().collectors()) {
    SCOPED_TRACE(collector.name);
    EXPECT_FALSE(collector.help.empty());
    EXPECT_TRUE(collector.factory != nullptr);
    std::set<std::string> flags;
    for (const CollectorFlag& flag : collector.flags) {
      EXPECT_TRUE(flags.insert(flag.name).second) << flag.name << " twice";
      EXPECT_FALSE(flag.help.empty()) << flag.name;
      // Shows its default, and takes it back.
      std::string shown = flag.show(defaults[collector.name]);
      CollectorOptions copy = defaults[collector.name];
      if (flag.kind != FlagKind::kText || !shown.empty()) {
        EXPECT_TRUE(flag.set(shown, copy).ok()) << flag.name << "=" << shown;
      }
      EXPECT_EQ(flag.show(copy), shown) << flag.name;
    }
  }
}

// Made with their defaults, the collectors touch nothing before Start.
TEST(AllCollectorsTest, BuildsEveryCollector) {
  FsRoots roots;
  roots.procfs = std::string(OOM_SOURCE_DIR) + "/tests/fixtures/proc";
  roots.sysfs = std::string(OOM_SOURCE_DIR) + "/tests/fixtures/sys";
  std::shared_ptr<ScrapeRegistry> registry =
      BuildScrapeRegistry(Names(AllCollectors()), roots);
  EXPECT_EQ(registry->Statuses().size(), AllCollectors().collectors().size());
}

}  // namespace
}  // namespace oom
