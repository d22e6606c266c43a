# One kill at a cgroup's limit, with the exporter running: counted once by
# the kernel log (victim, comm, cgroup, scope) and by the cgroup's events.
[ -n "$EXPORTER_PID" ] || start_exporter
make_cgroup app 32
oom_kill app/worker 0
expect "oom_kills_total: victim's cgroup and comm" 1 \
  "$(wait_value 10 1 oom_kills_total scope=memcg cgroup=/app/worker comm=hog)"
expect "oom_kills_unlogged" 0 "$(value oom_kills_unlogged)"
expect "memory events: oom_kill at the limited parent" 1 \
  "$(wait_value 10 1 oom_cgroup_memory_events_total cgroup=/app event=oom_kill)"
expect "memory events: oom_kill in the victim's cgroup" 1 \
  "$(value oom_cgroup_memory_events_total cgroup=/app/worker event=oom_kill)"
expect "/api/v1/kills names the victim" 1 \
  "$(wget -q -O - "$URL/api/v1/kills" | grep -c '"comm":"hog","scope":"memcg".*"cgroup":"/app/worker"')"
remove_cgroup app
