#!/usr/bin/env bash
# The deployment files of deploy/, checked offline (no systemd as PID 1, no
# Kubernetes, no Docker engine here):
# - yamllint over every YAML file of deploy/ and dashboards/;
# - the Kubernetes manifests against the Kubernetes and prometheus-operator
#   schemas (tests/deploy/validate-kubernetes.js), and the PrometheusRule
#   against its generator;
# - the systemd unit: `systemd-analyze verify` says nothing, its exposure
#   score is the one docs/deploy.md states, it keeps /dev/kmsg reachable, and every
#   system call and socket family the exporter uses passes its filters;
# - the compose demo: every file it mounts exists (tests/deploy/check-compose.py)
#   and its Prometheus configuration is valid;
# - the exporter itself, run as the unit runs it (a user that is not root
#   with CAP_SYSLOG alone) and as the containers run it (uid 0 with no
#   capability but CAP_SYSLOG), reads the real kernel log.

BINARY=${1:?usage: deploy_test.sh path/to/oom_exporter}
BINARY=$(realpath "$BINARY")
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh

CHECKS=0
UNIT=deploy/systemd/oom_exporter.service

# check DESCRIPTION COMMAND [ARGS...]: passes when COMMAND succeeds; its
# output is shown when it fails.
check() {
  local description=$1
  shift
  CHECKS=$((CHECKS + 1))
  if "$@" >"$E2E_TMP/out" 2>&1; then
    pass "$description"
  elif grep -q '^FAIL' "$E2E_TMP/out"; then
    fail "$description: $(grep '^FAIL' "$E2E_TMP/out")"
  else
    fail "$description: $(cat "$E2E_TMP/out")"
  fi
}

# silent COMMAND [ARGS...]: succeeds when COMMAND succeeds and prints nothing.
silent() {
  local output status=0
  output=$("$@" 2>&1) || status=$?
  [[ -z "$output" ]] && return "$status"
  echo "$output"
  return 1
}

need() {  # need COMMAND PACKAGE: fails the test when a tool is missing
  command -v "$1" >/dev/null && return 0
  CHECKS=$((CHECKS + 1))
  fail "$1 is missing: deploy/install-deps.sh --test installs $2"
  return 1
}

# --- YAML ---------------------------------------------------------------
if need yamllint yamllint; then
  check "yamllint deploy dashboards" yamllint --strict -c .yamllint deploy dashboards .yamllint
fi

# --- Kubernetes ---------------------------------------------------------
if need node nodejs; then
  if [[ -d tests/deploy/node_modules/kubernetes-models ]]; then
    check "Kubernetes manifests match their schemas (kubernetes-models)" \
      node tests/deploy/validate-kubernetes.js deploy/kubernetes
  else
    fail "tests/deploy/node_modules is missing: run deploy/install-deps.sh --test"
  fi
fi
deploy/kubernetes/make-prometheusrule.sh >"$E2E_TMP/prometheusrule.yaml"
check "prometheusrule.yaml is make-prometheusrule.sh's output (rerun it after editing deploy/prometheus/rules)" \
  diff -u deploy/kubernetes/prometheusrule.yaml "$E2E_TMP/prometheusrule.yaml"
