# Measures, asserts nothing: the exporter's CPU time for 10 s while one
# cgroup v2 is signalled without pause (a leaker held above memory.high: the
# kernel throttles it and signals memory.events at each `high` event),
# against 10 s of the same exporter with no cgroup signalled, in the same
# VM. The cgroup watcher reads a signalled cgroup every millisecond for 15 ms
# after each signal (docs/cgroup-collector.md, "Short-lived cgroups").
#   tests/vm/run.sh --measure --no-systemd linux-image-6.12.100+deb12-amd64
if [ "$CGROUP_MODE" != v2 ]; then
  skip "cgroup v2 only"
  return 0
fi
[ -n "$EXPORTER_PID" ] || start_exporter
ticks() { awk '{ print $14 + $15 }' /proc/$EXPORTER_PID/stat; }
high_events() { awk '$1 == "high" { print $2 }' "$CG/cost/memory.events"; }
make_cgroup cost 0
echo $((8 * 1024 * 1024)) >"$CG/cost/memory.high"
t0=$(ticks)
usleep 10000000
idle=$(($(ticks) - t0))
spawn cost 0 /bin/leaker 50 200
leaker=$SPAWNED
usleep 1000000
e0=$(high_events)
t0=$(ticks)
usleep 10000000
busy=$(($(ticks) - t0))
events=$(($(high_events) - e0))
say "@@ MEASURE watcher-cost: exporter CPU over 10 s: $idle ticks idle, $busy ticks with one cgroup signalled ($events high events); $(getconf CLK_TCK 2>/dev/null || echo 100) ticks/s"
pass "measured"
kill -9 $leaker
wait $leaker
remove_cgroup cost
