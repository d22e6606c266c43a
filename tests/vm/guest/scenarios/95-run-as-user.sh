# Started as root with --run-as-user=nobody on a kernel with
# kernel.dmesg_restrict=1 (Debian's default): the kernel log is opened as
# root, then every thread runs as nobody, and kills are still counted.
[ -n "$EXPORTER_PID" ] && stop_exporter
echo 1 >/proc/sys/kernel/dmesg_restrict
expect "kernel.dmesg_restrict" 1 "$(cat /proc/sys/kernel/dmesg_restrict)"
# The state file's directory, as systemd's StateDirectory= would make it.
chown nobody:nogroup /var/lib/oom_exporter
start_exporter --run-as-user=nobody
expect "the exporter runs as nobody" "65534 65534" \
  "$(awk '/^Uid:/ { print $2, $3 }' /proc/$EXPORTER_PID/status)"
expect "with no capabilities" 0000000000000000 \
  "$(awk '/^CapEff:/ { print $2 }' /proc/$EXPORTER_PID/status)"
oom_kill asuser 24
expect "a kill after the switch is counted" 1 \
  "$(wait_value 10 1 oom_kills_total cgroup=/asuser comm=hog)"
for collector in memory kmsg process cgroup; do
  expect "collector $collector succeeds" 1 \
    "$(value oom_scrape_collector_success collector=$collector)"
done
expect "oom_kills_unlogged" 0 "$(value oom_kills_unlogged)"
stop_exporter
expect "the state file is saved as nobody" "nobody" "$(stat -c %U "$STATE")"
start_exporter
remove_cgroup asuser
