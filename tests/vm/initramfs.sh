#!/usr/bin/env bash
# Builds the VM tests' initramfs (a gzip'd cpio archive):
#   tests/vm/initramfs.sh EXPORTER OUT
# It holds busybox (busybox-static), EXPORTER with the shared libraries it
# loads (from ldd), our static helpers (tests/vm/helpers/*.c, built here with
# gcc -static), tests/vm/guest/{init,lib.sh} and the scenarios.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exporter=$1
out=$2

root=$(mktemp -d)
chmod 755 "$root"  # mktemp makes it 0700: / must be searchable by all
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,lib,lib64,scenarios,var/lib}
cp /bin/busybox "$root/bin/busybox"
cp "$exporter" "$root/bin/oom_exporter"
# The exporter's libraries, at the paths ldd resolves them to.
ldd "$exporter" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' |
  while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done

for source in "$here"/helpers/*.c; do
  gcc -O2 -static -Wall -Werror -o "$root/bin/$(basename "$source" .c)" "$source"
done
# The hog under other names: comm tells the processes of a scenario apart.
for name in sleeper leaker big small guarded; do
  ln "$root/bin/hog" "$root/bin/$name"
done

cp "$here/guest/init" "$root/init"
chmod +x "$root/init"
cp "$here/guest/lib.sh" "$root/lib.sh"
cp "$here"/guest/scenarios/*.sh "$root/scenarios/"
mkdir -p "$root/measure"
cp "$here"/guest/measure/*.sh "$root/measure/"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
  >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
