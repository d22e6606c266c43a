# The exporter restarted between kills: the state file carries the counts,
# the ring is replayed, and nothing is counted twice.
[ -n "$EXPORTER_PID" ] || start_exporter
SCRAPE=/tmp/before.prom
scrape >$SCRAPE
logged=$(value oom_logged_kills_total)
early=$(value oom_kills_total cgroup=/early/a)
unset SCRAPE
stop_exporter
expect "the state file is saved" yes "$([ -s "$STATE" ] && echo yes || echo no)"
oom_kill restart/a 24
start_exporter
# Before any scrape: a cgroup killed and removed at once still has its kill
# (the exporter follows the cgroup tree from its start, not its first
# scrape).
make_cgroup restart/b 24
spawn restart/b 0 /bin/hog
wait $SPAWNED
rmdir "$CG/restart/b"
expect "a cgroup removed before the first scrape keeps its kill" 1 \
  "$(wait_value 10 1 oom_cgroup_memory_events_total cgroup=/restart/b event=oom_kill)"
expect "the kill while it was down is counted" 1 \
  "$(wait_value 10 1 oom_kills_total cgroup=/restart/a comm=hog)"
expect "earlier kills are not counted again" $((logged + 2)) "$(value oom_logged_kills_total)"
expect "an early kill keeps its count" "$early" "$(value oom_kills_total cgroup=/early/a)"
expect "oom_kills_unlogged" 0 "$(value oom_kills_unlogged)"
remove_cgroup restart
