# Captures real cgroup v2 memory.stat samples (tests/fixtures/memory-stat/,
# see "memory.stat samples" in tests/fixtures/README.md): in a VM of
# tests/vm, three cgroups each holding one kind of memory, and for each
# memory.stat and memory.current read at the same moment, printed on the
# console as a base64 gzip'd tar between "@@ CAPTURE BEGIN <sha256>" and
# "@@ CAPTURE END". Not a CI scenario: it runs as the only scenario of a
# private copy of tests/vm, as capture-cgroup-v2.sh does (the commands are
# in tests/fixtures/README.md). Cgroup v2 only.
if [ "$CGROUP_MODE" != v2 ]; then
  skip "the capture is of cgroup v2 files"
  return 0
fi
MIB=1048576
HELD_MIB=32
series=$(uname -r | cut -d. -f1,2)
stage=/tmp/memory-stat
rm -rf $stage
mkdir -p $stage

# sample NAME CGROUP: memory.stat as linux-<series>-v2-NAME.stat and
# memory.current as NAME.usage, read again until memory.current is the same
# before and after memory.stat (nothing was charged in between).
sample() {
  local dir=$CG/$2 base=$stage/linux-$series-v2-$1 before after tries=0
  while :; do
    before=$(cat "$dir/memory.current")
    cat "$dir/memory.stat" >"$base.stat"
    after=$(cat "$dir/memory.current")
    tries=$((tries + 1))
    [ "$before" = "$after" ] || [ $tries -ge 20 ] && break
  done
  echo "$after" >"$base.usage"
  expect "$1: memory.current unchanged across the read of memory.stat" "$before" "$after"
}

# anon: the hog holding HELD_MIB MiB of anonymous memory, alive.
make_cgroup memstat-anon 0
spawn_ready memstat-anon 0 /bin/hog 0 $HELD_MIB
anon=$SPAWNED
wait_paused $anon
expect "pid $anon holds its memory and waits" S "$(awk '{ print $3 }' /proc/$anon/stat)"
sample anon memstat-anon

# file: the first HELD_MIB MiB of /dev/vda (a virtio disk backed by a file
# on the host) read twice by dd, which then exits: page cache only. A
# process outside the cgroup holds the disk open all along, as a mounted
# filesystem does: at a block device's last close the kernel drops its
# page cache.
expect "/dev/vda is a block device" yes "$([ -b /dev/vda ] && echo yes || echo no)"
sleep 100000 </dev/vda &
holder=$!
make_cgroup memstat-file 0
for pass in 1 2; do
  spawn memstat-file 0 /bin/dd if=/dev/vda of=/dev/null bs=1M count=$HELD_MIB
  wait $SPAWNED
  expect "file: dd read /dev/vda (pass $pass)" 0 $?
done
sample file memstat-file

# shmem: a HELD_MIB MiB file written on tmpfs (/tmp) by dd, which then
# exits: the file stays, charged to the cgroup as shmem.
make_cgroup memstat-shmem 0
spawn memstat-shmem 0 /bin/dd if=/dev/zero of=/tmp/memstat-shmem bs=1M count=$HELD_MIB
wait $SPAWNED
expect "shmem: dd wrote the tmpfs file" 0 $?
sample shmem memstat-shmem

(cd $stage && tar cf - .) | gzip -9 >/tmp/memory-stat.tar.gz
say "@@ CAPTURE BEGIN $(sha256sum /tmp/memory-stat.tar.gz | cut -d' ' -f1)"
base64 /tmp/memory-stat.tar.gz
say "@@ CAPTURE END"

kill -9 $anon $holder
wait $anon $holder 2>/dev/null
rm -f /tmp/memstat-shmem
remove_cgroup memstat-anon
remove_cgroup memstat-file
remove_cgroup memstat-shmem
