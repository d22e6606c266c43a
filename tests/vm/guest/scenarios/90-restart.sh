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
expect "the kill while it was down is counted" 1 \
  "$(wait_value 10 1 oom_kills_total cgroup=/restart/a comm=hog)"
expect "earlier kills are not counted again" $((logged + 1)) "$(value oom_logged_kills_total)"
expect "an early kill keeps its count" "$early" "$(value oom_kills_total cgroup=/early/a)"
expect "oom_kills_unlogged" 0 "$(value oom_kills_unlogged)"
remove_cgroup restart