# The rules themselves, and the same rules that the PrometheusRule carries.
check "promtool check rules deploy/prometheus/rules/*.yml" promtool check rules deploy/prometheus/rules/*.yml
# One image serves amd64 and arm64 nodes (tests/arm64/run.sh tests the arm64
# build): no manifest may tie the exporter to one CPU architecture, by a
# nodeSelector or node affinity on kubernetes.io/arch or a compose platform.
check "no manifest pins a CPU architecture (kubernetes.io/arch, platform, amd64)" \
  bash -c '! grep -rniE "kubernetes\.io/arch|platform:|amd64|x86" deploy/kubernetes deploy/compose'

# --- systemd ------------------------------------------------------------
if need systemd-analyze systemd; then
  # verify needs the unit's binary at its real path and the units it orders
  # itself against: a root directory with both, and the unit as it is.
  root=$E2E_TMP/root
  exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$UNIT")
  mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd" "$root$(dirname "$exec_path")"
  cp "$BINARY" "$root$exec_path"
  cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
  cp "$UNIT" "$root/etc/systemd/system/"
  check "systemd-analyze verify $UNIT prints nothing" \
    silent systemd-analyze verify --root="$root" --man=no "$(basename "$UNIT")"

  score=$(systemd-analyze security --offline=true --no-pager "$UNIT" 2>/dev/null |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  check "docs/deploy.md states the unit's exposure score ($score), as \"rates the unit **$score**\"" \
    grep -q "rates the unit \*\*${score:-none}\*\*" docs/deploy.md

  # Options that would take /dev/kmsg or the state file away.
  unit_option() { sed -n "s/^$1=//p" "$UNIT" | tail -n1; }
  keeps_kmsg() {
    [[ "$(unit_option PrivateDevices)" != yes && "$(unit_option ProtectKernelLogs)" != yes &&
      "$(unit_option PrivateUsers)" != yes && "$(unit_option DeviceAllow)" == "/dev/kmsg r" &&
      "$(unit_option CapabilityBoundingSet)" == CAP_SYSLOG && "$(unit_option AmbientCapabilities)" == CAP_SYSLOG ]]
  }
  check "the unit keeps /dev/kmsg and CAP_SYSLOG" keeps_kmsg
  state_dir=$(unit_option StateDirectory)
  check "the kmsg state file is in the unit's StateDirectory ($state_dir)" \
    grep -q "^ExecStart=.* --collector.kmsg.state-file=/var/lib/$state_dir/" "$UNIT"
  check "the unit does not hide processes from the exporter" \
    test -z "$(unit_option ProtectProc)$(unit_option ProcSubset)"
fi

# --- compose ------------------------------------------------------------
check "every path deploy/compose/compose.yaml mounts exists" \
  python3 tests/deploy/check-compose.py deploy/compose/compose.yaml
check "promtool check config deploy/compose/prometheus.yml" \
  promtool check config --syntax-only deploy/compose/prometheus.yml

# --- the exporter with the privileges the deployments give it -----------
# run_as runs the exporter on the real /proc, /sys and /dev/kmsg behind
# PREFIX (setpriv ...) and passes when every other collector succeeds and the
# kmsg collector's success is WANT_KMSG.
scrape_status() {  # scrape_status COLLECTOR: its oom_scrape_collector_success
  sed -n "s/^oom_scrape_collector_success{collector=\"$1\"} \\([01]\\)\$/\\1/p" "$E2E_TMP/metrics"
}
run_as() {  # run_as DESCRIPTION WANT_KMSG UID PREFIX...: UID owns the state directory
  local description=$1 want=$2 owner=$3
  shift 3
  local state=$E2E_TMP/state.$CHECKS
  install -d -o "$owner" -g "$owner" -m 0700 "$state"
  EXPORTER_PREFIX=("$@")
  start_exporter "--collector.kmsg.state-file=$state/kmsg.state"
  curl -s -o "$E2E_TMP/metrics" "http://127.0.0.1:$PORT/metrics"
  local kmsg others
  kmsg=$(scrape_status kmsg)
  # The other collectors, as "name=success ...": each should be 1.
  others=$(sed -n 's/^oom_scrape_collector_success{collector="\([a-z_]*\)"} \([01]\)$/\1=\2/p' "$E2E_TMP/metrics" |
    grep -v '^kmsg=' | tr '\n' ' ')
  stop_exporter || true
  EXPORTER_PREFIX=()
  CHECKS=$((CHECKS + 1))
  if [[ "$kmsg" == "$want" && -n "$others" && "$others" != *=0* ]]; then
    pass "$description: kmsg collector success $kmsg, others ${others% }"
  else
    fail "$description: kmsg=${kmsg:-none} (want $want), others ${others:-none}; log: $(tail -n 5 "$EXPORTER_LOG")"
  fi
}
if [[ $(id -u) -ne 0 ]] || ! command -v setpriv >/dev/null; then
  echo "skip: running the exporter with CAP_SYSLOG alone needs root and setpriv"
elif ! timeout 2 dd if=/dev/kmsg of=/dev/null bs=8192 count=1 status=none 2>/dev/null; then
  echo "skip: this machine's /dev/kmsg cannot be read even as root"
else
  # As the systemd unit: an unprivileged user, CAP_SYSLOG in the ambient set.
  chmod 0711 "$E2E_TMP"  # for the state directories of uid 65534
  run_as "as the systemd unit (uid 65534, ambient CAP_SYSLOG)" 1 65534 \
    setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
    --inh-caps=-all,+syslog --ambient-caps=-all,+syslog --bounding-set=-all,+syslog
  # As the DaemonSet and the compose service: uid 0, every capability but
  # CAP_SYSLOG dropped from the bounding set.
  run_as "as the containers (uid 0, bounding set CAP_SYSLOG)" 1 0 \
    setpriv --no-new-privs --inh-caps=-all --bounding-set=-all,+syslog
  # The control: without CAP_SYSLOG the kernel log is closed, so the two
  # runs above prove the capability is enough, not that none is needed.
  if [[ $(cat /proc/sys/kernel/dmesg_restrict) == 1 ]]; then
    run_as "without CAP_SYSLOG (uid 65534, no capability)" 0 65534 \
      setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all
  else
    echo "skip: kernel.dmesg_restrict=0 here, so CAP_SYSLOG makes no difference"
  fi
fi

# --- the unit's system call and address family filters -------------------
# Every system call the exporter makes while it starts, serves two scrapes
# and stops must pass the unit's SystemCallFilter (a refused one would fail
# with EPERM), and every socket it opens must be of a family
# RestrictAddressFamilies allows. An arm64 binary on another machine runs
# under QEMU (tests/arm64/run.sh), where strace would see QEMU's own system
# calls: QEMU's log of the program's arm64 ones (QEMU_STRACE, in strace's
# "PID name(args) = result" form) is read instead. QEMU names a call it does
# not emulate "Unknown syscall N": the number is looked up in the arm64
# sysroot's kernel headers ($QEMU_LD_PREFIX).
emulated=0
if [[ $(uname -m) != aarch64 ]] &&
  readelf -h "$BINARY" 2>/dev/null | grep -q 'Machine: *AArch64'; then
  emulated=1
fi
declare -A GROUPS_SEEN=()
expand() {  # expand @group|name...: the system call names, groups expanded
  local item
  for item in "$@"; do
    if [[ "$item" == @* ]]; then
      [[ -n "${GROUPS_SEEN[$item]:-}" ]] && continue
      GROUPS_SEEN[$item]=1
      # shellcheck disable=SC2046
      expand $(systemd-analyze syscall-filter "$item" | sed -n '2,$ { /^ *#/d; s/^ *//p }')
    else
      echo "$item"
    fi
  done
}
if ! command -v strace >/dev/null || ! command -v systemd-analyze >/dev/null; then
  fail "strace and systemd-analyze are needed: deploy/install-deps.sh --test installs them"
