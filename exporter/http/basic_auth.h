#ifndef OOM_EXPORTER_EXPORTER_HTTP_BASIC_AUTH_H_
#define OOM_EXPORTER_EXPORTER_HTTP_BASIC_AUTH_H_

// HTTP basic authentication against the bcrypt hashes of the web config's
// basic_auth_users, checked by the system's crypt library (libxcrypt).
// bcrypt is slow on purpose (cost 10: tens of milliseconds), and Prometheus
// sends the same credentials every scrape, so successful checks are cached:
// keyed by a SHA-256 of user, password and hash (the password itself is not
// kept), at most kMaxCachedLogins of them.

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

namespace oom {

class BasicAuth {
 public:
  static constexpr std::size_t kMaxCachedLogins = 1024;

  // `users` maps user names to bcrypt hashes (validated by the web config).
  explicit BasicAuth(std::map<std::string, std::string> users);

  // Whether the value of an Authorization header ("Basic base64(user:pw)")
  // names a user and the right password. Thread-safe.
  bool Allows(std::string_view authorization);

  // Whether `password` is `user`'s. An unknown user costs a bcrypt check all
  // the same, so that timing does not tell which users exist; the final
  // comparison takes constant time. Thread-safe.
  bool Check(std::string_view user, std::string_view password);

  // How many checks ran bcrypt (cache misses), for tests.
  std::size_t bcrypt_runs() const;

 private:
  std::map<std::string, std::string> users_;
  std::string dummy_hash_;  // checked for unknown users
  // std::mutex rather than absl::Mutex: Debian builds abseil without
  // ThreadSanitizer annotations, so TSan could not see absl::Mutex.
  mutable std::mutex mu_;
  absl::flat_hash_set<std::string> cache_ ABSL_GUARDED_BY(mu_);
  std::size_t bcrypt_runs_ ABSL_GUARDED_BY(mu_) = 0;
};

// A new bcrypt ($2b$) hash of `password` at `cost` (4..31), salted from the
// system's randomness.
absl::StatusOr<std::string> HashPassword(std::string_view password,
                                         int cost = 10);

// `oom_exporter hash-password [--cost=N]`: reads a password (one line) from
// stdin and prints its bcrypt hash for basic_auth_users. Returns the exit
// status.
int RunHashPasswordCommand(int argc, char** argv);

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_HTTP_BASIC_AUTH_H_
