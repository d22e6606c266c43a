#ifndef OOM_EXPORTER_TESTS_SUPPORT_MEMCG_H_
#define OOM_EXPORTER_TESTS_SUPPORT_MEMCG_H_

// Real OOM kills for real-kernel tests, confined to a memory cgroup with a
// small limit so that the rest of the machine never runs short. The cgroup is
// removed when the object goes out of scope.

#include <string>

#include "absl/status/statusor.h"

namespace oom::testing {

class MemoryCgroup {
 public:
  // Creates a memory cgroup named `name` with `limit_bytes` under the
  // hierarchy that owns the memory controller (cgroup v1 "memory" mount or
  // cgroup2 with memory enabled). Fails with a message fit for GTEST_SKIP
  // when this machine cannot (not root, no memory controller, read-only).
  static absl::StatusOr<MemoryCgroup> Create(const std::string& name,
                                             long long limit_bytes);

  MemoryCgroup(MemoryCgroup&& other) noexcept;
  MemoryCgroup& operator=(MemoryCgroup&&) = delete;
  ~MemoryCgroup();

  // The directory in cgroupfs, e.g. /sys/fs/cgroup/memory/oom_test_1.
  const std::string& dir() const { return dir_; }
  // The path as the kernel prints it, relative to the hierarchy: /oom_test_1.
  const std::string& path() const { return path_; }
  bool v2() const { return v2_; }

  // Forks a child named `comm` (at most 15 bytes) that joins the cgroup and
  // allocates and touches memory until the kernel kills it. First waits (at
  // most 10 s) until the kernel's rate limit of OOM headers leaves room for
  // this kill's, so that the log names its cgroup. Returns its pid
  // once it has been killed by SIGKILL; an error if it exits any other way
  // or is not killed within 30 s (the child is then killed).
  absl::StatusOr<int> RunUntilOomKilled(const std::string& comm) const;

 private:
  MemoryCgroup(std::string dir, std::string path, bool v2)
      : dir_(std::move(dir)), path_(std::move(path)), v2_(v2) {}

  std::string dir_;
  std::string path_;
  bool v2_ = false;
};

}  // namespace oom::testing

#endif  // OOM_EXPORTER_TESTS_SUPPORT_MEMCG_H_
