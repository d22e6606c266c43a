# memory.oom.group=1 (what the kubelet sets on every container since
# Kubernetes 1.28): one OOM kills every process of the cgroup. The kernel
# kills the chosen victim a second time as a member of the group (two kill
# lines, two oom_kill counts in /proc/vmstat and memory.events); the
# exporter counts each process once and must not call the extra count a
# kill without a log line.
if [ "$CGROUP_MODE" = v1 ]; then
  skip "memory.oom.group is cgroup v2 only"
  return 0
fi
[ -n "$EXPORTER_PID" ] || start_exporter
kernel_before=$(kernel_kills)
make_cgroup grp 32
echo 1 >"$CG/grp/memory.oom.group"
spawn_ready grp 0 /bin/sleeper 0 1
first=$SPAWNED
spawn_ready grp 0 /bin/sleeper 0 1
second=$SPAWNED
spawn grp 0 /bin/hog
hog=$SPAWNED
expect_killed "the hog is killed" $hog
expect_killed "the first member is killed with it" $first
expect_killed "the second member is killed with it" $second
expect "oom_kills_total: the hog once" 1 \
  "$(wait_value 10 1 oom_kills_total cgroup=/grp comm=hog)"
expect "oom_kills_total: each member once" 2 \
  "$(wait_value 10 2 oom_kills_total cgroup=/grp comm=sleeper)"
expect "the kernel counted the victim twice (/proc/vmstat oom_kill)" 4 \
  $(($(kernel_kills) - kernel_before))
expect "oom_kills_unlogged stays 0" 0 "$(value oom_kills_unlogged)"
expect "memory.events oom_kill: 3 processes + the victim again" 4 \
  "$(wait_value 10 4 oom_cgroup_memory_events_total cgroup=/grp event=oom_kill)"
if [ "$(kernel_version)" -ge 517 ]; then
  expect "memory.events oom_group_kill" 1 \
    "$(value oom_cgroup_memory_events_total cgroup=/grp event=oom_group_kill)"
else
  expect "no oom_group_kill series before Linux 5.17" none \
    "$(value oom_cgroup_memory_events_total cgroup=/grp event=oom_group_kill)"
fi
remove_cgroup grp
