# Captures a real cgroup v2 fixture tree (tests/fixtures/cgroup-k8s-systemd-
# v2-debian-6.12, see tests/fixtures/README.md): in a VM of tests/vm, builds
# a Kubernetes node's tree as the kubelet makes it with the systemd driver
# and containerd, OOM-kills in it, copies with cat the files the cgroup
# collector reads and prints them on the console as a base64 gzip'd tar
# between "@@ CAPTURE BEGIN <sha256>" and "@@ CAPTURE END". Not a CI
# scenario: it runs as the only scenario of a private copy of tests/vm, from
# the top of the repository:
#
#   tmp=$(mktemp -d) && mkdir "$tmp/tests" && cp -r tests/vm "$tmp/tests/" &&
#   rm "$tmp"/tests/vm/guest/scenarios/*.sh &&
#   cp tests/vm/guest/capture-cgroup-v2.sh "$tmp/tests/vm/guest/scenarios/10-capture.sh" &&
#   "$tmp/tests/vm/run.sh" --no-systemd --build "$PWD/build/fixtures" \
#     linux-image-6.12.100+deb12-amd64
#   log=build/fixtures/vm/linux-image-6.12.100+deb12-amd64.log
#   out=tests/fixtures/cgroup-k8s-systemd-v2-debian-6.12
#   rm -rf "$out" && mkdir "$out" &&
#   tr -d '\r' <"$log" | sed -n '/^@@ CAPTURE BEGIN/,/^@@ CAPTURE END/p' |
#     grep -v '^@@' | base64 -d | tar xzf - -C "$out"
#
# (check the archive against the sha256 on the BEGIN line first). The same
# log holds the exporter's scrape of the live tree in the VM, with the
# golden test's cgroup flags, between "@@ SCRAPE BEGIN" and "@@ SCRAPE END",
# and the kernel's OOM lines between "@@ KMSG BEGIN" and "@@ KMSG END".
# Cgroup v2 only.
if [ "$CGROUP_MODE" != v2 ]; then
  skip "the capture is of a cgroup v2 tree"
  return 0
fi
# The golden test's cgroup flags, so that the scrape below compares with
# tests/golden/cgroup-k8s-systemd-v2-debian-6.12.txt.
start_exporter --collector.cgroup --collector.cgroup.pod-containers \
  --collector.cgroup.max-depth=8
# comm names of the processes (the kernel log and oom_kills_total show them).
ln -f /bin/hog /bin/pause
# cgroup2 with the options systemd (247+) mounts it with.
mount -o remount,nsdelegate,memory_recursiveprot /sys/fs/cgroup

MIB=1048576
# event FILE KEY: a count of a memory.events file.
event() { awk -v key="$2" '$1 == key { print $2 }' "$CG/$1"; }
# Pod UIDs as the API server makes them (random v4 UUIDs),
# container IDs as containerd makes them (64 hex digits).
G_UID=c3e1f785-9fbc-44bc-a7f7-d1f15f633998 # guaranteed
B_UID=a47b0cc3-cdd5-425f-be44-8eca37f417c9 # burstable, three-process kill
W_UID=1b37c97c-e536-4ff6-97ce-ddbb2c651f20 # burstable, memory.high
E_UID=bbe73c82-2b47-4b0f-8803-7d0b107c9157 # besteffort
G_PAUSE=c79446bc265a6ba4489e04771796641da1c9267fd2262f928cd3ed4518e2880b
G_APP=e85c5b544c68b45874d5902e25a269c96d5f58b544576c2245b1f141e57c784a
B_PAUSE=7ec8049fad19c6de4236be6320e1f73644b738b563f8bca71e652b813264f402
B_APP=3ad4e9232e9954d2ee95d09122ab8ec884d5c3bff810b0aaaca9a520f3281fe8
B_SIDECAR=13f42019f523f02b5123742f1ce239ad7df9f51f775393a8143e17a9dc35976d
W_PAUSE=67711615e701ddbc3e6be6c0fe78f1f1017c116fbdf8688c34346b090646e1cb
W_APP=b9d37fef3aa4d37f539d42be04196fa619a6a398000cb7fcce11bea6fd1c65ee
E_PAUSE=063e54958c3e489a88148dd122bfb1f43029f7f2f5fce2d3285bfb9a0a584729
E_APP=7d9d34b621e0bee68c1fe49b2e6c90c06d49d1447963031746c33dc12b65fec5

