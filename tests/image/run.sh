#!/usr/bin/env bash
# The container image as users get it: builds the project's Dockerfile with
# buildah (deploy/image/build.sh, no Docker engine) for amd64 and arm64, and
# runs each image with podman the way deploy/kubernetes/daemonset.yaml runs
# it: the DaemonSet's own arguments, uid 0 with every capability dropped but
# CAP_SYSLOG, no new privileges, a read-only root, the host's PID namespace,
# a network namespace of its own (as a pod's), the host's /proc, /sys and
# /dev/kmsg, and a host directory as the state directory. Then, from the
# host:
#   - the image: its labels, health check, user, port and architecture, and
#     that it holds exactly the binary, the libraries it loads (ld.so's own
#     list, LD_DEBUG=files), the loader, their copyright files, /etc/passwd
#     and /etc/group, and the state directory;
#   - every collector's oom_scrape_collector_success is 1;
#   - a real OOM kill, provoked in a 32 MiB memory cgroup of the host, shows
#     up in the container's /metrics (oom_kills_total with its comm and
#     cgroup) and /api/v1/kills;
#   - the container replaced by a new one on the same state directory counts
#     the kill once, not twice and not zero times;
#   - the image's health check (podman healthcheck run) passes, and fails
#     (status 1) in a container where no exporter answers.
# The arm64 image runs the same checks under qemu-user (binfmt_misc); the
# kernel is this machine's either way.
#   tests/image/run.sh                  amd64, then arm64
#   tests/image/run.sh --arch amd64     one of them
# Needs root, a memory controller and a runtime podman can use. Without
# them it says why and exits 77 (skipped); when required
# (OOM_IMAGE_REQUIRED=1, which .ci/run sets, or CI=true) that is a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# check, fail, finish, $E2E_TMP and the memory cgroup helpers.
source tests/e2e/lib.sh

arches=(amd64 arm64)
case "${1:-}" in
  --arch) arches=("${2:?--arch needs amd64 or arm64}") ;;
  --arch=*) arches=("${1#--arch=}") ;;
  "") ;;
  *) echo "usage: $0 [--arch amd64|arm64]" >&2; exit 2 ;;
esac

skip() {
  if [[ ${OOM_IMAGE_REQUIRED:-} == 1 || ${CI:-} == true ]]; then
    echo "image: FAIL: required here, but $*" >&2
    exit 1
  fi
  echo "image: skipped: $*"
  exit 77
}

[[ $(id -u) -eq 0 ]] || skip "building and running images with buildah and podman needs root"
deploy/install-deps.sh --image >/dev/null
find_memory_controller || skip "$MEMCG_MISSING, to provoke an OOM kill in"

NAME="oomx-image-$$"
CGROUP_DIR="$CGROOT/oomx-image-$$"
MOUNTED=""
image_cleanup() {
  podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
  [[ -z "$MOUNTED" ]] || podman image unmount "$MOUNTED" >/dev/null 2>&1 || true
  remove_memory_cgroup "$CGROUP_DIR"
  cleanup  # lib.sh's: $E2E_TMP
}
trap image_cleanup EXIT

equals() { [[ "$1" == "$2" ]] || { echo "  got '$1', want '$2'" >&2; return 1; }; }

# The DaemonSet's container, read from the manifest so that the two cannot
# drift apart: its arguments, and the settings this script reproduces.
manifest=deploy/kubernetes/daemonset.yaml
mapfile -t ARGS < <(sed -n '/^ *args:/,/^ *[a-z]*:$/ s/^ *- \(--.*\)$/\1/p' "$manifest")
state_dir=$(sed -n 's/^ *- --collector.kmsg.state-file=\(.*\)\/[^/]*$/\1/p' "$manifest")
check "the DaemonSet passes arguments (${ARGS[*]})" test "${#ARGS[@]}" -ge 3
for setting in 'hostPID: true' 'runAsUser: 0' 'readOnlyRootFilesystem: true' \
  'allowPrivilegeEscalation: false' 'drop: \[ALL\]' 'add: \[SYSLOG\]' \
  'mountPath: /host/proc' 'mountPath: /host/sys' 'mountPath: /dev/kmsg'; do
  check "the DaemonSet has '$setting', as this script runs the image" grep -q "$setting" "$manifest"
