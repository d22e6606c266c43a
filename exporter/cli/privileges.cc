#include "exporter/cli/privileges.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "collectors/base/fs.h"
#include "collectors/base/status_macros.h"
#include "collectors/base/string_view.h"
#include "collectors/base/text.h"

namespace oom {
namespace {

// Runs a getpw*_r lookup with a buffer that grows while the entry does not
// fit. nullopt when there is no such user; an error when the database cannot
// be read.
template <typename Lookup>
absl::StatusOr<std::optional<RunAsUser>> LookUp(Lookup lookup) {
  long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::string buffer(hint > 0 ? static_cast<std::size_t>(hint) : 4096, '\0');
  passwd entry{};
  passwd* found = nullptr;
  int err;
  while ((err = lookup(&entry, buffer.data(), buffer.size(), &found)) ==
             ERANGE &&
         buffer.size() < (std::size_t{1} << 20)) {
    buffer.resize(buffer.size() * 2);
  }
  // getpwnam_r(3): these say "not found" on some systems.
  if (err == ENOENT || err == ESRCH || err == EBADF || err == EPERM) err = 0;
  if (err != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read the user database: ", std::strerror(err)));
  }
  if (found == nullptr) return std::nullopt;
  return RunAsUser{found->pw_name, found->pw_uid, found->pw_gid};
}

std::string Describe(const RunAsUser& user) {
  return absl::StrCat(user.name, " (uid ", user.uid, ")");
}

absl::Status ErrnoError(int err, absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, ": ", std::strerror(err)));
}

std::optional<uint64_t> ParseHex(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, 16);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// "a \tb  c" -> {"a", "b", "c"}.
std::vector<std::string_view> Fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) fields.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return fields;
}

std::string Hex(uint64_t mask) { return absl::StrFormat("%016x", mask); }

}  // namespace

absl::StatusOr<RunAsUser> ResolveUser(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("no user given");
  std::string name(text);
  OOM_ASSIGN_OR_RETURN(std::optional<RunAsUser> by_name,
                       LookUp([&name](passwd* entry, char* buffer,
                                      std::size_t size, passwd** found) {
                         return ::getpwnam_r(name.c_str(), entry, buffer, size,
                                             found);
                       }));
  if (by_name.has_value()) return *by_name;
  std::optional<uint64_t> number = ParseU64(text);
  if (!number) {
    return absl::InvalidArgumentError(
        absl::StrCat("no user named \"", ToAbsl(text), "\""));
  }
  // (uid_t)-1 means "unchanged" to setuid(2): never a user.
  if (*number >= static_cast<uid_t>(-1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("uid ", ToAbsl(text), " is out of range"));
  }
  uid_t uid = static_cast<uid_t>(*number);
  OOM_ASSIGN_OR_RETURN(std::optional<RunAsUser> by_uid,
                       LookUp([uid](passwd* entry, char* buffer,
                                    std::size_t size, passwd** found) {
                         return ::getpwuid_r(uid, entry, buffer, size, found);
                       }));
  if (!by_uid.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no user with uid ", uid,
                     " in the user database (its primary group comes from "
                     "there)"));
  }
  return *by_uid;
}

absl::StatusOr<bool> NeedsSwitch(const RunAsUser& user, uid_t euid,
                                 uint64_t cap_eff) {
  if (user.uid == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        Describe(user), " is root: switching to it drops nothing"));
  }
  if (euid == user.uid) return false;
  if (euid != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "switching to ", Describe(user),
        " needs the exporter to start as root (it runs as uid ", euid, ")"));
  }
  if ((cap_eff & kCapSetuid) == 0 || (cap_eff & kCapSetgid) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("switching to ", Describe(user),
                     " needs CAP_SETUID and CAP_SETGID, which this root "
                     "lacks (CapEff ",
                     Hex(cap_eff), ")"));
  }
  return true;
}

