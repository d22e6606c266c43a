#include "collectors/base/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/base/string_view.h"

namespace oom {

std::string FsRoots::Proc(std::string_view relative) const {
  return absl::StrCat(procfs, "/", ToAbsl(relative));
}

std::string FsRoots::Sys(std::string_view relative) const {
  return absl::StrCat(sysfs, "/", ToAbsl(relative));
}

namespace {

absl::Status ErrnoStatus(int err, const std::string& path) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ESRCH:  // /proc/<pid>/... of a process that has just exited.
      return absl::NotFoundError(absl::StrCat(path, ": ", strerror(err)));
    case EOPNOTSUPP:
      return absl::UnimplementedError(absl::StrCat(path, ": ", strerror(err)));
    default:
      return absl::ErrnoToStatus(err, path);
  }
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     std::size_t max_bytes) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus(errno, path);

  std::string content;
  char buf[8192];
  absl::Status status;
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      status = ErrnoStatus(errno, path);
      break;
    }
    if (n == 0) break;
    if (content.size() + static_cast<std::size_t>(n) > max_bytes) {
      status = absl::OutOfRangeError(
          absl::StrCat(path, ": larger than ", max_bytes, " bytes"));
      break;
    }
    content.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (!status.ok()) return status;
  return content;
}

bool IsAbsent(const absl::Status& status) {
  return absl::IsNotFound(status) || absl::IsUnimplemented(status);
}

absl::StatusOr<std::vector<std::string>> ListSubdirectoriesAt(
    int dir_fd, const std::string& path) {
  std::vector<std::string> children;
  // fdopendir() takes the descriptor over: give it a copy of its own.
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, path);
  DIR* handle = ::fdopendir(fd);
  if (handle == nullptr) {
    int error = errno;
    ::close(fd);
    return ErrnoStatus(error, path);
  }
  while (dirent* entry = ::readdir(handle)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == ".." || entry->d_type != DT_DIR) continue;
    children.emplace_back(name);
  }
  ::closedir(handle);
  return children;
}

std::vector<std::string> ListSubdirectories(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return {};
  absl::StatusOr<std::vector<std::string>> children =
      ListSubdirectoriesAt(fd, dir);
  ::close(fd);
  return children.ok() ? *std::move(children) : std::vector<std::string>();
}

std::string ReplaceFileProblem(const std::string& path) {
  std::size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  // access(2) checks the real uid and gid: the user's, once switched.
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return absl::StrCat(dir, " is not writable: ", std::strerror(errno));
  }
  std::string tmp = path + ".tmp";
  if (::access(tmp.c_str(), F_OK) == 0 && ::access(tmp.c_str(), W_OK) != 0) {
    return absl::StrCat(
        tmp, " is left over and not writable: ", std::strerror(errno));
  }
  // In a sticky directory (/tmp) only the owner of a file (or of the
  // directory) may rename another file over it.
  struct stat dir_stat;
  struct stat file_stat;
  uid_t me = ::geteuid();
  if (::stat(dir.c_str(), &dir_stat) == 0 && (dir_stat.st_mode & S_ISVTX) &&
      dir_stat.st_uid != me && ::stat(path.c_str(), &file_stat) == 0 &&
      file_stat.st_uid != me) {
    return absl::StrCat(dir, " is sticky and ", path, " belongs to uid ",
                        file_stat.st_uid);
  }
  return "";
}

}  // namespace oom
