// Fuzzes the parsers of cgroup text: an even first input byte gives the
// rest to ParseMountinfo (/proc/self/mountinfo), an odd one to
// NormalizeCgroupPath and IdentifyCgroup (cgroup paths come from kernel log
// lines, and container runtimes and users choose their names). Traps when
// a result breaks its header's promise:
//  - a normalized path begins with "/", has no trailing "/" (unless it is
//    the root), and normalizing it again changes nothing;
//  - a mountinfo parse that succeeded read at least one mount, and no more
//    mounts and malformed lines than there are lines.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/sources/cgroup_path.h"
#include "collectors/sources/mountinfo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    absl::StatusOr<oom::Mountinfo> mountinfo = oom::ParseMountinfo(text);
    if (!mountinfo.ok()) return 0;
    if (mountinfo->mounts.empty()) __builtin_trap();
    int lines = 1;
    for (char c : text) lines += c == '\n';
    if (mountinfo->malformed_lines +
            static_cast<int>(mountinfo->mounts.size()) >
        lines) {
      __builtin_trap();
    }
    for (const oom::Mount& mount : mountinfo->mounts) {
      oom::HasMountOption(mount.super_options, "memory");
    }
    return 0;
  }
  std::string path = oom::NormalizeCgroupPath(text);
  if (path.empty() || path[0] != '/') __builtin_trap();
  if (path.size() > 1 && path.back() == '/') __builtin_trap();
  if (oom::NormalizeCgroupPath(path) != path) __builtin_trap();
  oom::IdentifyCgroup(text);
  oom::IdentifyCgroup(path);
  return 0;
}
