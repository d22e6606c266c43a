# The next victim: a cgroup above 80 % of its limit names the process the
# kernel would kill there; then the limit is hit, and the kernel kills that
# very process (not the one that asked for memory).
[ -n "$EXPORTER_PID" ] || start_exporter
make_cgroup nv 48
spawn_ready nv 0 /bin/big 0 40
big=$SPAWNED
expect "oom_cgroup_next_victim_score names big (pid $big) above 80 %" 1 \
  "$(wait_until 20 'v != "none"' oom_cgroup_next_victim_score cgroup=/nv pid=$big comm=big |
    awk '{ print ($1 == "none") ? "none" : 1 }')"
spawn_ready nv 0 /bin/small 0 16
small=$SPAWNED
expect_killed "the kernel kills big" $big
expect "small got its memory and lives on" 0 "$(kill -0 $small; echo $?)"
expect "oom_kills_total: big" 1 "$(wait_value 10 1 oom_kills_total cgroup=/nv comm=big)"
kill -9 $small
wait $small
remove_cgroup nv
