#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_PROC_READER_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_PROC_READER_H_

// Reading /proc/<pid>/* for every process, at close to the cost of the
// kernel's own work: one directory descriptor on procfs for the whole scan,
// getdents64 into a reused buffer, openat/read/close of one small file per
// process into the caller's buffer, no allocation per process. No descriptor
// outlives the call that opened it: every open /proc seq-file pins a page of
// kernel memory, and 10,000 processes would pin 40 MB per file kind.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace oom {

class ProcReader {
 public:
  // Opens `procfs` (e.g. "/proc") as a directory. Errors as ReadFile's.
  static absl::StatusOr<ProcReader> Open(const std::string& procfs);

  ProcReader(ProcReader&& other) noexcept;
  ProcReader& operator=(ProcReader&& other) noexcept;
  ProcReader(const ProcReader&) = delete;
  ProcReader& operator=(const ProcReader&) = delete;
  ~ProcReader();

  // Replaces `pids` with the numeric entries of procfs (thread-group leaders;
  // threads are not listed), in the kernel's order (ascending).
  absl::Status ListPids(std::vector<int32_t>* pids);

  // Reads procfs/<pid>/<name> into buf[0..size) with one read(). Returns the
  // byte count, or -errno: -ENOENT or -ESRCH when the process has gone,
  // -EACCES/-EPERM when hidepid or ptrace rules hide it.
  ssize_t ReadSmall(int32_t pid, const char* name, char* buf, std::size_t size);

  // Opens procfs/<pid> as a directory: files read through it all belong to
  // the same process, even if the pid is reused meanwhile (they then fail
  // with ESRCH or ENOENT). Returns the descriptor or -errno; close it with
  // CloseDir.
  int OpenPidDir(int32_t pid);
  static void CloseDir(int dirfd);

  // Reads the whole file `name` under a directory of OpenPidDir into `out`
  // (reusing its capacity). Returns 0 or -errno; -EFBIG beyond 1 MiB.
  static int ReadAt(int dirfd, const char* name, std::string* out);

 private:
  explicit ProcReader(int fd) : fd_(fd) {}

  int fd_ = -1;
  std::vector<char> dents_;
};

// "<pid>/<name>" into path (at least 48 bytes), without snprintf.
void FormatPidPath(int32_t pid, const char* name, char* path);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_PROCFS_PROC_READER_H_
