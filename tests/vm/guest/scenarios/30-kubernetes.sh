# Kubernetes-shaped trees as the kubelet makes them, for both cgroup
# drivers and the runtimes we name: a pod with a pause container and an app
# container of two processes at its limit, memory.oom.group=1 on the
# container (the kubelet's default since 1.28; cgroup v2 only). The kill is
# counted once per process with the container's cgroup, the pod's cgroup
# carries the kill with its uid and QoS class, and no kill is "unlogged".
[ -n "$EXPORTER_PID" ] || start_exporter

# pod_kill POD CONTAINER UID QOS: the pod's cgroup path, the app container's
# (below it), the pod UID as Kubernetes writes it, and its QoS class.
pod_kill() {
  local pod=$1 container=$2 uid=$3 qos=$4 members=1 events=1
  make_cgroup "$pod" 0
  make_cgroup "$pod/pause" 0
  make_cgroup "$container" 32
  spawn_ready "$pod/pause" -998 /bin/sleeper 0 1
  local pause=$SPAWNED
  if [ "$CGROUP_MODE" = v2 ]; then
    echo 1 >"$CG/$container/memory.oom.group"
    members=2
    events=3 # the victim twice, the other process once
  fi
  spawn_ready "$container" 0 /bin/sleeper 0 1
  local sleeper=$SPAWNED
  spawn "$container" 0 /bin/hog
  expect_killed "$qos pod: the kernel kills the hog in /$container" $SPAWNED
  if [ "$members" = 2 ]; then
    expect_killed "$qos pod: memory.oom.group kills the other process" $sleeper
  fi
  expect "$qos pod: the hog counted once with the container's cgroup" 1 \
    "$(wait_value 10 1 oom_kills_total scope=memcg cgroup=/$container comm=hog)"
  if [ "$members" = 2 ]; then
    expect "$qos pod: the container's other process counted once" 1 \
      "$(wait_value 10 1 oom_kills_total cgroup=/$container comm=sleeper)"
  else
    expect "$qos pod: the container's other process lives on (no group kill on v1)" \
      "0 none" "$(kill -0 $sleeper; echo $?) $(value oom_kills_total cgroup=/$container comm=sleeper)"
  fi
  expect "$qos pod: the pod's oom_kill events" $events \
    "$(wait_value 10 $events oom_cgroup_memory_events_total cgroup=/$pod event=oom_kill)"
  expect "$qos pod: the pod's uid and QoS class" 1 \
    "$(value oom_cgroup_info cgroup=/$pod uid=$uid qos_class=$qos)"
  expect "$qos pod: the pause container lives on" 0 "$(kill -0 $pause; echo $?)"
  expect "$qos pod: oom_kills_unlogged" 0 "$(value oom_kills_unlogged)"
  kill -9 $pause $sleeper 2>/dev/null
  wait $pause $sleeper 2>/dev/null
}

# systemd driver, containerd, burstable.
uid=5b1c38a0-7f0e-4bb2-9c3d-0a1e2f3a4b5c
uid_=$(echo $uid | tr - _)
id=3f9a0c2e5d8b7a6f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f
pod_kill "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$uid_.slice" \
  "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$uid_.slice/cri-containerd-$id.scope" \
  $uid burstable
# systemd driver, CRI-O, besteffort (CRI-O's conmon has a scope beside the
# container's).
uid=a4f86376-4419-4ef3-92ce-325a7b63363a
uid_=$(echo $uid | tr - _)
id=9e8d7c6b5a4f3e2d1c0b9a8f3f9a0c2e5d8b7a6f1e0d9c8b7a6f5e4d3c2b1a0f
pod="kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$uid_.slice"
make_cgroup "$pod/crio-conmon-$id.scope" 0
pod_kill "$pod" "$pod/crio-$id.scope" $uid besteffort
# systemd driver, containerd, guaranteed (directly below kubepods.slice).
uid=0c5e0b7e-2a4d-4c1b-8e3f-6a7b8c9d0e1f
uid_=$(echo $uid | tr - _)
id=1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f3f9a0c2e5d8b7a6f
pod_kill "kubepods.slice/kubepods-pod$uid_.slice" \
  "kubepods.slice/kubepods-pod$uid_.slice/cri-containerd-$id.scope" $uid guaranteed
# cgroupfs driver: burstable and guaranteed.
uid=7d2e4f60-1b3c-4d5e-8f9a-0b1c2d3e4f5a
id=5a4f3e2d1c0b9a8f3f9a0c2e5d8b7a6f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b
pod_kill "kubepods/burstable/pod$uid" "kubepods/burstable/pod$uid/$id" $uid burstable
uid=8e3f5a71-2c4d-4e6f-9a0b-1c2d3e4f5a6b
id=c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f3f9a0c2e5d8b7a6f1e0d9c8b7a6f5e4d3
pod_kill "kubepods/pod$uid" "kubepods/pod$uid/$id" $uid guaranteed
