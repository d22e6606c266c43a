# Shared by the VM's /init and its scenarios (busybox sh). Every result is
# one line on the console that tests/vm/run.sh reads:
#   @@ PASS <scenario>: <check>
#   @@ FAIL <scenario>: <check>: expected <x>, got <y>
#   @@ SKIP <scenario>: <why>
# and "@@ DONE" when every scenario ran.

URL=http://127.0.0.1:9968
STATE=/var/lib/oom_exporter/kmsg.state
SCENARIO=${SCENARIO:-init}
FAILED=0

say() { echo "$*"; }

pass() { say "@@ PASS $SCENARIO: $1"; }
fail() {
  say "@@ FAIL $SCENARIO: $1: expected $2, got $3"
  FAILED=1
}
skip() { say "@@ SKIP $SCENARIO: $*"; }

# expect CHECK EXPECTED ACTUAL
expect() {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "$2" "$3"; fi
}

# expect_ge CHECK MIN ACTUAL: ACTUAL is a number at least MIN.
expect_ge() {
  if [ "$3" != none ] && awk -v a="$3" -v m="$2" 'BEGIN { exit !(a >= m) }'; then
    pass "$1"
  else
    fail "$1" ">= $2" "$3"
  fi
}

scrape() { timeout 10 wget -q -O - "$URL/metrics"; }

# value NAME [KEY=VALUE...]: the sum of the series of NAME whose labels
# include every KEY="VALUE" given, from one scrape (or from $SCRAPE when
# set); "none" when no series matches.
value() {
  local name=$1
  shift
  { if [ -n "${SCRAPE:-}" ]; then cat "$SCRAPE"; else scrape; fi; } |
    awk -v name="$name" -v want="$*" '
      BEGIN { n = split(want, pairs, " ") }
      substr($0, 1, 1) == "#" { next }
      {
        metric = $1
        labels = ""
        brace = index(metric, "{")
        if (brace > 0) {
          labels = substr($0, brace, index($0, "} ") - brace + 1)
          metric = substr(metric, 1, brace - 1)
        }
        if (metric != name) next
        for (i = 1; i <= n; i++) {
          eq = index(pairs[i], "=")
          key = substr(pairs[i], 1, eq - 1)
          val = substr(pairs[i], eq + 1)
          pattern = key "=\"" val "\""
          if (index(labels, "{" pattern) == 0 && index(labels, "," pattern) == 0) next
        }
        sum += $NF
        found = 1
      }
      END { if (found) printf "%.15g\n", sum; else print "none" }'
}

