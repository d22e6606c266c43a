# A node-wide OOM (no cgroup limit): scope global, the victim's cgroup from
# the summary, the node's pressure counters move.
[ -n "$EXPORTER_PID" ] || start_exporter
before=$(value oom_logged_kills_total scope=global)
some_before=$(value oom_memory_pressure_waiting_seconds_total)
make_cgroup node 0
spawn node 1000 /bin/hog
expect_killed "the kernel kills the hog when the node runs out" $SPAWNED
expect "oom_logged_kills_total{scope=global}" $((before + 1)) \
  "$(wait_value 10 $((before + 1)) oom_logged_kills_total scope=global)"
expect "oom_kills_total: global, with the victim's cgroup" 1 \
  "$(value oom_kills_total scope=global cgroup=/node comm=hog)"
expect "oom_kills_unlogged" 0 "$(value oom_kills_unlogged)"
expect "the exporter (oom_score_adj -1000) survived" 0 "$(kill -0 $EXPORTER_PID; echo $?)"
some_after=$(value oom_memory_pressure_waiting_seconds_total)
expect "/proc/pressure/memory some total moved" yes \
  "$(awk -v a="$some_after" -v b="$some_before" 'BEGIN { print (a > b) ? "yes" : "no: " b " -> " a }')"
remove_cgroup node