KP=kubepods.slice
G=$KP/kubepods-pod$(echo $G_UID | tr - _).slice
B=$KP/kubepods-burstable.slice/kubepods-burstable-pod$(echo $B_UID | tr - _).slice
W=$KP/kubepods-burstable.slice/kubepods-burstable-pod$(echo $W_UID | tr - _).slice
E=$KP/kubepods-besteffort.slice/kubepods-besteffort-pod$(echo $E_UID | tr - _).slice

# The node: kubepods.slice limited to node allocatable, as a kubelet with
# --system-reserved=memory=64Mi (and --enforce-node-allocatable=pods)
# writes it: capacity (MemTotal) minus 64 MiB. The QoS slices unlimited.
capacity=$(($(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo) * 1024))
make_cgroup $KP 0
echo $((capacity - 64 * MIB)) >"$CG/$KP/memory.max"
make_cgroup $KP/kubepods-burstable.slice 0
make_cgroup $KP/kubepods-besteffort.slice 0

# container POD ID LIMIT_MIB: a container's scope in the pod, limited (0: no
# limit), with memory.oom.group 1 as the kubelet (1.28+) asks runc to set on
# every container; pause containers (the sandbox) keep 0.
container() {
  make_cgroup "$1/cri-containerd-$2.scope" "$3"
  echo 1 >"$CG/$1/cri-containerd-$2.scope/memory.oom.group"
}
# sandbox POD ID: the pod's pause container, oom_score_adj -998 as the
# kubelet sets it.
sandbox() {
  make_cgroup "$1/cri-containerd-$2.scope" 0
  spawn_ready "$1/cri-containerd-$2.scope" -998 /bin/pause 0 1
}

# system.slice: the runtime and the kubelet, holding 6 and 10 MiB.
make_cgroup system.slice/containerd.service 0
spawn_ready system.slice/containerd.service -999 /bin/sleeper 0 6
make_cgroup system.slice/kubelet.service 0
spawn_ready system.slice/kubelet.service -999 /bin/sleeper 0 10

# Besteffort pod: no limits; its app holds 8 MiB of anonymous memory and
# 24 MiB of page cache of the VM's disk (/dev/vda, held open by a process in
# the root cgroup until the copy: the kernel drops a block device's page
# cache at its last close): 16 MiB read twice with dd, then 8 MiB beyond
# them read through a mapping (tests/vm/helpers/mapread.c), by processes
# that exit. So its usage, working set and unreclaimable memory differ.
sleep 100000 </dev/vda &
disk_holder=$!
make_cgroup "$E" 0
sandbox "$E" $E_PAUSE
container "$E" $E_APP 0
spawn_ready "$E/cri-containerd-$E_APP.scope" 1000 /bin/sleeper 0 8
for pass in 1 2; do
  spawn "$E/cri-containerd-$E_APP.scope" 1000 /bin/dd if=/dev/vda of=/dev/null bs=1M count=16
  wait $SPAWNED
  expect "besteffort app: dd reads 16 MiB of /dev/vda (pass $pass)" 0 $?
done
spawn "$E/cri-containerd-$E_APP.scope" 1000 /bin/mapread /dev/vda 8 16
wait $SPAWNED
expect "besteffort app: mapread maps 8 MiB of /dev/vda" 0 $?

# Burstable pod with memory.high: pod limit 64 MiB (its one container's),
# memory.high 28 MiB; the app holds 30 MiB, above memory.high, and lives.
make_cgroup "$W" 64
echo $((28 * MIB)) >"$CG/$W/memory.high"
sandbox "$W" $W_PAUSE
container "$W" $W_APP 64
spawn_ready "$W/cri-containerd-$W_APP.scope" 0 /bin/sleeper 0 30
app=$SPAWNED
# It stops at 30 MiB, throttled by the kernel above memory.high on the way:
# wait until it sleeps in pause() (state S, not D) and the pod's high count
# has stopped for a second.
deadline=$(($(date +%s) + 120))
last=
while :; do
  now="$(event "$W/memory.events.local" high) $(awk '{ print $3 }' /proc/$app/stat)"
  [ "$now" = "$last" ] && [ "${now#* }" = S ] && break
  [ "$(date +%s)" -ge "$deadline" ] && break
  last=$now
  sleep 1
done
expect "the memory.high pod: its app waits in pause()" S \
  "$(awk '{ print $3 }' /proc/$app/stat)"
expect_ge "the memory.high pod: its app holds 30 MiB" $((30 * MIB)) \
  "$(cat "$CG/$W/cri-containerd-$W_APP.scope/memory.current")"

