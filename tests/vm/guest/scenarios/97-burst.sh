# A burst of kills faster than the kernel's rate limit on OOM headers (10
# per 5 s): the kills beyond it have a kill line but no header and no
# summary, so the log does not say their cgroup. Kills go on until the
# kernel has left out at least two headers (at most 40 kills); each is
# counted once, and none is "unlogged".
[ -n "$EXPORTER_PID" ] || start_exporter
before=$(value oom_logged_kills_total scope=memcg)
kernel_before=$(kernel_kills)
# Kill lines and headers since the burst began, by their kernel timestamps.
since=$(cut -d' ' -f1 /proc/uptime)
count_since() {
  dmesg | awk -v since="$since" -v text="$1" '
    index($0, text) { t = substr($0, 2, index($0, "]") - 2) + 0; if (t >= since) n++ }
    END { print n + 0 }'
}
HEADER_BUDGET=off
n=0
suppressed=0
while [ $suppressed -lt 2 ] && [ $n -lt 40 ]; do
  n=$((n + 1))
  oom_kill burst/c$n 16
  suppressed=$(($(count_since 'Killed process') - $(count_since 'invoked oom-killer')))
done
HEADER_BUDGET=on
say "burst: $n kills, $suppressed of them without a header"
expect_ge "the kernel left out headers" 2 $suppressed
expect "the kernel counted $n kills" $n $(($(kernel_kills) - kernel_before))
expect "$n kills in oom_logged_kills_total{scope=memcg}" $((before + n)) \
  "$(wait_value 10 $((before + n)) oom_logged_kills_total scope=memcg)"
expect_ge "kills without a header counted under cgroup=\"\"" $suppressed \
  "$(value oom_kills_total cgroup=)"
expect "oom_kills_unlogged" 0 "$(value oom_kills_unlogged)"
expect "each cgroup's own oom_kill event (memory.events)" $n \
  "$(value oom_cgroup_memory_events_total cgroup=/burst event=oom_kill)"
remove_cgroup burst
