#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_CGROUP_PATH_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_CGROUP_PATH_H_

// Who a memory cgroup belongs to, read from its path alone: a Kubernetes pod
// and container, a Docker container, a systemd unit, an LXC container. The
// labels are spelled as kube-state-metrics spells them, so that one PromQL
// join with kube_pod_info / kube_pod_container_info gives namespace, pod
// and container.

#include <string>
#include <string_view>

namespace oom {

struct CgroupIdentity {
  std::string uid;           // pod UID, with dashes as kube_pod_info{uid}
  std::string qos_class;     // "guaranteed", "burstable", "besteffort"
  std::string container_id;  // "containerd://<id>", "cri-o://<id>",
                             // "docker://<id>", or the bare id when the
                             // path does not tell the runtime
  std::string unit;          // innermost systemd unit that is neither a
                             // container nor one of Kubernetes' slices:
                             // "nginx.service", "session-2.scope"
  std::string lxc;           // LXC container name
  bool below_pod = false;    // inside a pod's cgroup: one of its containers
                             // (the pause container too) or CRI-O's conmon
};

// The path as the kernel prints it in OOM reports and as this exporter
// labels every series: relative to the root of the memory hierarchy,
// beginning with "/", without a trailing "/" (the root is "/").
std::string NormalizeCgroupPath(std::string_view path);

// Reads the workload out of a normalized path. Layouts
// (docs/kernel-formats.md#comm-and-cgroup-paths):
//   /kubepods/burstable/pod<uid>/<id>                          cgroupfs driver
//   /kubepods/pod<uid>/<id>                                    (guaranteed)
//   /kubepods.slice/kubepods-besteffort.slice/
//     kubepods-besteffort-pod<uid_with_underscores>.slice/
//     cri-containerd-<id>.scope | crio-<id>.scope | docker-<id>.scope
//   /docker/<id>, /system.slice/docker-<id>.scope
//   /system.slice/nginx.service, /user.slice/user-1000.slice/session-2.scope
//   /lxc/<name>/..., /lxc.payload.<name>/..., /lxc.monitor.<name>
CgroupIdentity IdentifyCgroup(std::string_view path);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_CGROUPFS_CGROUP_PATH_H_
