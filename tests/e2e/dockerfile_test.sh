#!/usr/bin/env bash
# The Dockerfile, checked in seconds without building it (tests/image/run.sh
# builds and runs the image itself): every COPY source exists and
# .dockerignore lets it into the build context, every package the build
# stage installs exists in Debian 12 (the cross compiler too) and its -dev
# packages are deploy/install-deps.sh's, the runtime
# stage starts from scratch and takes only the build stage's /rootfs,
# deploy/image/rootfs.sh gathers every library the binary loads, the
# version label is CMakeLists.txt's, the image does not run as root, it
# exposes the default port and its health check is a flag the binary has.

BINARY=${1:?usage: dockerfile_test.sh path/to/oom_exporter}
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh

# Logical lines (continuations joined), comments dropped.
sed -e 's/#.*//' Dockerfile | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' >"$E2E_TMP/lines"

# COPY sources that come from the build context, and .dockerignore: it
# ignores everything ("*") but its "!" lines, so each source must be one of
# them or under one.
mapfile -t allowed < <(sed -n 's/^!\(.*\)$/\1/p' .dockerignore)
check ".dockerignore ignores everything else" grep -qx '\*' .dockerignore
in_context() {
  local source=${1%/} pattern
  for pattern in "${allowed[@]}"; do
    pattern=${pattern%/}
    [[ "$source" == "$pattern" || "$source" == "$pattern"/* ]] && return 0
  done
  return 1
}
while read -r source; do
  check "COPY source $source exists" test -e "$source"
  check "COPY source $source is in the build context (.dockerignore)" in_context "$source"
done < <(awk '$1 == "COPY" && $2 !~ /^--from/ { for (i = 2; i < NF; i++) print $i }' "$E2E_TMP/lines")

# Packages of the build stage, without their ":$TARGETARCH" and quotes; the
# compiler is a variable there: g++, or the cross compiler for arm64.
awk '/apt-get install/ {
       s = $0; sub(/.*apt-get install/, "", s); sub(/;.*/, "", s); n = split(s, w, " ")
       for (i = 1; i <= n; i++) {
         p = w[i]; gsub(/"/, "", p); sub(/:\$TARGETARCH$/, "", p)
         if (p ~ /^[a-z0-9][a-z0-9.+-]+$/) print p
       }
     }' "$E2E_TMP/lines" >"$E2E_TMP/packages"
# The libraries it builds against are the ones a build on the host installs
# (deploy/install-deps.sh's BUILD): a library added there must come here.
sed -n '/^BUILD=(/,/)/p' deploy/install-deps.sh | tr ' ()' '\n\n\n' | grep -- '-dev$' | sort >"$E2E_TMP/host_dev"
check "the build stage installs the -dev packages of install-deps.sh's BUILD ($(wc -l <"$E2E_TMP/host_dev"))" \
  diff "$E2E_TMP/host_dev" <(grep -- '-dev$' "$E2E_TMP/packages" | sort)
echo g++-aarch64-linux-gnu >>"$E2E_TMP/packages"
check "the build stage installs packages ($(wc -l <"$E2E_TMP/packages"))" test "$(wc -l <"$E2E_TMP/packages")" -ge 8
# apt-cache takes about a second a call, so one call for all: `apt-cache
# policy` names every package it knows and leaves out the ones it does not.
apt-cache policy $(cat "$E2E_TMP/packages") 2>/dev/null |
  sed -n 's/^\([^ ].*\):$/\1/p' >"$E2E_TMP/known_packages"
while read -r package; do
  check "package $package exists in Debian" grep -qxF "$package" "$E2E_TMP/known_packages"
done <"$E2E_TMP/packages"

runtime_from=$(awk '$1 == "FROM" { f = $2 } END { print f }' "$E2E_TMP/lines")
check "the runtime stage is FROM scratch" test "$runtime_from" = scratch
runtime_copies=$(awk '$1 == "FROM" { n++ } n == 2 && $1 == "COPY"' "$E2E_TMP/lines")
check "the runtime stage copies only the build stage's /rootfs/" \
  test "$runtime_copies" = "COPY --from=build /rootfs/ /"
check "the runtime stage runs no command (no shell to run it)" \
  test -z "$(awk '$1 == "FROM" { n++ } n == 2 && $1 == "RUN"' "$E2E_TMP/lines")"

# rootfs.sh on this build's binary: every library ldd finds is gathered.
if [[ $(id -u) -eq 0 ]]; then
  triplet=$(gcc -dumpmachine)
  deploy/image/rootfs.sh "$BINARY" "$triplet" "$E2E_TMP/rootfs" >"$E2E_TMP/rootfs.log" 2>&1 ||
    fail "rootfs.sh: $(cat "$E2E_TMP/rootfs.log")"
  while read -r lib; do
    check "rootfs.sh gathers $(basename "$lib")" test -f "$E2E_TMP/rootfs/usr/lib/$triplet/$(basename "$lib")"
  done < <(ldd "$BINARY" | awk '$3 ~ /^\// { print $3 }')
  interp=$(readelf -l "$BINARY" | sed -n 's/.*interpreter: \(.*\)\]$/\1/p')
  check "rootfs.sh puts the loader at $interp" test -x "$E2E_TMP/rootfs$interp"
  check "rootfs.sh brings the libraries' copyright files" \
    test -f "$E2E_TMP/rootfs/usr/share/doc/libssl3/copyright"
  check "rootfs.sh makes the state directory, owned by nobody" \
    test "$(stat -c %u:%g "$E2E_TMP/rootfs/var/lib/oom_exporter")" = 65534:65534
else
  echo "skipped: rootfs.sh's checks: it chowns the state directory, which needs root"
fi

version=$(sed -n 's/^project(oom_exporter VERSION \([0-9.]*\) .*/\1/p' CMakeLists.txt)
check "ARG VERSION defaults to CMakeLists.txt's $version" grep -qx "ARG VERSION=$version" "$E2E_TMP/lines"
for label in title version revision source licenses; do
  check "label org.opencontainers.image.$label" grep -q "org.opencontainers.image.$label=" "$E2E_TMP/lines"
done

user=$(awk '$1 == "USER" { u = $2 } END { print u }' "$E2E_TMP/lines")
not_root() { [[ -n "$1" && "$1" != root && "${1%%:*}" != 0 ]]; }
check "image runs as a non-root user ($user)" not_root "$user"

default_port=$(sed -n 's/.*kDefaultListenAddress\[\] = ":\([0-9]*\)".*/\1/p' exporter/cli/flags.h)
check "EXPOSE matches the default port $default_port" \
  grep -Eq "^EXPOSE +$default_port\$" "$E2E_TMP/lines"
check "ENTRYPOINT runs the exporter" \
  grep -q '^ENTRYPOINT \["/usr/bin/oom_exporter"\]' "$E2E_TMP/lines"
health=$(sed -n 's/^HEALTHCHECK .*CMD \["\/usr\/bin\/oom_exporter", "\(--[a-z.-]*\)"\]$/\1/p' "$E2E_TMP/lines")
check "HEALTHCHECK runs the exporter with a flag ($health)" test -n "$health"
# Nothing listens on port 1: the check must fail (1), not reject its
# command line (2).
status=0
"$BINARY" "$health" --web.listen-address=127.0.0.1:1 >/dev/null 2>&1 || status=$?
check "the binary takes $health (exit status $status against a closed port)" test "$status" -eq 1

finish dockerfile_test "$CHECKS"