# Guaranteed pod: pod limit 32 MiB, the sum of its containers' (the pause
# container has none); the app container (32 MiB) runs one process that
# takes memory until the kernel kills it. The pod (app + pause) reaches its
# limit first: max and oom are the pod's own, the group is the container's.
make_cgroup "$G" 32
sandbox "$G" $G_PAUSE
container "$G" $G_APP 32
spawn "$G/cri-containerd-$G_APP.scope" -997 /bin/hog
expect_killed "guaranteed pod: the kernel kills its one app process" $SPAWNED

# Burstable pod: an app (48 MiB, three processes: two hold 4 MiB each, the
# third takes memory until killed) and a sidecar (48 MiB, holding 4 MiB);
# the pod's limit is their sum, 96 MiB. The app reaches its own limit and
# memory.oom.group kills its three processes.
make_cgroup "$B" 96
sandbox "$B" $B_PAUSE
container "$B" $B_SIDECAR 48
spawn_ready "$B/cri-containerd-$B_SIDECAR.scope" 0 /bin/sleeper 0 4
container "$B" $B_APP 48
spawn_ready "$B/cri-containerd-$B_APP.scope" 0 /bin/sleeper 0 4
first=$SPAWNED
spawn_ready "$B/cri-containerd-$B_APP.scope" 0 /bin/sleeper 0 4
second=$SPAWNED
spawn "$B/cri-containerd-$B_APP.scope" 0 /bin/hog
expect_killed "burstable pod: the kernel kills the app's hog" $SPAWNED
expect_killed "burstable pod: memory.oom.group kills the app's first sleeper" $first
expect_killed "burstable pod: memory.oom.group kills the app's second sleeper" $second

expect "guaranteed app: memory.events oom_kill (the victim twice)" 2 \
  "$(event "$G/cri-containerd-$G_APP.scope/memory.events" oom_kill)"
expect "guaranteed app: memory.events oom_group_kill" 1 \
  "$(event "$G/cri-containerd-$G_APP.scope/memory.events" oom_group_kill)"
expect "burstable app: memory.events oom_kill (3 processes + the victim again)" 4 \
  "$(event "$B/cri-containerd-$B_APP.scope/memory.events" oom_kill)"
expect "burstable app: memory.events oom_group_kill" 1 \
  "$(event "$B/cri-containerd-$B_APP.scope/memory.events" oom_group_kill)"
expect_ge "the memory.high pod: memory.events.local high" 1 \
  "$(event "$W/memory.events.local" high)"

# Let the exporter's watcher and the kernel's counters settle, then copy.
sleep 2
# The files the cgroup collector reads (cgroup.controllers only at the root,
# to find the memory controller), those that exist: the root has no
# memory.events, memory.current, memory.max ...
FILES="memory.events memory.events.local memory.current memory.max
  memory.high memory.swap.current memory.oom.group memory.pressure
  memory.stat"
stage=/tmp/capture
rm -rf $stage
mkdir -p $stage/proc/self $stage/sys/fs/cgroup
cat /proc/self/mountinfo >$stage/proc/self/mountinfo
cat "$CG/cgroup.controllers" >$stage/sys/fs/cgroup/cgroup.controllers
for dir in $(cd "$CG" && find . -type d | sort); do
  mkdir -p "$stage/sys/fs/cgroup/$dir"
  for file in $FILES; do
    [ -e "$CG/$dir/$file" ] && cat "$CG/$dir/$file" >"$stage/sys/fs/cgroup/$dir/$file"
  done
done
SCRAPE=/tmp/capture.scrape
scrape >$SCRAPE
(cd $stage && tar cf - proc sys) | gzip -9 >/tmp/capture.tar.gz
say "@@ CAPTURE BEGIN $(sha256sum /tmp/capture.tar.gz | cut -d' ' -f1)"
base64 /tmp/capture.tar.gz
say "@@ CAPTURE END"
say "@@ SCRAPE BEGIN"
grep -v '^#' $SCRAPE
say "@@ SCRAPE END"
say "@@ KMSG BEGIN"
dmesg | grep -E 'invoked oom-killer|oom-kill:|Killed process|Memory cgroup out of memory'
say "@@ KMSG END"
expect "oom_kills_unlogged" 0 "$(value oom_kills_unlogged)"
SCRAPE=
kill $disk_holder
wait $disk_holder 2>/dev/null
