#!/usr/bin/env bash
# The Dockerfile's build stage runs this to gather the runtime image's whole
# root filesystem into OUT, from the files of the Debian packages installed
# in the build stage (for the target architecture, also when cross-built):
#   OUT/usr/bin/oom_exporter                  BINARY
#   OUT/usr/lib/TRIPLET/<soname>              every shared library BINARY
#                                             loads, followed through the
#                                             libraries' own DT_NEEDED
#   OUT/<PT_INTERP>                           the dynamic loader
#   OUT/usr/share/doc/<package>/copyright     the licence of each package
#                                             a file came from
#   OUT/etc/passwd, OUT/etc/group             root and nobody, for
#                                             --run-as-user=nobody
#   OUT/var/lib/oom_exporter                  the state directory, owned by
#                                             nobody (65534)
# Usage: rootfs.sh BINARY TRIPLET OUT, e.g. TRIPLET aarch64-linux-gnu.
# Fails, naming it, when a library cannot be found. The libraries civetweb
# opens with dlopen() for TLS are the ones the binary already links
# (exporter/http/civetweb_shims.h), so DT_NEEDED names them all; glibc 2.36
# has its NSS "files" backend built in.
set -euo pipefail
binary=${1:?usage: rootfs.sh BINARY TRIPLET OUT}
triplet=${2:?usage: rootfs.sh BINARY TRIPLET OUT}
out=${3:?usage: rootfs.sh BINARY TRIPLET OUT}
libdirs=("/usr/lib/$triplet" "/lib/$triplet")

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }
find_lib() {
  local dir
  for dir in "${libdirs[@]}"; do
    [[ -e "$dir/$1" ]] && { echo "$dir/$1"; return 0; }
  done
  echo "rootfs.sh: $1 (needed by the binary) is not in ${libdirs[*]}" >&2
  return 1
}

install -D -m 0755 "$binary" "$out/usr/bin/oom_exporter"
interp=$(readelf -l "$binary" | sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p')
[[ -n "$interp" ]] || { echo "rootfs.sh: $binary names no dynamic loader" >&2; exit 1; }
install -D -m 0755 "$(readlink -f "$interp")" "$out$interp"
# The libraries, breadth first from the binary's DT_NEEDED. libc names the
# loader too: it is in the image once, at the binary's path.
libs=()
declare -A seen=(["$(basename "$interp")"]=1)
queue=($(needed "$binary"))
while [[ ${#queue[@]} -gt 0 ]]; do
  soname=${queue[0]}
  queue=("${queue[@]:1}")
  [[ -z "${seen[$soname]:-}" ]] || continue
  seen[$soname]=1
  path=$(find_lib "$soname")
  install -D -m 0644 "$(readlink -f "$path")" "$out/usr/lib/$triplet/$soname"
  libs+=("$path")
  queue+=($(needed "$path"))
done

# The package of each library and of the loader: dpkg knows a file by the
# path it shipped it under, /lib or /usr/lib on a merged /usr, so both are
# asked.
mapfile -t packages < <(for path in "${libs[@]}" "$interp"; do
  real=$(readlink -f "$path")
  printf '%s\n%s\n%s\n' "$path" "$real" "${real#/usr}"
done | sort -u | xargs dpkg -S 2>/dev/null | cut -d: -f1 | sort -u)
[[ ${#packages[@]} -gt 0 ]] || { echo "rootfs.sh: dpkg owns none of the libraries" >&2; exit 1; }
for package in "${packages[@]}"; do
  install -D -m 0644 "/usr/share/doc/$package/copyright" "$out/usr/share/doc/$package/copyright"
done

install -d -m 0755 "$out/etc"
printf 'root:x:0:0:root:/:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$out/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$out/etc/group"
install -d -m 0755 -o 65534 -g 65534 "$out/var/lib/oom_exporter"
echo "rootfs.sh: ${#libs[@]} libraries and the loader from ${#packages[@]} packages, $(du -sh "$out" | cut -f1) in all"
