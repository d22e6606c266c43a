#include "collectors/kernel/cgroupfs/memory_hierarchy.h"

#include <string_view>

#include "absl/status/status.h"
#include "collectors/base/status_macros.h"
#include "collectors/base/text.h"

namespace oom {
namespace {

std::string DirOf(const FsRoots& roots, const std::string& mount_point) {
  if (mount_point == "/sys") return roots.sysfs;
  if (mount_point.rfind("/sys/", 0) == 0) {
    return roots.Sys(mount_point.substr(5));
  }
  return mount_point;
}

bool ListsMemory(std::string_view list) {
  list = TrimSpace(list);
  while (!list.empty()) {
    std::size_t space = list.find(' ');
    if (list.substr(0, space) == "memory") return true;
    if (space == std::string_view::npos) break;
    list.remove_prefix(space + 1);
  }
  return false;
}

}  // namespace

absl::StatusOr<MemoryHierarchy> FindMemoryHierarchy(const Mountinfo& mounts,
                                                    const FsRoots& roots) {
  for (const Mount& mount : mounts.mounts) {
    if (mount.fstype == "cgroup" &&
        HasMountOption(mount.super_options, "memory")) {
      return MemoryHierarchy{false, mount.mount_point,
                             DirOf(roots, mount.mount_point), mount.root};
    }
  }
  for (const Mount& mount : mounts.mounts) {
    if (mount.fstype != "cgroup2") continue;
    std::string dir = DirOf(roots, mount.mount_point);
    absl::StatusOr<std::string> controllers =
        ReadFile(dir + "/cgroup.controllers");
    if (controllers.ok() && ListsMemory(*controllers)) {
      return MemoryHierarchy{true, mount.mount_point, dir, mount.root};
    }
  }
  return absl::NotFoundError("no cgroup hierarchy with the memory controller");
}

absl::StatusOr<MemoryHierarchy> DiscoverMemoryHierarchy(const FsRoots& roots) {
  absl::StatusOr<std::string> text = ReadFile(roots.Proc("1/mountinfo"));
  if (!text.ok()) text = ReadFile(roots.Proc("self/mountinfo"));
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) {
      return absl::NotFoundError("no mount table");
    }
    return text.status();
  }
  OOM_ASSIGN_OR_RETURN(Mountinfo mounts, ParseMountinfo(*text));
  return FindMemoryHierarchy(mounts, roots);
}

}  // namespace oom
