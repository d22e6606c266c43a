#include "collectors/kernel/procfs/proc_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace oom {
namespace {

constexpr std::size_t kDentsBuffer = 64 * 1024;
constexpr std::size_t kMaxFile = 1 << 20;

// The layout getdents64(2) fills; glibc 2.36 has no wrapper for it.
struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

int OpenRetry(int dirfd, const char* path, int flags) {
  int fd;
  do {
    fd = ::openat(dirfd, path, flags);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

ssize_t ReadRetry(int fd, char* buf, std::size_t size) {
  ssize_t n;
  do {
    n = ::read(fd, buf, size);
  } while (n < 0 && errno == EINTR);
  return n;
}

}  // namespace

void FormatPidPath(int32_t pid, const char* name, char* path) {
  char digits[12];
  int len = 0;
  uint32_t value = static_cast<uint32_t>(pid);
  do {
    digits[len++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && len < 11);
  char* out = path;
  while (len > 0) *out++ = digits[--len];
  *out++ = '/';
  std::size_t name_len = std::strlen(name);
  if (name_len > 34) name_len = 34;
  std::memcpy(out, name, name_len);
  out[name_len] = '\0';
}

absl::StatusOr<ProcReader> ProcReader::Open(const std::string& procfs) {
  int fd =
      OpenRetry(AT_FDCWD, procfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat(procfs, ": ", strerror(errno)));
    }
    return absl::ErrnoToStatus(errno, procfs);
  }
  ProcReader reader(fd);
  reader.dents_.resize(kDentsBuffer);
  return reader;
}

ProcReader::ProcReader(ProcReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), dents_(std::move(other.dents_)) {}

ProcReader& ProcReader::operator=(ProcReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    dents_ = std::move(other.dents_);
  }
  return *this;
}

ProcReader::~ProcReader() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status ProcReader::ListPids(std::vector<int32_t>* pids) {
  pids->clear();
  if (::lseek(fd_, 0, SEEK_SET) < 0) return absl::ErrnoToStatus(errno, "lseek");
  while (true) {
    long n = ::syscall(SYS_getdents64, fd_, dents_.data(), dents_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, "getdents64");
    }
    if (n == 0) break;
    for (long offset = 0; offset < n;) {
      const auto* entry =
          reinterpret_cast<const LinuxDirent64*>(dents_.data() + offset);
      offset += entry->d_reclen;
      const char* name = entry->d_name;
      if (*name < '1' || *name > '9') continue;
      int64_t pid = 0;
      bool digits = true;
      for (const char* c = name; *c != '\0'; ++c) {
        if (*c < '0' || *c > '9' || pid > 0x7fffffff / 10) {
          digits = false;
          break;
        }
        pid = pid * 10 + (*c - '0');
      }
      if (digits && pid <= 0x7fffffff)
        pids->push_back(static_cast<int32_t>(pid));
    }
  }
  // procfs lists pids in ascending order; a fixture tree may not.
  if (!std::is_sorted(pids->begin(), pids->end())) {
    std::sort(pids->begin(), pids->end());
  }
  return absl::OkStatus();
}

ssize_t ProcReader::ReadSmall(int32_t pid, const char* name, char* buf,
                              std::size_t size) {
  char path[48];
  FormatPidPath(pid, name, path);
  int fd = OpenRetry(fd_, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = ReadRetry(fd, buf, size);
  int err = errno;
  ::close(fd);
  return n < 0 ? -err : n;
}

int ProcReader::OpenPidDir(int32_t pid) {
  char path[48];
  FormatPidPath(pid, "", path);
  int fd = OpenRetry(fd_, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

void ProcReader::CloseDir(int dirfd) {
  if (dirfd >= 0) ::close(dirfd);
}

int ProcReader::ReadAt(int dirfd, const char* name, std::string* out) {
  out->clear();
  int fd = OpenRetry(dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  int result = 0;
  char buf[4096];
  while (true) {
    ssize_t n = ReadRetry(fd, buf, sizeof(buf));
    if (n < 0) {
      result = -errno;
      break;
    }
    if (n == 0) break;
    if (out->size() + static_cast<std::size_t>(n) > kMaxFile) {
      result = -EFBIG;
      break;
    }
    out->append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return result;
}

}  // namespace oom
