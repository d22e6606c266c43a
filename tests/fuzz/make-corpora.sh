#!/usr/bin/env bash
# Makes the seed corpora of the fuzz targets from tests/fixtures, into
# OUT/<target>/ (emptied first). Generated at run time, never checked in.
#   tests/fuzz/make-corpora.sh OUT MAKE_STATE_SEED_BINARY
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 OUT MAKE_STATE_SEED_BINARY" >&2
  exit 2
fi
out=$1
make_state_seed=$2
cd "$(dirname "$0")/../.."
fixtures=tests/fixtures
logs=("$fixtures"/kmsg/corpus/*.log)

# seed TARGET: stdin becomes one seed file named by its hash (duplicates
# collapse).
seed() {
  local tmp
  tmp=$(mktemp "$out/.seed.XXXXXX")
  cat >"$tmp"
  mv "$tmp" "$out/$1/$(sha1sum <"$tmp" | cut -c1-40)"
}

rm -rf "$out"
mkdir -p "$out"/{kmsg_fuzzer,oom_message_fuzzer,proc_files_fuzzer,kmsg_state_fuzzer,cgroup_fuzzer,proc_pid_fuzzer,web_config_fuzzer}

# kmsg_fuzzer: every log whole, and cut in runs of 8 lines (short inputs
# fuzz faster).
for log in "${logs[@]}"; do
  name=$(basename "$log" .log)
  cp "$log" "$out/kmsg_fuzzer/$name"
  split -l 8 "$log" "$out/kmsg_fuzzer/$name-"
done

# oom_message_fuzzer: every line of every log as it is (raw /dev/kmsg
# records, dmesg, syslog...) and without its transport prefix, as
# ParseOomMessage gets it; one file per distinct line, without its '\n'.
{
  awk 1 "${logs[@]}"
  awk 1 "${logs[@]}" | sed -E \
    -e 's/^[0-9]+,[0-9]+,[0-9]+,[^;]*;//' \
    -e 's/^.*kernel: //' \
    -e 's/^(> )+//' \
    -e 's/^\[[^]]*\] ?//' \
    -e 's/^\[ *[TC][0-9]+\] ?//'
} | LC_ALL=C sort -u |
  awk -v dir="$out/oom_message_fuzzer" \
    '{ file = dir "/line-" NR; printf "%s", $0 > file; close(file) }'

# proc_files_fuzzer: selector byte 0 meminfo, 1 vmstat, 2 pressure, 3 sysctl.
for tree in "$fixtures"/proc*/; do
  { printf '\x00'; cat "$tree/meminfo"; } | seed proc_files_fuzzer
  { printf '\x01'; cat "$tree/vmstat"; } | seed proc_files_fuzzer
  if [[ -f "$tree/pressure/memory" ]]; then
    { printf '\x02'; cat "$tree/pressure/memory"; } | seed proc_files_fuzzer
  fi
  for file in "$tree"/sys/vm/*; do
    { printf '\x03'; cat "$file"; } | seed proc_files_fuzzer
  done
done

# proc_pid_fuzzer: selector byte 0 stat, 1 statm, 2 status, 3 oom_score,
# 4 oom_score_adj, 5 cgroup, 6 comm (CommLabel); every /proc/<pid> file of
# the fixture trees.
selector=0
for file in stat statm status oom_score oom_score_adj cgroup comm; do
  for path in "$fixtures"/proc*/[0-9]*/"$file"; do
    [[ -f "$path" ]] || continue
    { printf "\\x0$selector"; cat "$path"; } | seed proc_pid_fuzzer
  done
  selector=$((selector + 1))
done

# kmsg_state_fuzzer: the state after all the corpus logs, after the raw
# /dev/kmsg ones only (sequence numbers, clocks), and of a boot without kills.
"$make_state_seed" "${logs[@]}" | seed kmsg_state_fuzzer
"$make_state_seed" "$fixtures"/kmsg/corpus/*kmsg-raw*.log | seed kmsg_state_fuzzer
"$make_state_seed" | seed kmsg_state_fuzzer

# cgroup_fuzzer: selector byte 0 mountinfo, 1 cgroup path (2 and 3 below).
# Mountinfo files
# of the fixture trees (if any) and the sample of mountinfo.h; every cgroup
# path the corpus logs name.
while IFS= read -r file; do
  { printf '\x00'; cat "$file"; } | seed cgroup_fuzzer
done < <(find "$fixtures" -name mountinfo -type f)
{
  printf '\x00'
  printf '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n'
  printf '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:1 - cgroup2 cgroup2 rw\n'
  printf '36 31 0:33 / /mnt/with\\040space rw - tmpfs tmpfs rw\n'
} | seed cgroup_fuzzer
grep -ho -e 'task_memcg=[^,]*' -e 'oom_memcg=[^,]*' -e 'Task in [^ ]*' \
  -e 'of limit of [^ ]*' "${logs[@]}" |
  sed -E 's/^(task_memcg=|oom_memcg=|Task in |of limit of )//' | LC_ALL=C sort -u |
  while IFS= read -r path; do
    { printf '\x01'; printf '%s' "$path"; } | seed cgroup_fuzzer
  done

# Selector 2: cgroup event files; 3: one-value cgroup files (fixtures).
while IFS= read -r file; do
  { printf '\x02'; cat "$file"; } | seed cgroup_fuzzer
done < <(find "$fixtures" -type f \( -name memory.events -o -name memory.oom_control \) | LC_ALL=C sort | head -40)
while IFS= read -r file; do
  { printf '\x03'; cat "$file"; } | seed cgroup_fuzzer
done < <(find "$fixtures" -type f \( -name memory.max -o -name memory.limit_in_bytes -o -name memory.failcnt \) | LC_ALL=C sort | head -40)

# Selector 4 and 5: memory.stat samples, v1 and v2.
for file in "$fixtures"/memory-stat/*-v1-*.stat; do
  { printf '\x04'; cat "$file"; } | seed cgroup_fuzzer
done
for file in "$fixtures"/memory-stat/*-v2-*.stat; do
  { printf '\x05'; cat "$file"; } | seed cgroup_fuzzer
done

# web_config_fuzzer: the shapes of a web config, valid and not (a bcrypt
# hash of cost 4).
hash='$2b$04$2EGB5rMFeRn/upHTxnsI8u1QPtzLExdque5XxkzKkPrzCMTejn1si'
printf 'tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n' | seed web_config_fuzzer
printf 'tls_server_config:\n  cert_file: a.crt\n  key_file: /k\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  min_version: TLS13\n  max_version: TLS13\n' |
  seed web_config_fuzzer
printf 'basic_auth_users:\n  prometheus: %s\n  "b c": '"'"'%s'"'"'\n' "$hash" "$hash" | seed web_config_fuzzer
printf 'http_server_config:\n  http2: false\nbasic_auth_users: ~\n' | seed web_config_fuzzer
printf '{tls_server_config: {cert_file: a, key_file: b}, basic_auth_users: {u: "%s"}}\n' "$hash" |
  seed web_config_fuzzer
printf 'x: &a {k: v}\ny: *a\n---\nz: 1\n' | seed web_config_fuzzer

for dir in "$out"/*/; do
  echo "seeds: $(basename "$dir"): $(find "$dir" -type f | wc -l) files"
done
