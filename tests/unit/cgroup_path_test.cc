#include "collectors/kernel/cgroupfs/cgroup_path.h"

#include <string>

#include "gtest/gtest.h"

namespace oom {
namespace {

constexpr char kId[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr char kUid[] = "7c4b3c3a-2d3f-4a8e-9b2e-1f0e4c6d8a9b";
constexpr char kUidUnderscores[] = "7c4b3c3a_2d3f_4a8e_9b2e_1f0e4c6d8a9b";

struct Case {
  std::string path;
  CgroupIdentity want;
};

std::string Describe(const CgroupIdentity& id) {
  return "uid=" + id.uid + " qos=" + id.qos_class +
         " container=" + id.container_id + " unit=" + id.unit +
         " lxc=" + id.lxc + (id.below_pod ? " below_pod" : "");
}

TEST(IdentifyCgroupTest, EveryLayout) {
  const std::string id = kId;
  const std::string uid = kUid;
  const std::string uid_ = kUidUnderscores;
  const Case cases[] = {
      // Kubernetes, cgroupfs driver (v1 and v2 alike).
      {"/kubepods/burstable/pod" + uid + "/" + id,
       {uid, "burstable", id, "", "", true}},
      {"/kubepods/besteffort/pod" + uid + "/" + id,
       {uid, "besteffort", id, "", "", true}},
      {"/kubepods/pod" + uid + "/" + id, {uid, "guaranteed", id, "", "", true}},
      {"/kubepods/burstable/pod" + uid, {uid, "burstable", "", "", ""}},
      // Kubernetes, systemd driver, each runtime.
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
           uid_ + ".slice/cri-containerd-" + id + ".scope",
       {uid, "burstable", "containerd://" + id, "", "", true}},
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
           uid_ + ".slice/crio-" + id + ".scope",
       {uid, "besteffort", "cri-o://" + id, "", "", true}},
      {"/kubepods.slice/kubepods-pod" + uid_ + ".slice/docker-" + id + ".scope",
       {uid, "guaranteed", "docker://" + id, "", "", true}},
      {"/kubepods.slice/kubepods-pod" + uid_ + ".slice",
       {uid, "guaranteed", "", "", ""}},
      // CRI-O's conmon is not a container.
      {"/kubepods.slice/kubepods-pod" + uid_ + ".slice/crio-conmon-" + id +
           ".scope",
       {uid, "guaranteed", "", "crio-conmon-" + id + ".scope", "", true}},
      // QoS slices alone are no pod (and Kubernetes' slices are not named as
      // units: the pod and container labels say more).
      {"/kubepods.slice/kubepods-burstable.slice", {"", "", "", "", ""}},
      {"/kubepods", {"", "", "", "", ""}},
      // Docker.
      {"/docker/" + id, {"", "", "docker://" + id, "", ""}},
      // The unit is the innermost one that is not the container itself.
      {"/system.slice/docker-" + id + ".scope",
       {"", "", "docker://" + id, "system.slice", ""}},
      // systemd units.
      {"/system.slice/nginx.service", {"", "", "", "nginx.service", ""}},
      {"/user.slice/user-1000.slice/session-2.scope",
       {"", "", "", "session-2.scope", ""}},
      {"/user.slice/user-1000.slice/user@1000.service/app.slice/app-foo.scope",
       {"", "", "", "app-foo.scope", ""}},
      {"/system.slice", {"", "", "", "system.slice", ""}},
      // LXC, old and new layouts.
      {"/lxc/web01", {"", "", "", "", "web01"}},
      {"/lxc/703/ns/system.slice/sshd.service",
       {"", "", "", "sshd.service", "703"}},
      {"/lxc.payload.web01/system.slice",
       {"", "", "", "system.slice", "web01"}},
      {"/lxc.monitor.web01", {"", "", "", "", "web01"}},
      // Nothing to say.
      {"/", {"", "", "", "", ""}},
      {"/oom_test", {"", "", "", "", ""}},
  };
  for (const Case& c : cases) {
    CgroupIdentity got = IdentifyCgroup(c.path);
    EXPECT_EQ(Describe(got), Describe(c.want)) << c.path;
  }
}

TEST(NormalizeCgroupPathTest, OneFormForEverySource) {
  EXPECT_EQ(NormalizeCgroupPath("/"), "/");
  EXPECT_EQ(NormalizeCgroupPath(""), "/");
  EXPECT_EQ(NormalizeCgroupPath("/a/b/"), "/a/b");
  EXPECT_EQ(NormalizeCgroupPath("a//b"), "/a/b");
  EXPECT_EQ(NormalizeCgroupPath("/kubepods.slice"), "/kubepods.slice");
}

}  // namespace
}  // namespace oom
