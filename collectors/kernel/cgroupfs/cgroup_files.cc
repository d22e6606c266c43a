#include "collectors/kernel/cgroupfs/cgroup_files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/base/fs.h"
#include "collectors/base/status_macros.h"
#include "collectors/base/string_view.h"
#include "collectors/base/text.h"
#include "collectors/kernel/procfs/vmstat.h"

namespace oom {

absl::StatusOr<uint64_t> ParseCgroupBytes(std::string_view text) {
  std::string_view trimmed = TrimSpace(text);
  std::optional<uint64_t> value = ParseU64(trimmed);
  if (!value) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a byte count: \"", ToAbsl(trimmed.substr(0, 32)), "\""));
  }
  return *value;
}

absl::StatusOr<std::optional<uint64_t>> ParseCgroupLimit(
    std::string_view text) {
  constexpr uint64_t kUnlimited = uint64_t{1} << 62;
  if (TrimSpace(text) == "max") return std::optional<uint64_t>();
  OOM_ASSIGN_OR_RETURN(uint64_t bytes, ParseCgroupBytes(text));
  if (bytes >= kUnlimited) return std::optional<uint64_t>();
  return std::optional<uint64_t>(bytes);
}

void ParseCgroupProcs(std::string_view text, std::vector<int32_t>* pids) {
  ForEachLine(text, [&](std::string_view line) {
    std::optional<uint64_t> pid = ParseU64(TrimSpace(line));
    if (pid &&
        *pid <= static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
      pids->push_back(static_cast<int32_t>(*pid));
    }
  });
}

namespace {

// The kernel keeps these counts in a long: more is not a count.
constexpr uint64_t kMaxCount = uint64_t{INT64_MAX};

absl::Status TooLarge(std::string_view name) {
  return absl::InvalidArgumentError(
      absl::StrCat("count of \"", ToAbsl(name), "\" out of range"));
}

}  // namespace

absl::StatusOr<CgroupEventCounts> ParseCgroupEventCounts(
    std::string_view text) {
  OOM_ASSIGN_OR_RETURN(Vmstat parsed, ParseVmstat(text));
  CgroupEventCounts counts = kNoCgroupEvents;
  for (std::size_t i = 0; i < kCgroupEvents; ++i) {
    if (std::optional<uint64_t> count = parsed.Get(kCgroupEventNames[i])) {
      if (*count > kMaxCount) return TooLarge(kCgroupEventNames[i]);
      counts[i] = static_cast<int64_t>(*count);
    }
  }
  return counts;
}

namespace {

absl::Status PathError(int error, const std::string& path) {
  absl::Status status = absl::ErrnoToStatus(error, path);
  if (error == ENOTDIR) return absl::NotFoundError(status.message());
  return status;
}

absl::Status Malformed(const CgroupDir& dir, const char* name,
                       const absl::Status& status) {
  return absl::InvalidArgumentError(
      absl::StrCat(dir.path(), "/", name, ": ", status.message()));
}

}  // namespace

absl::StatusOr<CgroupDir> CgroupDir::Open(std::string path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return PathError(errno, path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int error = errno;
    ::close(fd);
    return PathError(error, path);
  }
  return CgroupDir(fd, std::move(path), static_cast<uint64_t>(st.st_ino),
                   static_cast<uint64_t>(st.st_nlink));
}

CgroupDir::CgroupDir(CgroupDir&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      inode_(other.inode_),
      links_(other.links_),
      buffer_(std::move(other.buffer_)) {}

CgroupDir::~CgroupDir() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::optional<std::string_view>> CgroupDir::Read(
    const char* name) {
  int fd;
  do {
    fd = ::openat(fd_, name, O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT) {
      // The file, or the whole cgroup? A removed cgroup's directory is gone
      // from its parent.
      if (::access(path_.c_str(), F_OK) == 0) {
        return std::optional<std::string_view>();
      }
    }
    return PathError(error, absl::StrCat(path_, "/", name));
  }
  if (buffer_.size() < 4096) buffer_.resize(4096);
  std::size_t size = 0;
  absl::Status status;
  while (true) {
    ssize_t n = ::read(fd, buffer_.data() + size, buffer_.size() - size);
    if (n < 0) {
      if (errno == EINTR) continue;
      status = PathError(errno, absl::StrCat(path_, "/", name));
      break;
    }
    size += static_cast<std::size_t>(n);
    // A short read is the end of a seq file; a full buffer may not be.
    if (size < buffer_.size()) break;
    if (buffer_.size() >= kMaxPseudoFileBytes) {
      status = absl::OutOfRangeError(absl::StrCat(
          path_, "/", name, ": larger than ", kMaxPseudoFileBytes, " bytes"));
      break;
    }
    buffer_.resize(buffer_.size() * 2);
  }
  ::close(fd);
  if (!status.ok()) return status;
  return std::optional<std::string_view>(
      std::string_view(buffer_.data(), size));
}

absl::StatusOr<std::vector<std::string>> CgroupDir::Children() {
  if (links_ == 2) return std::vector<std::string>();
  return ListSubdirectoriesAt(fd_, path_);
}

absl::StatusOr<CgroupEvents> ReadCgroupEvents(CgroupDir& dir, bool v2) {
  CgroupEvents events;
  if (v2) {
    for (auto [name, counts] :
         {std::pair{"memory.events", &events.total},
          std::pair{"memory.events.local", &events.local}}) {
      OOM_ASSIGN_OR_RETURN(std::optional<std::string_view> text,
                           dir.Read(name));
      if (!text) continue;
      absl::StatusOr<CgroupEventCounts> parsed = ParseCgroupEventCounts(*text);
      if (!parsed.ok()) return Malformed(dir, name, parsed.status());
      *counts = *parsed;
    }
    return events;
  }
  OOM_ASSIGN_OR_RETURN(std::optional<std::string_view> control,
                       dir.Read("memory.oom_control"));
  if (control) {
    absl::StatusOr<Vmstat> parsed = ParseVmstat(*control);
    if (!parsed.ok()) {
      return Malformed(dir, "memory.oom_control", parsed.status());
    }
    if (std::optional<uint64_t> kills = parsed->Get("oom_kill")) {
      if (*kills > kMaxCount) {
        return Malformed(dir, "memory.oom_control", TooLarge("oom_kill"));
      }
      events.local[kCgroupEventOomKill] = static_cast<int64_t>(*kills);
    }
    events.under_oom = parsed->Get("under_oom");
  }
  OOM_ASSIGN_OR_RETURN(std::optional<std::string_view> failcnt,
                       dir.Read("memory.failcnt"));
  if (failcnt) {
    absl::StatusOr<uint64_t> count = ParseCgroupBytes(*failcnt);
    if (!count.ok()) return Malformed(dir, "memory.failcnt", count.status());
    if (*count > kMaxCount) {
      return Malformed(dir, "memory.failcnt", TooLarge("failcnt"));
    }
    events.local[kCgroupEventMax] = static_cast<int64_t>(*count);
  }
  return events;
}

}  // namespace oom