absl::StatusOr<Credentials> ParseCredentials(std::string_view status) {
  Credentials c;
  bool uid = false, gid = false, groups = false, prm = false, eff = false;
  std::string error;
  ForEachLine(status, [&](std::string_view line) {
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !error.empty()) return;
    std::string_view key = line.substr(0, colon);
    std::string_view value = TrimSpace(line.substr(colon + 1));
    auto bad = [&] {
      error = absl::StrCat("bad ", ToAbsl(key), " line: ", ToAbsl(line));
    };
    std::vector<std::string_view> fields = Fields(value);
    if (key == "Uid" || key == "Gid") {
      std::array<uint64_t, 4>& ids = key == "Uid" ? c.uids : c.gids;
      if (fields.size() != 4) return bad();
      for (std::size_t i = 0; i < 4; ++i) {
        std::optional<uint64_t> id = ParseU64(fields[i]);
        if (!id) return bad();
        ids[i] = *id;
      }
      (key == "Uid" ? uid : gid) = true;
    } else if (key == "Groups") {
      for (std::string_view field : fields) {
        std::optional<uint64_t> group = ParseU64(field);
        if (!group) return bad();
        c.groups.push_back(*group);
      }
      groups = true;
    } else if (key == "CapPrm" || key == "CapEff" || key == "CapAmb") {
      std::optional<uint64_t> mask = ParseHex(value);
      if (!mask) return bad();
      if (key == "CapPrm") {
        c.cap_prm = *mask;
        prm = true;
      } else if (key == "CapEff") {
        c.cap_eff = *mask;
        eff = true;
      } else {
        c.cap_amb = *mask;
      }
    }
  });
  if (!error.empty()) return absl::InvalidArgumentError(error);
  if (!uid || !gid || !groups || !prm || !eff) {
    return absl::InvalidArgumentError(
        "no Uid, Gid, Groups, CapPrm or CapEff line");
  }
  return c;
}

absl::Status CheckCredentials(const Credentials& credentials,
                              const RunAsUser& user) {
  for (uint64_t id : credentials.uids) {
    if (id != user.uid) {
      return absl::FailedPreconditionError(
          absl::StrCat("uids are ", absl::StrJoin(credentials.uids, " "),
                       ", want ", user.uid, " for all four"));
    }
  }
  for (uint64_t id : credentials.gids) {
    if (id != user.gid) {
      return absl::FailedPreconditionError(
          absl::StrCat("gids are ", absl::StrJoin(credentials.gids, " "),
                       ", want ", user.gid, " for all four"));
    }
  }
  if (!credentials.groups.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("still in supplementary groups ",
                     absl::StrJoin(credentials.groups, " ")));
  }
  if (credentials.cap_eff != 0 || credentials.cap_prm != 0 ||
      credentials.cap_amb != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "capabilities left: CapEff ", Hex(credentials.cap_eff), ", CapPrm ",
        Hex(credentials.cap_prm), ", CapAmb ", Hex(credentials.cap_amb)));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> EffectiveCapabilities() {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) {
    return absl::ErrnoToStatus(errno, "capget");
  }
  return (uint64_t{data[1].effective} << 32) | data[0].effective;
}

absl::Status SwitchToUser(const RunAsUser& user) {
  // Groups first, then the group, then the user: once the uid is not 0 the
  // right to change the other two is gone.
  if (::setgroups(0, nullptr) != 0) {
    return ErrnoError(errno, "setgroups(0 groups)");
  }
  if (::setgid(user.gid) != 0) {
    return ErrnoError(errno, absl::StrCat("setgid(", user.gid, ")"));
  }
  if (::setuid(user.uid) != 0) {
    return ErrnoError(errno, absl::StrCat("setuid(", user.uid, ")"));
  }
  if (::setuid(0) == 0) {
    return absl::FailedPreconditionError(
        "setuid(0) still succeeds after the switch");
  }
  std::vector<std::string> tasks = ListSubdirectories("/proc/self/task");
  if (tasks.empty()) {
    return absl::FailedPreconditionError(
        "cannot list /proc/self/task to check every thread");
  }
  for (const std::string& task : tasks) {
    std::string path = absl::StrCat("/proc/self/task/", task, "/status");
    absl::StatusOr<std::string> text = ReadFile(path);
    if (absl::IsNotFound(text.status())) continue;  // the thread ended
    if (!text.ok()) return text.status();
    absl::StatusOr<Credentials> credentials = ParseCredentials(*text);
    if (!credentials.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": ", credentials.status().message()));
    }
    absl::Status status = CheckCredentials(*credentials, user);
    if (!status.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("thread ", task, ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace oom
