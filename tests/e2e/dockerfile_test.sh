#!/usr/bin/env bash
# No Docker engine runs here, so the Dockerfile is checked for what can go
# wrong without one: every COPY source exists, every package it installs
# exists in Debian, the runtime stage installs the package of every shared
# library the built binary loads, the image does not run as root, and it
# exposes the exporter's default port.

BINARY=${1:?usage: dockerfile_test.sh path/to/oom_exporter}
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh

# Logical lines (continuations joined), comments dropped.
sed -e 's/#.*//' Dockerfile | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' >"$E2E_TMP/lines"

# COPY sources that come from the build context.
while read -r source; do
  check "COPY source $source exists" test -e "$source"
done < <(awk '$1 == "COPY" && $2 !~ /^--from/ { for (i = 2; i < NF; i++) print $i }' "$E2E_TMP/lines")

# Packages per stage: the last FROM before an apt-get install line.
awk '$1 == "FROM" { stage++ }
     /apt-get install/ {
       for (i = 1; i <= NF; i++)
         if ($i ~ /^[a-z0-9][a-z0-9.+-]+$/ && $i != "apt-get" && $i != "install" &&
             $i != "rm" && $i != "update") print stage, $i
     }' "$E2E_TMP/lines" >"$E2E_TMP/packages"
# apt-cache takes about a second a call, so one call for all: `apt-cache
# policy` names every package it knows and leaves out the ones it does not.
apt-cache policy $(cut -d' ' -f2 "$E2E_TMP/packages") 2>/dev/null |
  sed -n 's/^\([^ ].*\):$/\1/p' >"$E2E_TMP/known_packages"
while read -r _ package; do
  check "package $package exists in Debian" grep -qxF "$package" "$E2E_TMP/known_packages"
done <"$E2E_TMP/packages"
last_stage=$(awk '$1 == "FROM" { n++ } END { print n }' "$E2E_TMP/lines")
runtime=" $(awk -v s="$last_stage" '$1 == s { printf "%s ", $2 }' "$E2E_TMP/packages")"
# What debian:bookworm-slim already holds of the C and C++ runtime.
base=" libc6 libgcc-s1 libstdc++6 "

provided() { [[ -n "$1" && ("$runtime" == *" $1 "* || "$base" == *" $1 "*) ]]; }
# One dpkg -S for every library under each name it may be known by (/lib vs
# /usr/lib on a merged /usr, or the file behind a symlink).
ldd "$BINARY" | awk '$3 ~ /^\// { print $3 }' >"$E2E_TMP/libs"
while read -r lib; do
  printf '%s\n%s\n%s\n' "$lib" "/usr$lib" "$(readlink -f "$lib")"
done <"$E2E_TMP/libs" | sort -u | xargs dpkg -S 2>/dev/null >"$E2E_TMP/owners" || true
while read -r lib; do
  name=$(basename "$lib")
  owner=$(grep -F "/$(basename "$(readlink -f "$lib")")" "$E2E_TMP/owners" | head -n1 | cut -d: -f1 || true)
  [[ -n "$owner" ]] || owner=$(grep -F "/$name" "$E2E_TMP/owners" | head -n1 | cut -d: -f1 || true)
  # A sanitizer build (tests/run-all.sh runs one) links ASan/UBSan runtimes,
  # which the image's Release build does not.
  [[ "$owner" =~ ^lib(a|ub|t|l)san[0-9]*$ ]] && continue
  check "runtime stage provides $name (package ${owner:-unknown})" provided "$owner"
done <"$E2E_TMP/libs"

user=$(awk '$1 == "USER" { u = $2 } END { print u }' "$E2E_TMP/lines")
not_root() { [[ -n "$1" && "$1" != root && "${1%%:*}" != 0 ]]; }
check "image runs as a non-root user ($user)" not_root "$user"

default_port=$(sed -n 's/.*kDefaultListenAddress\[\] = ":\([0-9]*\)".*/\1/p' exporter/cli/flags.h)
check "EXPOSE matches the default port $default_port" \
  grep -Eq "^EXPOSE +$default_port\$" "$E2E_TMP/lines"
check "ENTRYPOINT runs the exporter" \
  grep -q '^ENTRYPOINT \["/usr/bin/oom_exporter"\]' "$E2E_TMP/lines"

finish dockerfile_test "$CHECKS"
