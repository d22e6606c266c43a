# oom_score_adj -1000: the kernel never picks that process, even when it is
# the largest in the cgroup; the exporter shows it as protected.
[ -n "$EXPORTER_PID" ] || start_exporter
make_cgroup guard 48
spawn_ready guard -1000 /bin/guarded 0 28
guarded=$SPAWNED
# Wait until it holds its 28 MiB (its rss in the cgroup's usage).
deadline=$(($(date +%s) + 20))
while [ "$(awk '/VmRSS/ { print $2 }' /proc/$guarded/status)" -lt 28000 ] &&
  [ "$(date +%s)" -lt "$deadline" ]; do usleep 20000; done
expect_ge "oom_processes_protected counts it (and the exporter)" 2 \
  "$(value oom_processes_protected)"
spawn guard 0 /bin/hog
expect_killed "the kernel kills the unprotected hog" $SPAWNED
expect "the larger, protected process lives on" 0 "$(kill -0 $guarded; echo $?)"
expect "oom_kills_total: the hog" 1 \
  "$(wait_value 10 1 oom_kills_total cgroup=/guard comm=hog)"
expect "oom_kills_total: not the protected one" none \
  "$(value oom_kills_total cgroup=/guard comm=guarded)"
kill -9 $guarded
wait $guarded
remove_cgroup guard