elif [[ $emulated == 0 ]] && ! strace -f -qq -o /dev/null true 2>/dev/null; then
  echo "skip: strace cannot trace here"
else
  allow=() deny=()
  while read -r line; do
    if [[ "$line" == "~"* ]]; then read -ra more <<<"${line#\~}" && deny+=("${more[@]}"); else read -ra more <<<"$line" && allow+=("${more[@]}"); fi
  done < <(sed -n 's/^SystemCallFilter=//p' "$UNIT")
  expand "${allow[@]}" | sort -u >"$E2E_TMP/allowed"
  GROUPS_SEEN=()
  expand "${deny[@]}" | sort -u >"$E2E_TMP/denied"
  comm -23 "$E2E_TMP/allowed" "$E2E_TMP/denied" >"$E2E_TMP/permitted"

  if [[ $emulated == 1 ]]; then
    EXPORTER_PREFIX=(env QEMU_STRACE=1 "QEMU_LOG_FILENAME=$E2E_TMP/strace.log")
  else
    EXPORTER_PREFIX=(strace -f -qq -o "$E2E_TMP/strace.log")
  fi
  start_exporter "--collector.kmsg.state-file=$E2E_TMP/strace.state"
  curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics"
  curl -s -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT/metrics"
  curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"
  # SIGTERM to the exporter, not to strace (which would let it go on alone);
  # env execs the exporter itself.
  if [[ $emulated == 1 ]]; then
    kill -TERM "$EXPORTER_PID"
  else
    kill -TERM "$(pgrep -P "$EXPORTER_PID" | head -n1)"
  fi
  wait "$EXPORTER_PID" || true
  EXPORTER_PID=""
  EXPORTER_PREFIX=()
  # "PID name(args) = result": the names, without strace's own notes.
  {
    sed -n 's/^[0-9]*  *\([a-z_0-9]*\)(.*/\1/p' "$E2E_TMP/strace.log"
    for number in $(sed -n 's/^[0-9]* Unknown syscall \([0-9]*\)$/\1/p' "$E2E_TMP/strace.log" | sort -u); do
      name=$(sed -n "s/^#define __NR_\([a-z_0-9]*\) $number\$/\1/p" \
        "${QEMU_LD_PREFIX:-}/usr/include/asm-generic/unistd.h" 2>/dev/null)
      echo "${name:-unknown-syscall-$number}"
    done
  } | sort -u >"$E2E_TMP/used"
  CHECKS=$((CHECKS + 1))
  refused=$(comm -23 "$E2E_TMP/used" "$E2E_TMP/permitted" | tr '\n' ' ')
  if [[ $(wc -l <"$E2E_TMP/used") -lt 10 ]]; then
    fail "strace saw no system calls: $(head -c 600 "$E2E_TMP/strace.log")"
  elif [[ -n "$refused" ]]; then
    fail "SystemCallFilter of $UNIT refuses system calls the exporter makes: $refused"
  else
    pass "SystemCallFilter allows all $(wc -l <"$E2E_TMP/used") system calls the exporter makes"
  fi
  # strace says AF_INET, QEMU PF_INET.
  families=$(sed -n 's/.* socket([AP]F_\([A-Z0-9]*\),.*/AF_\1/p' "$E2E_TMP/strace.log" | sort -u | tr '\n' ' ')
  allowed_families=" $(sed -n 's/^RestrictAddressFamilies=//p' "$UNIT") "
  CHECKS=$((CHECKS + 1))
  outside=""
  for family in $families; do
    [[ "$allowed_families" == *" $family "* ]] || outside+="$family "
  done
  if [[ -z "$families" ]]; then
    fail "strace saw no socket() call"
  elif [[ -n "$outside" ]]; then
    fail "RestrictAddressFamilies of $UNIT refuses socket families the exporter uses: $outside"
  else
    pass "RestrictAddressFamilies allows the exporter's sockets ($families)"
  fi
fi

finish deploy_test "$CHECKS"
