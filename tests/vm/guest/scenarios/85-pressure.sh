# Memory pressure of a cgroup (v2 memory.pressure) moves while its tasks
# stall in reclaim at the limit; v1 has no such file: no series.
[ -n "$EXPORTER_PID" ] || start_exporter
oom_kill psi 24
if [ "$CGROUP_MODE" = v2 ]; then
  got=$(wait_until 10 'v > 0' oom_cgroup_memory_pressure_waiting_seconds_total cgroup=/psi)
  expect "memory.pressure some total above 0 after reclaim at the limit" yes \
    "$(awk -v a="$got" 'BEGIN { print (a > 0) ? "yes" : "no: " a }')"
  expect "the series matches the file" \
    "$(awk '/^some/ { split($5, t, "="); printf "%.6f\n", t[2] / 1e6 }' "$CG/psi/memory.pressure")" \
    "$(value oom_cgroup_memory_pressure_waiting_seconds_total cgroup=/psi | awk '{ printf "%.6f\n", $1 }')"
else
  expect "no cgroup pressure series on v1" none \
    "$(value oom_cgroup_memory_pressure_waiting_seconds_total)"
fi
remove_cgroup psi
