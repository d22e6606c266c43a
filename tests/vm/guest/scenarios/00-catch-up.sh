# Kills before the exporter starts: it must find them in the kernel ring
# (replay) and count each once, with its cgroup.
oom_kill early/a 24
oom_kill early/b 24
remove_cgroup early
start_exporter
expect "first kill counted once from the ring" 1 \
  "$(wait_value 10 1 oom_kills_total cgroup=/early/a comm=hog)"
expect "second kill counted once from the ring" 1 \
  "$(value oom_kills_total cgroup=/early/b comm=hog)"
expect "no kill without a log line" 0 "$(value oom_kills_unlogged)"
expect "oom_kernel_kills_total is /proc/vmstat's" "$(kernel_kills)" \
  "$(value oom_kernel_kills_total)"
