# A burst of kills faster than the kernel's rate limit on OOM headers (10
# per 5 s): the kills beyond it have a kill line but no header and no
# summary, so the log does not say their cgroup. Each is still counted once,
# and none is "unlogged".
[ -n "$EXPORTER_PID" ] || start_exporter
before=$(value oom_logged_kills_total scope=memcg)
kernel_before=$(kernel_kills)
HEADER_BUDGET=off
i=1
while [ $i -le 14 ]; do
  oom_kill burst/c$i 16
  i=$((i + 1))
done
HEADER_BUDGET=on
expect_ge "kills whose header the kernel suppressed (no cgroup in the log)" 4 \
  "$(wait_until 10 'v >= 4' oom_kills_total cgroup=)"
expect "the kernel counted 14 kills" 14 $(($(kernel_kills) - kernel_before))
expect "14 kills in oom_logged_kills_total{scope=memcg}" $((before + 14)) \
  "$(wait_value 10 $((before + 14)) oom_logged_kills_total scope=memcg)"
expect "oom_kills_unlogged" 0 "$(value oom_kills_unlogged)"
expect "each cgroup's own oom_kill event (memory.events)" 14 \
  "$(value oom_cgroup_memory_events_total cgroup=/burst event=oom_kill)"
remove_cgroup burst
