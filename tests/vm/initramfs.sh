#!/usr/bin/env bash
# Builds the VM tests' initramfs (a gzip'd cpio archive):
#   tests/vm/initramfs.sh EXPORTER OUT [KERNEL_DIR...]
# It holds busybox (busybox-static), EXPORTER with the shared libraries it
# loads (from ldd), our static helpers (tests/vm/helpers/*.c, built here with
# gcc -static), tests/vm/guest/{init,lib.sh} and the scenarios, and for each
# KERNEL_DIR (a directory of tests/vm/kernels.sh) the modules of a virtio
# disk, which the init loads for the kernel it runs on.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exporter=$1
out=$2
shift 2

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

# The virtio disk's modules, as lib/modules/<uname -r>/NAME.ko with
# load-order listing them in the order of their dependencies; those the
# kernel has built in are not there. Uncompressed: busybox's insmod reads
# plain .ko files only.
for kernel in "$@"; do
  for modules in "$kernel"/lib/modules/*/; do
    dest=$root/lib/modules/$(basename "$modules")
    mkdir -p "$dest"
    : >"$dest/load-order"
    for module in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev \
      virtio_pci virtio_blk; do
      file=$(find "$modules/kernel/drivers" \( -name "$module.ko" -o -name "$module.ko.xz" \) | head -1)
      [[ -n $file ]] || continue
      case $file in
        *.xz) xz -dc "$file" >"$dest/$module.ko" ;;
        *) cp "$file" "$dest/$module.ko" ;;
      esac
      echo "$module" >>"$dest/load-order"
    done
  done
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