# wait_until SECONDS CONDITION NAME [KEY=VALUE...]: scrapes until the value
# v meets CONDITION (awk, e.g. 'v > 0' or 'v != "none"') or SECONDS have
# passed; prints the last value.
wait_until() {
  local seconds=$1 condition=$2 got
  shift 2
  local deadline=$(($(date +%s) + seconds))
  while :; do
    got=$(value "$@")
    if awk -v v="$got" "BEGIN { exit !($condition) }" ||
      [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$got"
      return
    fi
    usleep 100000
  done
}

# wait_value SECONDS EXPECTED NAME [KEY=VALUE...]: wait_until the value is
# EXPECTED (a number, or "none").
wait_value() {
  local seconds=$1 expected=$2
  shift 2
  wait_until "$seconds" "v == \"$expected\"" "$@"
}

# start_exporter [FLAG...]: starts it on $URL with the state file, waits
# until it answers, and protects it from the OOM killer (it must outlive the
# scenarios' node-wide OOMs).
start_exporter() {
  /bin/oom_exporter --web.listen-address=127.0.0.1:9968 \
    --collector.kmsg.state-file="$STATE" "$@" >>/tmp/exporter.log 2>&1 &
  EXPORTER_PID=$!
  echo -1000 >/proc/$EXPORTER_PID/oom_score_adj
  local deadline=$(($(date +%s) + 60))
  until timeout 5 wget -q -O /dev/null "$URL/healthz" 2>/dev/null; do
    if ! kill -0 "$EXPORTER_PID" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      fail "exporter starts" "an answer on /healthz" "none"
      tail -20 /tmp/exporter.log
      return 1
    fi
    usleep 50000
  done
}

stop_exporter() {
  kill -TERM "$EXPORTER_PID" 2>/dev/null
  wait "$EXPORTER_PID" 2>/dev/null
  EXPORTER_PID=
}

# The memory hierarchy's mount point and the names of its files.
if [ "$CGROUP_MODE" = v1 ]; then
  CG=/sys/fs/cgroup/memory
  LIMIT_FILE=memory.limit_in_bytes
else
  CG=/sys/fs/cgroup
  LIMIT_FILE=memory.max
fi

# make_cgroup PATH LIMIT_MIB: a memory cgroup with that limit (0: none),
# its parents made as needed, memory delegated down to it on v2.
make_cgroup() {
  local path=$1 limit=$2 dir=$CG part
  for part in $(echo "$path" | tr / ' '); do
    [ "$CGROUP_MODE" = v1 ] || echo +memory >"$dir/cgroup.subtree_control" 2>/dev/null
    dir=$dir/$part
    mkdir -p "$dir"
  done
  [ "$limit" = 0 ] || echo $((limit * 1024 * 1024)) >"$dir/$LIMIT_FILE"
}

# The kernel prints the header of an OOM kill (and its "oom-kill:" summary,
# which names the cgroup) at most 10 times in 5 s; past that, a kill has its
# kill line only, and the log does not say its cgroup. wait_header_budget
# waits until fewer than 9 headers were printed in the last 6 s, so that the
# next OOM gets its header (unless HEADER_BUDGET=off, for the burst).
wait_header_budget() {
  [ "${HEADER_BUDGET:-on}" = off ] && return
  local deadline=$(($(date +%s) + 10))
  while [ "$(dmesg | awk -v now="$(cut -d' ' -f1 /proc/uptime)" '
      /invoked oom-killer/ { t = substr($0, 2, index($0, "]") - 2) + 0; if (t > now - 6) n++ }
      END { print n + 0 }')" -ge 9 ] && [ "$(date +%s)" -lt "$deadline" ]; do
    usleep 200000
  done
}

# spawn PATH [ADJ] CMD...: runs CMD in cgroup PATH in the background with
# oom_score_adj ADJ (a number), leaving its pid in $SPAWNED; first waits for
# the kernel's header budget (above).
spawn() {
  wait_header_budget
  local path=$1 adj=0
  shift
  case $1 in -* | [0-9]*) adj=$1; shift ;; esac
  sh -c 'echo $$ >"$1/cgroup.procs" && echo "$2" >/proc/self/oom_score_adj &&
    shift 2 && exec "$@"' spawn "$CG/$path" "$adj" "$@" &
  SPAWNED=$!
}

# spawn_ready PATH [ADJ] CMD...: spawn, then waits until CMD runs (its comm
# shows in /proc), so that it is in the cgroup before the next step.
spawn_ready() {
  spawn "$@"
  local comm deadline=$(($(date +%s) + 10))
  comm=$(for a in "$@"; do case $a in /*) basename "$a"; break ;; esac; done)
  while [ "$(cat /proc/$SPAWNED/comm 2>/dev/null)" != "$comm" ] &&
    [ "$(date +%s)" -lt "$deadline" ]; do
    usleep 10000
  done
}

# wait_paused PID: waits (60 s at most) until the process sleeps in pause()
# (state S), the hog's state once it holds all its memory.
wait_paused() {
  local deadline=$(($(date +%s) + 60))
  while [ "$(awk '{ print $3 }' /proc/$1/stat)" != S ] &&
    [ "$(date +%s)" -lt "$deadline" ]; do
    usleep 50000
  done
}

# expect_killed CHECK PID: waits for PID (a child of this shell) to end and
# expects the status of a SIGKILL (137).
expect_killed() {
  wait "$2"
  expect "$1" 137 $?
}

# oom_kill PATH LIMIT_MIB [COMM]: makes the cgroup, runs a hog in it
# (named COMM, default hog) and checks that the kernel kills it.
oom_kill() {
  make_cgroup "$1" "$2"
  spawn "$1" 0 "/bin/${3:-hog}"
  expect_killed "the kernel kills ${3:-hog} in /$1" "$SPAWNED"
}

# remove_cgroup PATH: removes it and any cgroups below it, deepest first.
remove_cgroup() {
  find "$CG/$1" -depth -type d -exec rmdir {} \; 2>/dev/null
}

# The kernel's own count of kills so far (/proc/vmstat oom_kill).
kernel_kills() { awk '$1 == "oom_kill" { print $2 }' /proc/vmstat; }

# The kernel's version as a number: 5.10 -> 510, 6.12 -> 612.
kernel_version() {
  uname -r | awk -F'[.-]' '{ print $1 * 100 + $2 }'
}
