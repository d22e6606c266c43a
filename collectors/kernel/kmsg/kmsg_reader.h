#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_KMSG_KMSG_READER_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_KMSG_KMSG_READER_H_

// Follows /dev/kmsg without busy-waiting: non-blocking reads until EAGAIN,
// then poll() on the device and on an eventfd that Stop() signals.
// Semantics (docs/kernel-formats.md#reading-kmsg):
// one record per read(); opening starts at the oldest record still in the
// ring; EPIPE means records were overwritten under us, and the next read
// returns the oldest one left (counted here, never fatal; the sequence gap
// tells how many were lost). A regular file or FIFO of records works too,
// which is how tests feed it.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace oom {

class KmsgReader {
 public:
  enum class Result {
    kLines,    // at least one line was appended
    kTimeout,  // nothing arrived within the timeout
    kStopped,  // Stop() was called
  };

  // Opens `path` for reading. PermissionDenied says what to grant when the
  // kernel refuses (kernel.dmesg_restrict=1 needs CAP_SYSLOG).
  static absl::StatusOr<std::unique_ptr<KmsgReader>> Open(
      const std::string& path);

  ~KmsgReader();
  KmsgReader(const KmsgReader&) = delete;
  KmsgReader& operator=(const KmsgReader&) = delete;

  // Appends every line available now (records and their dictionary lines,
  // without '\n') to `lines`. When none is, waits up to `timeout_ms`
  // (-1: until something arrives or Stop()).
  Result Read(int timeout_ms, std::vector<std::string>* lines);

  // Wakes a blocked Read(), which then returns kStopped; so do later ones.
  // Thread-safe.
  void Stop();

  // How often the kernel said EPIPE (records overwritten before we read).
  uint64_t overruns() const { return overruns_; }

 private:
  KmsgReader(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd) {}

  // Reads until EAGAIN (returns true: wait on the device) or until the end
  // of a file or FIFO or a read error (returns false: wait a while instead).
  bool Drain(std::vector<std::string>* lines);

  int fd_;
  int stop_fd_;
  bool stopped_ = false;
  uint64_t overruns_ = 0;
  std::string partial_;  // a file or FIFO may split a line between reads
};

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_KMSG_KMSG_READER_H_
