#ifndef OOM_EXPORTER_COLLECTORS_BASE_FS_H_
#define OOM_EXPORTER_COLLECTORS_BASE_FS_H_

// Reading the kernel's pseudo files. Every path a collector reads is built
// from FsRoots, which is what lets tests and --path.procfs / --path.sysfs
// point the exporter at a fixture tree.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace oom {

// Where procfs and sysfs are mounted (--path.procfs, --path.sysfs).
struct FsRoots {
  std::string procfs = "/proc";
  std::string sysfs = "/sys";

  // procfs + "/" + relative, e.g. Proc("pressure/memory").
  std::string Proc(std::string_view relative) const;
  // sysfs + "/" + relative.
  std::string Sys(std::string_view relative) const;
};

// Pseudo files are small; a larger file is cut here and reported as an error.
inline constexpr std::size_t kMaxPseudoFileBytes = 4 << 20;

// Reads a whole file with open/read/close (no buffering, no seeks: some
// /proc files only answer one read() at a time).
// Errors name the path and say what went wrong:
//   NotFound          the file does not exist (ENOENT, ENOTDIR): a process or
//                     cgroup that vanished, or a kernel without the feature;
//   Unimplemented     the kernel has the file but the feature is off
//                     (EOPNOTSUPP, e.g. PSI with psi=0);
//   PermissionDenied  EACCES, EPERM;
//   OutOfRange        the file is larger than `max_bytes`;
//   others            as absl::ErrnoToStatus maps errno.
absl::StatusOr<std::string> ReadFile(
    const std::string& path, std::size_t max_bytes = kMaxPseudoFileBytes);

// The names of the subdirectories of `dir` (not "." and ".."), in the order
// the file system lists them; empty when it cannot be listed (gone, or not
// readable). Cgroup trees are walked with it.
std::vector<std::string> ListSubdirectories(const std::string& dir);

// The same for the directory open as `dir_fd` (which stays open and owned by
// the caller), with errors as ReadFile gives them, naming `path`.
absl::StatusOr<std::vector<std::string>> ListSubdirectoriesAt(
    int dir_fd, const std::string& path);

// True when `status` means "the kernel does not offer this": NotFound or
// Unimplemented. Collectors export no series for such a source and do not
// count it as a failure.
bool IsAbsent(const absl::Status& status);

// Empty when this process, as it runs now (its real uid and gid), can
// replace the file `path` by writing a new file beside it and renaming it
// over `path` (as the kmsg collector saves its state file); otherwise why
// not, e.g. "/var/lib/oom_exporter is not writable: Permission denied".
std::string ReplaceFileProblem(const std::string& path);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_BASE_FS_H_
