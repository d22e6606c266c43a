#include "collectors/kernel/kmsg/kmsg_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace oom {
namespace {

// poll() by way of ppoll(): the program replaces poll() for civetweb
// (exporter/http/civetweb_shims.h), and this thread has no business there.
int Poll(pollfd* fds, nfds_t nfds, int timeout_ms) {
  timespec timeout = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  return ::ppoll(fds, nfds, timeout_ms < 0 ? nullptr : &timeout, nullptr);
}

}  // namespace

absl::StatusOr<std::unique_ptr<KmsgReader>> KmsgReader::Open(
    const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == EPERM || err == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot read ", path, ": ", strerror(err),
          "; with kernel.dmesg_restrict=1 reading the kernel log needs "
          "CAP_SYSLOG (systemd: AmbientCapabilities=CAP_SYSLOG; Kubernetes: "
          "securityContext.capabilities.add: [\"SYSLOG\"])"));
    }
    return absl::ErrnoToStatus(err, absl::StrCat("cannot open ", path));
  }
  int stop_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) {
    int err = errno;
    ::close(fd);
    return absl::ErrnoToStatus(err, "eventfd");
  }
  return std::unique_ptr<KmsgReader>(new KmsgReader(fd, stop_fd));
}

KmsgReader::~KmsgReader() {
  ::close(fd_);
  ::close(stop_fd_);
}

void KmsgReader::Stop() {
  uint64_t one = 1;
  ssize_t ignored = ::write(stop_fd_, &one, sizeof(one));
  (void)ignored;
}

bool KmsgReader::Drain(std::vector<std::string>* lines) {
  // 8 KiB: a record is at most 1 KiB of text plus its dictionary; a smaller
  // buffer makes the kernel skip the record (EINVAL).
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd_, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) {  // overwritten under us; next read: oldest left
        ++overruns_;
        continue;
      }
      // EAGAIN: caught up. Any other error would make poll() report the
      // device ready again at once: answer as at the end of a file, so the
      // caller waits instead of spinning.
      return errno == EAGAIN;
    }
    if (n == 0) {
      if (!partial_.empty()) lines->push_back(std::move(partial_));
      partial_.clear();
      return false;  // EOF: only files and FIFOs end
    }
    std::size_t start = 0;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') continue;
      partial_.append(buf + start, static_cast<std::size_t>(i) - start);
      lines->push_back(std::move(partial_));
      partial_.clear();
      start = static_cast<std::size_t>(i) + 1;
    }
    partial_.append(buf + start, static_cast<std::size_t>(n) - start);
  }
}

KmsgReader::Result KmsgReader::Read(int timeout_ms,
                                    std::vector<std::string>* lines) {
  std::size_t before = lines->size();
  int remaining = timeout_ms;
  while (true) {
    if (stopped_) return Result::kStopped;
    bool wait_on_device = Drain(lines);
    if (lines->size() > before) return Result::kLines;
    if (wait_on_device) {
      // The device: wait for a record (POLLIN), an overrun (POLLERR|POLLPRI,
      // handled by the next Drain) or Stop().
      pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      int ready = Poll(fds, 2, remaining);
      if (ready < 0) {
        if (errno == EINTR) continue;
        return Result::kTimeout;
      }
      if (fds[1].revents & POLLIN) {
        stopped_ = true;
        return Result::kStopped;
      }
      if (ready == 0) return Result::kTimeout;
      continue;
    }
    // A file or FIFO at its end (or a read error): poll() would say
    // "readable" at once, so look again every 100 ms (or at the timeout), as
    // `tail -f` does.
    int step = remaining < 0 || remaining > 100 ? 100 : remaining;
    pollfd stop = {stop_fd_, POLLIN, 0};
    if (Poll(&stop, 1, step) > 0) {
      stopped_ = true;
      return Result::kStopped;
    }
    if (remaining >= 0) {
      remaining -= step;
      if (remaining <= 0) return Result::kTimeout;
    }
  }
}

}  // namespace oom
