#ifndef OOM_EXPORTER_EXPORTER_CLI_PRIVILEGES_H_
#define OOM_EXPORTER_EXPORTER_CLI_PRIVILEGES_H_

// Dropping from root to an unprivileged user (--run-as-user): the exporter
// opens what needs privilege as root (/dev/kmsg, the state file's lock, the
// bound port, the TLS key) and then becomes USER for good, on every thread:
// no supplementary groups, USER's primary group, USER's uid, no capability.
//
// The pure parts (looking USER up, deciding whether a switch is possible,
// parsing and checking the credentials of /proc/<pid>/status) are apart from
// the system calls so that tests can reach them without root.

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace oom {

// A user of the user database (passwd), as --run-as-user names it.
struct RunAsUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;  // the primary group
};

// Looks `text` up in the user database: a user name, else (when no user has
// that name) a numeric uid. InvalidArgument, saying why, when `text` is empty,
// no user has that name, no user has that uid (the primary group would be
// unknown), or the database cannot be read.
absl::StatusOr<RunAsUser> ResolveUser(std::string_view text);

// Capability bits of the kernel's CapEff/CapPrm masks.
inline constexpr uint64_t kCapSetgid = uint64_t{1} << 6;
inline constexpr uint64_t kCapSetuid = uint64_t{1} << 7;

// Whether a process with effective uid `euid` and effective capabilities
// `cap_eff` should switch to `user`: true when it should (it is root with
// CAP_SETUID and CAP_SETGID), false when it already runs as that user (a
// non-root uid: nothing to do). InvalidArgument, saying why, when the target
// is uid 0 (switching to root drops nothing), the process is not root, or
// root lacks CAP_SETUID or CAP_SETGID (a container's root may).
absl::StatusOr<bool> NeedsSwitch(const RunAsUser& user, uid_t euid,
                                 uint64_t cap_eff);

// The credentials lines of /proc/<pid>/status or /proc/<pid>/task/<tid>/status.
// Sample (nobody after a drop, abridged):
//   Name:	oom_exporter
//   Uid:	65534	65534	65534	65534
//   Gid:	65534	65534	65534	65534
//   Groups:
//   CapInh:	0000000000000000
//   CapPrm:	0000000000000000
//   CapEff:	0000000000000000
//   CapBnd:	000001ffffffffff
//   CapAmb:	0000000000000000
struct Credentials {
  std::array<uint64_t, 4> uids{};  // real, effective, saved, file system
  std::array<uint64_t, 4> gids{};
  std::vector<uint64_t> groups;  // supplementary groups
  uint64_t cap_prm = 0;
  uint64_t cap_eff = 0;
  uint64_t cap_amb = 0;  // 0 before Linux 4.3, which has no CapAmb line
};

// Parses the lines above, skipping the others. InvalidArgument when a Uid,
// Gid, Groups, CapPrm or CapEff line is missing or garbage.
absl::StatusOr<Credentials> ParseCredentials(std::string_view status);

// OK when `credentials` are exactly `user`'s: all four uids and gids, no
// supplementary group, no permitted, effective or ambient capability.
// FailedPrecondition naming the first thing that is off otherwise.
absl::Status CheckCredentials(const Credentials& credentials,
                              const RunAsUser& user);

// The effective capabilities of this process (CapEff of /proc/self/status).
absl::StatusOr<uint64_t> EffectiveCapabilities();

// Becomes `user`: setgroups(0 groups), setgid(user.gid), setuid(user.uid).
// glibc applies each call to every thread of the process. Then checks that
// the way back is closed: setuid(0) must fail, and every thread
// (/proc/self/task/*/status) must pass CheckCredentials. An error says which
// step failed; the process must not go on serving after one (it may be
// half switched).
absl::Status SwitchToUser(const RunAsUser& user);

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_CLI_PRIVILEGES_H_
