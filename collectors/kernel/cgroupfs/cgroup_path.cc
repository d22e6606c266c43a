#include "collectors/kernel/cgroupfs/cgroup_path.h"

#include <algorithm>
#include <vector>

namespace oom {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

bool IsHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

// A pod UID as kube_pod_info{uid}: the systemd driver writes '_' for '-'.
std::string PodUid(std::string_view text) {
  std::string uid(text);
  std::replace(uid.begin(), uid.end(), '_', '-');
  return uid;
}

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// A container's own cgroup, as each runtime names it.
bool ContainerScope(std::string_view part, std::string* container_id) {
  struct Runtime {
    std::string_view prefix;
    std::string_view scheme;
  };
  constexpr Runtime kRuntimes[] = {{"cri-containerd-", "containerd://"},
                                   {"crio-", "cri-o://"},
                                   {"docker-", "docker://"}};
  if (!EndsWith(part, ".scope")) return false;
  std::string_view name = part.substr(0, part.size() - 6);
  for (const Runtime& runtime : kRuntimes) {
    if (!StartsWith(name, runtime.prefix)) continue;
    std::string_view id = name.substr(runtime.prefix.size());
    if (!IsHex(id)) return false;  // crio-conmon-<id>.scope is not a container
    *container_id = std::string(runtime.scheme) + std::string(id);
    return true;
  }
  return false;
}

}  // namespace

std::string NormalizeCgroupPath(std::string_view path) {
  std::string out = "/";
  for (std::string_view part : Components(path)) {
    if (out.size() > 1) out.push_back('/');
    out.append(part);
  }
  return out;
}

CgroupIdentity IdentifyCgroup(std::string_view path) {
  CgroupIdentity id;
  std::vector<std::string_view> parts = Components(path);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    // Kubernetes, cgroupfs driver:
    // /kubepods[/burstable|/besteffort]/pod<uid>/<id>
    if (part == "kubepods" || part == "kubepods.slice") {
      id.qos_class = "guaranteed";
      continue;
    }
    if ((part == "burstable" || part == "besteffort") && i > 0 &&
        parts[i - 1] == "kubepods") {
      id.qos_class = std::string(part);
      continue;
    }
    if (StartsWith(part, "kubepods-") && EndsWith(part, ".slice")) {
      // systemd driver: kubepods-burstable.slice,
      // kubepods-burstable-pod<uid>.slice, kubepods-pod<uid>.slice
      // (guaranteed).
      std::string_view name = part.substr(9, part.size() - 9 - 6);
      for (std::string_view qos : {"burstable", "besteffort"}) {
        if (name == qos || StartsWith(name, std::string(qos) + "-")) {
          id.qos_class = std::string(qos);
          name = name == qos ? std::string_view() : name.substr(qos.size() + 1);
        }
      }
      if (StartsWith(name, "pod")) {
        id.uid = PodUid(name.substr(3));
        id.below_pod = i + 1 < parts.size();
      }
      continue;
    }
    if (StartsWith(part, "pod") && !id.qos_class.empty() && i > 0 &&
        (parts[i - 1] == "kubepods" || parts[i - 1] == "burstable" ||
         parts[i - 1] == "besteffort")) {
      id.uid = PodUid(part.substr(3));
      id.below_pod = i + 1 < parts.size();
      continue;
    }
    if (ContainerScope(part, &id.container_id)) continue;
    // A bare 64-hex directory: a container of the cgroupfs driver or Docker.
    if (part.size() == 64 && IsHex(part) && i > 0) {
      bool docker = parts[i - 1] == "docker";
      id.container_id =
          docker ? "docker://" + std::string(part) : std::string(part);
      continue;
    }
    if (part == "lxc" && i + 1 < parts.size()) {
      id.lxc = std::string(parts[i + 1]);
      ++i;
      continue;
    }
    // LXC 4+: the container's own tree and its monitor process's.
    if (StartsWith(part, "lxc.payload.") || StartsWith(part, "lxc.monitor.")) {
      id.lxc = std::string(part.substr(12));
      continue;
    }
    if (EndsWith(part, ".service") || EndsWith(part, ".scope") ||
        (EndsWith(part, ".slice") && part != "-.slice")) {
      id.unit = std::string(part);
    }
  }
  if (id.uid.empty() && id.container_id.empty()) id.qos_class.clear();
  return id;
}

}  // namespace oom
