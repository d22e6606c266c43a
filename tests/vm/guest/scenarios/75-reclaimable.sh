# What the kernel can reclaim: three cgroups each hold one kind of memory,
# and the exporter's oom_cgroup_memory_working_set_bytes and
# oom_cgroup_memory_unreclaimable_bytes must say what each is. Page cache of
# the VM's disk (/dev/vda) read twice and read through a mapping counts in
# the usage and is almost all reclaimable, while the working set keeps its
# active part (pages read twice are active on the classic LRU, faulted
# pages on the multi-gen LRU of 6.12: one of the two halves is active on
# every kernel); anonymous memory and a tmpfs file are unreclaimable (no
# swap here). The next victim is named where unreclaimable memory is above
# 80 % of the limit, not where page cache fills it. v1 too (total_* keys,
# no slab counts).
[ -n "$EXPORTER_PID" ] || start_exporter
MIB=1048576

# expect_le CHECK MAX ACTUAL: ACTUAL is a number at most MAX.
expect_le() {
  if [ "$3" != none ] && awk -v a="$3" -v m="$2" 'BEGIN { exit !(a <= m) }'; then
    pass "$1"
  else
    fail "$1" "<= $2" "$3"
  fi
}

# The disk stays open until the end: at a block device's last close the
# kernel drops its page cache.
sleep 100000 </dev/vda &
holder=$!

# Page cache: 32 MiB read twice with dd and 16 MiB from 64 MiB on (away
# from dd's readahead: pages already cached stay as they are) read through
# a mapping, by processes that exit, in a 56 MiB cgroup (about 88 % full of
# page cache), where a 1 MiB sleeper waits: the only process, so the one
# the next-victim series would name.
make_cgroup rc-file 56
for pass in 1 2; do
  spawn rc-file 0 /bin/dd if=/dev/vda of=/dev/null bs=1M count=32
  wait $SPAWNED
  expect "dd reads 32 MiB of /dev/vda in /rc-file (pass $pass)" 0 $?
done
spawn rc-file 0 /bin/mapread /dev/vda 16 64
wait $SPAWNED
expect "mapread maps 16 MiB of /dev/vda in /rc-file" 0 $?
spawn_ready rc-file 0 /bin/sleeper 0 1
sleeper=$SPAWNED
wait_paused $sleeper

# Anonymous memory: a hog holding 32 MiB in a 36 MiB cgroup (89 %).
make_cgroup rc-anon 36
spawn_ready rc-anon 0 /bin/big 0 32
big=$SPAWNED
wait_paused $big

# Shmem: a 32 MiB file on tmpfs written by dd in the cgroup; it stays.
make_cgroup rc-shmem 0
spawn rc-shmem 0 /bin/dd if=/dev/zero of=/tmp/rc-shmem bs=1M count=32
wait $SPAWNED
expect "dd writes a 32 MiB tmpfs file in /rc-shmem" 0 $?

# One scrape for every check (the process collector's series with them).
wait_until 10 'v != "none"' oom_cgroup_next_victim_score cgroup=/rc-anon >/dev/null
SCRAPE=/tmp/reclaimable.scrape
scrape >$SCRAPE
for cgroup in rc-file rc-anon rc-shmem; do
  say "reclaimable: /$cgroup usage $(value oom_cgroup_memory_usage_bytes cgroup=/$cgroup)," \
    "working set $(value oom_cgroup_memory_working_set_bytes cgroup=/$cgroup)," \
    "unreclaimable $(value oom_cgroup_memory_unreclaimable_bytes cgroup=/$cgroup)"
done

usage=$(value oom_cgroup_memory_usage_bytes cgroup=/rc-file)
working=$(value oom_cgroup_memory_working_set_bytes cgroup=/rc-file)
unreclaimable=$(value oom_cgroup_memory_unreclaimable_bytes cgroup=/rc-file)
expect_ge "page cache: the usage counts the 48 MiB read" $((48 * MIB)) "$usage"
expect_le "page cache: unreclaimable below 4 MiB (the sleeper and kernel memory)" \
  $((4 * MIB)) "$unreclaimable"
expect_le "page cache: unreclaimable under a tenth of the usage" \
  "$(awk -v u="$usage" 'BEGIN { print u / 10 }')" "$unreclaimable"
# The active half is 32 MiB (classic LRU) or 16 MiB (multi-gen LRU); 12 MiB
# leaves room for pages of it that readahead had brought in before.
expect_ge "page cache: the working set keeps the active file pages (12 MiB or more above unreclaimable)" \
  $((12 * MIB)) "$(awk -v w="$working" -v n="$unreclaimable" 'BEGIN { print w - n }')"
expect_le "page cache: the working set is within the usage" "$usage" "$working"
expect "page cache at 88 % of the limit: no next victim" none \
  "$(value oom_cgroup_next_victim_score cgroup=/rc-file)"

expect_ge "anonymous: unreclaimable counts the 32 MiB held" $((32 * MIB)) \
  "$(value oom_cgroup_memory_unreclaimable_bytes cgroup=/rc-anon)"
expect_ge "anonymous: the working set counts the 32 MiB held" $((32 * MIB)) \
  "$(value oom_cgroup_memory_working_set_bytes cgroup=/rc-anon)"
expect "anonymous at 89 % of the limit: big (pid $big) is the next victim" 1 \
  "$(value oom_cgroup_next_victim_score cgroup=/rc-anon pid=$big comm=big |
    awk '{ print ($1 == "none") ? "none" : 1 }')"

expect_ge "tmpfs: unreclaimable counts the 32 MiB file" $((32 * MIB)) \
  "$(value oom_cgroup_memory_unreclaimable_bytes cgroup=/rc-shmem)"
expect_ge "tmpfs: the working set counts the 32 MiB file" $((32 * MIB)) \
  "$(value oom_cgroup_memory_working_set_bytes cgroup=/rc-shmem)"
SCRAPE=

# The page cache is reclaimable in fact: 40 MiB more anonymous memory fit
# in /rc-file (56 MiB, 50 of them charged) without an OOM kill, the kernel
# evicting page cache for it, and then unreclaimable counts them.
kills=$(kernel_kills)
spawn_ready rc-file 0 /bin/leaker 0 40
leaker=$SPAWNED
wait_paused $leaker
expect "page cache: 40 MiB more fit without a kill (leaker and sleeper alive, vmstat oom_kill unchanged)" \
  "0 0 $kills" "$(kill -0 $leaker; echo $?) $(kill -0 $sleeper; echo $?) $(kernel_kills)"
expect_ge "page cache: unreclaimable counts the 40 MiB taken since" $((41 * MIB)) \
  "$(wait_until 10 "v >= $((41 * MIB))" oom_cgroup_memory_unreclaimable_bytes cgroup=/rc-file)"

kill -9 $sleeper $leaker $big $holder
wait $sleeper $leaker $big $holder 2>/dev/null
rm -f /tmp/rc-shmem
remove_cgroup rc-file
remove_cgroup rc-anon
remove_cgroup rc-shmem