done

version=$(sed -n 's/^project(oom_exporter VERSION \([0-9.]*\) .*/\1/p' CMakeLists.txt)
revision=$(git rev-parse --short=12 HEAD)
podman_run=(podman --runtime runc)
# RLIMIT_NPROC and RLIMIT_NOFILE set by hand: root here lacks
# CAP_SYS_RESOURCE, and runc refuses podman's defaults (on our CI machines
# it also refuses nproc above 32768, although `ulimit -Hu` says 96367).
# The exporter runs a few threads; the count is the host's root's.
nproc=$(ulimit -Hu)
[[ "$nproc" == unlimited || "$nproc" -gt 16384 ]] && nproc=16384
ulimits=(--ulimit "nofile=1024:1024" --ulimit "nproc=$nproc:$nproc")
# start_container IMAGE: runs it as the DaemonSet does, in a network
# namespace of its own (as a pod's) on its default port, published on a
# port of 127.0.0.1 that podman chooses; sets PORT to that one once the
# exporter's "listening" log line is there.
start_container() {
  "${podman_run[@]}" run -d --name "$NAME" --pid host \
    --user 0:0 --cap-drop all --cap-add SYSLOG --security-opt no-new-privileges \
    --read-only --read-only-tmpfs=false "${ulimits[@]}" \
    --health-interval disable -p 127.0.0.1::9968 \
    -v /proc:/host/proc:ro -v /sys:/host/sys:ro --device /dev/kmsg:/dev/kmsg:r \
    -v "$E2E_TMP/state:$state_dir" \
    "$1" "${ARGS[@]}" >/dev/null 2>"$E2E_TMP/run.err" || {
    cat "$E2E_TMP/run.err" >&2
    return 1
  }
  PORT=""
  for _ in $(seq 1 600); do
    if podman logs "$NAME" 2>&1 | grep -q 'msg=listening address=:9968 '; then
      PORT=$(podman port "$NAME" 9968/tcp | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p')
      [[ -n "$PORT" ]] && return 0
      break
    fi
    [[ "$(podman inspect -f '{{.State.Running}}' "$NAME")" == true ]] || break
    sleep 0.1
  done
  echo "the container did not start listening (published port: $(podman port "$NAME" 2>&1)); its log:" >&2
  podman logs "$NAME" >&2 || true
  return 1
}
# (Without systemd, podman logs that it cannot remove the health check's
# timer: nothing to see.)
stop_container() { podman rm -f -t 10 "$NAME" >/dev/null 2>&1; }

scrape() { curl -fsS "http://127.0.0.1:$PORT/metrics"; }
# kills_of COMM: the value of oom_kills_total for that comm (0 if none).
kills_of() {
  scrape | awk -v comm="$1" '$1 ~ /^oom_kills_total\{/ && index($1, "comm=\"" comm "\"") { n += $2 } END { print n + 0 }'
}

run_image_checks() {
  local arch=$1 image
  echo "== $arch: deploy/image/build.sh --arch $arch"
  local started=$SECONDS
  image=$(deploy/image/build.sh --arch "$arch" --tag "localhost/oom_exporter:test-$arch" 2>"$E2E_TMP/build-$arch.log" | tail -n1) || {
    tail -n 40 "$E2E_TMP/build-$arch.log" >&2
    fail "$arch: the image builds"
    return
  }
  echo "built $image in $((SECONDS - started)) s"
  # Whether podman can run a container here at all, on the build's base.
  if ! "${podman_run[@]}" run --rm "${ulimits[@]}" docker.io/library/debian:bookworm true >"$E2E_TMP/probe" 2>&1; then
    skip "podman cannot run a container here: $(grep -v 'systemd connection' "$E2E_TMP/probe" | tail -n 3)"
  fi
  # Its size unpacked, and gzipped as a registry stores its layers (the
  # "compressed size" Docker Hub shows).
  local size gzipped
  size=$(podman image inspect -f '{{.Size}}' "$image")
  gzipped=$(podman save --quiet --format docker-archive "$image" 2>/dev/null | gzip -6 | wc -c)
  echo "$arch: image size $size bytes unpacked, $gzipped gzipped ($(awk -v a="$size" -v b="$gzipped" 'BEGIN { printf "%.1f MB, %.1f MB", a / 1e6, b / 1e6 }'))"

  # Its configuration.
  label() { podman image inspect -f "{{index .Labels \"org.opencontainers.image.$1\"}}" "$image"; }
  check "$arch: architecture" equals "$(podman image inspect -f '{{.Architecture}}' "$image")" "$arch"
  check "$arch: label version is CMakeLists.txt's" equals "$(label version)" "$version"
  check "$arch: label revision is HEAD's" equals "$(label revision)" "$revision"
  check "$arch: label licenses" test -n "$(label licenses)"
  check "$arch: label title" equals "$(label title)" oom_exporter
  check "$arch: runs as nobody by default" equals "$(podman image inspect -f '{{.User}}' "$image")" 65534:65534
  check "$arch: exposes 9968" equals "$(podman image inspect -f '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}' "$image")" "9968/tcp "
  check "$arch: health check runs the binary" equals \
    "$(podman image inspect -f '{{json .Config.Healthcheck.Test}}' "$image")" '["CMD","/usr/bin/oom_exporter","--healthcheck"]'

  # Its files: nothing the binary does not load.
  local root
  root=$(podman image mount "$image")
  MOUNTED=$image
  (cd "$root" && find . ! -type d | sed 's#^\./#/#' | sort) >"$E2E_TMP/files-$arch"
  (cd "$root" && find . -type d -empty | sed 's#^\./#/#' | sort) >"$E2E_TMP/empty-dirs-$arch"
  check "$arch: the binary is for $arch" grep -q "Machine: *$([[ $arch == amd64 ]] && echo 'Advanced Micro Devices X86-64' || echo AArch64)" \
    <(readelf -h "$root/usr/bin/oom_exporter")
  podman image unmount "$image" >/dev/null
  MOUNTED=""
  # ld.so's own list of what it loads: the soname X of every "file=X [0];
  # generating link map" line of LD_DEBUG=files.
  "${podman_run[@]}" run --rm "${ulimits[@]}" -e LD_DEBUG=files "$image" --version \
    >"$E2E_TMP/version-$arch" 2>"$E2E_TMP/ld-debug-$arch" || true
  check "$arch: --version runs in the image" grep -q "^oom_exporter $version (revision $revision)" "$E2E_TMP/version-$arch"
  grep -o 'file=[^ ]* \[0\];  generating link map' "$E2E_TMP/ld-debug-$arch" |
    sed 's/file=\([^ ]*\) .*/\1/' | sort -u >"$E2E_TMP/loaded-sonames-$arch"
  local expected
  expected=$({
    echo /usr/bin/oom_exporter
    echo /etc/passwd
    echo /etc/group
    # Each loaded soname, where the image has it.
    while read -r soname; do grep "/$soname\$" "$E2E_TMP/files-$arch" | grep -v '^/usr/share/doc/' || true; done <"$E2E_TMP/loaded-sonames-$arch"
    # The loader, at the path the binary asks for.
    grep -E '^/lib(64)?/ld-linux' "$E2E_TMP/files-$arch" || true
    grep '^/usr/share/doc/[^/]*/copyright$' "$E2E_TMP/files-$arch"
  } | sort -u)
  check "$arch: ld.so loads $(wc -l <"$E2E_TMP/loaded-sonames-$arch") libraries" test "$(wc -l <"$E2E_TMP/loaded-sonames-$arch")" -ge 10
  check "$arch: the image holds only the binary, what it loads and their copyright files" \
    diff <(echo "$expected") "$E2E_TMP/files-$arch"
  check "$arch: and the state directory, empty" equals "$(cat "$E2E_TMP/empty-dirs-$arch")" /var/lib/oom_exporter

  # Run as the DaemonSet runs it.
  rm -rf "$E2E_TMP/state" && mkdir -p "$E2E_TMP/state"
  start_container "$image" || { fail "$arch: the container starts"; return; }
  echo "$arch: listening on :9968, published on 127.0.0.1:$PORT (kernel.dmesg_restrict=$(cat /proc/sys/kernel/dmesg_restrict))"
  scrape >"$E2E_TMP/scrape-$arch" || fail "$arch: scrape"
  # Every collector enabled by default, as the image's --help lists them.
  local collectors
  collectors=$("${podman_run[@]}" run --rm "${ulimits[@]}" "$image" --help 2>/dev/null |
    sed -n 's/^ *--\[no-\]collector\.\([a-z]*\) .*(default: enabled)$/\1/p' | tr '\n' ' ')
  check "$arch: --help lists the collectors ($collectors)" test "$(wc -w <<<"$collectors")" -ge 4
  for c in $collectors; do
    check "$arch: collector $c succeeds" grep -qx "oom_scrape_collector_success{collector=\"$c\"} 1" "$E2E_TMP/scrape-$arch"
  done
  check "$arch: the health check passes" podman healthcheck run "$NAME"

  # A real OOM kill in a small memory cgroup of the host.
  local comm="oomimg_$arch"
  cp "$(command -v tail)" "$E2E_TMP/$comm"
  make_memory_cgroup "$CGROUP_DIR" 32M
  local before
  before=$(kills_of "$comm")
  # tail keeps the one endless line of /dev/zero in memory until the
  # kernel kills it: SIGKILL, exit status 137.
  local status=0
  { sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" /dev/zero' sh "$CGROUP_DIR" "$E2E_TMP/$comm"; } >/dev/null 2>&1 || status=$?
  check "$arch: the kernel killed $comm (exit status $status)" equals "$status" 137
  local kills=""
  for _ in $(seq 1 150); do
    kills=$(kills_of "$comm")
    [[ "$kills" == "$before" ]] || break
    sleep 0.2
  done
  check "$arch: oom_kills_total counts the kill once" equals "$kills" $((before + 1))
  local cgroup="/${CGROUP_DIR##*/}"
  check "$arch: oom_kills_total names its cgroup $cgroup" grep -qF "comm=\"$comm\"" \
    <(scrape | grep '^oom_kills_total{' | grep -F "cgroup=\"$cgroup\"")
  curl -fsS "http://127.0.0.1:$PORT/api/v1/kills" >"$E2E_TMP/kills-$arch.json" || true
  check "$arch: /api/v1/kills lists it with comm and cgroup" node -e '
    const {kills} = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const k = kills.filter((k) => k.comm === process.argv[2]);
    process.exit(k.length >= 1 && k[k.length - 1].cgroup === process.argv[3] ? 0 : 1);' \
    "$E2E_TMP/kills-$arch.json" "$comm" "$cgroup"
  remove_memory_cgroup "$CGROUP_DIR"

  # A new container on the same state directory, as a replaced pod.
  stop_container
  start_container "$image" || { fail "$arch: the container starts again"; return; }
  check "$arch: after a restart the kill is counted once" equals "$(kills_of "$comm")" $((before + 1))
  check "$arch: the state file is in the host directory" test -s "$E2E_TMP/state/kmsg.state"
  stop_container
  # The health check can fail: in a network namespace of its own, nothing
  # listens on its port.
  local health=0
  "${podman_run[@]}" run --rm --network none "${ulimits[@]}" "$image" --healthcheck \
    >"$E2E_TMP/health-$arch" 2>&1 || health=$?
  check "$arch: the health check fails when no exporter answers (status $health: $(grep -v 'systemd connection' "$E2E_TMP/health-$arch" | tail -n1))" \
    test "$health" -eq 1
}

for arch in "${arches[@]}"; do
  case "$arch" in
    amd64 | arm64) ;;
    *) echo "image: --arch $arch: only amd64 and arm64" >&2; exit 2 ;;
  esac
  if [[ "$arch" != "$(dpkg --print-architecture)" ]]; then
    # A foreign image's programs run through qemu-user, registered with
    # binfmt_misc (tests/support/binfmt-arm64.sh says why it cannot be).
    [[ "$arch" == arm64 ]] || skip "no emulator set up here for $arch"
    deploy/install-deps.sh --arm64 >/dev/null
    tests/support/binfmt-arm64.sh || skip "arm64 programs cannot run here (above)"
  fi
  run_image_checks "$arch"
done

finish image "$CHECKS"
