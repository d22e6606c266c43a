#!/usr/bin/env bash
# Fetches Debian kernel packages for the VM tests and unpacks them into a
# cache, never installing them on the host:
#   tests/vm/kernels.sh PACKAGE...   prints one line per package: PACKAGE DIR
#   tests/vm/kernels.sh --mirror     prints the Debian mirror apt uses here
# DIR holds vmlinuz (the kernel image) and lib/modules/. Debian 12
# (bookworm) packages come from the machine's own apt setup; Debian 11
# (bullseye) ones through a source list of our own on the same mirror, in the
# cache, with its own package lists: the machine's apt setup is not changed.
# The cache is $OOM_VM_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/oom_exporter-vm.
set -euo pipefail

cache=${OOM_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/oom_exporter-vm}
mkdir -p "$cache/kernels" "$cache/apt"

# The mirror the machine already uses for bookworm.
mirror() {
  local uri
  uri=$(grep -hoE '^(URIs:|deb) +[a-z]+://[^ ]+/debian/?( |$)' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
    /etc/apt/sources.list.d/*.list 2>/dev/null | head -1 | awk '{print $2}' || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# bullseye_apt apt-get|apt-cache ARGS...: through our own source list and
# package lists for bullseye (updated at most daily).
bullseye_apt() {
  local tool=$1
  shift
  local dir=$cache/apt/bullseye
  mkdir -p "$dir/lists/partial" "$dir/archives/partial"
  if [[ ! -f $dir/sources.list ]]; then
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(mirror) bullseye main" \
      >"$dir/sources.list"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(mirror | sed 's#/debian/\?$#/debian-security#') bullseye-security main" \
      >>"$dir/sources.list"
  fi
  local opts=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::Archives=$dir/archives"
    -o "Dir::Cache::pkgcache=$dir/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$dir/srcpkgcache.bin"
    -o APT::Sandbox::User=root)
  if [[ -z $(find "$dir/lists" -name '*Packages*' -mtime -1 2>/dev/null | head -1) ]]; then
    apt-get "${opts[@]}" update -qq >&2
  fi
  "$tool" "${opts[@]}" "$@"
}

# gone PACKAGE: the mirror no longer has it (Debian drops old kernel ABIs):
# says which kernels of that series it has, and fails.
gone() {
  local series pattern
  series=$(echo "$1" | sed -E 's/^linux-image-([0-9]+)\.([0-9]+).*/\1\\.\2/')
  pattern="^linux-image-$series\\.[0-9][^ ]*-amd64\$"
  echo "kernels.sh: $1 is not on the mirror; it has these of that series:" >&2
  { apt-cache search --names-only "$pattern" 2>/dev/null || true
    [[ $1 != linux-image-5.10.* ]] || bullseye_apt apt-cache search --names-only "$pattern"
  } | awk '{ print "  " $1 }' | sort -uV >&2
  echo "kernels.sh: name one as an argument of tests/vm/run.sh (docs/testing.md, \"Tested kernels\")" >&2
  exit 1
}

fetch() {  # fetch PACKAGE: unpacks into $cache/kernels/PACKAGE
  local package=$1 dest=$cache/kernels/$1
  if [[ -f $dest/vmlinuz ]]; then return; fi
  local work
  work=$(mktemp -d "$cache/kernels/.fetch.XXXXXX")
  (
    cd "$work"
    if [[ $package == linux-image-5.10.* ]]; then
      bullseye_apt apt-get download "$package" >&2 || gone "$package"
    else
      if ! apt-get -o APT::Sandbox::User=root download "$package" >&2 2>&1; then
        # The lists may predate the package: update them once, then retry.
        apt-get update -qq >&2
        apt-get -o APT::Sandbox::User=root download "$package" >&2 || gone "$package"
      fi
    fi
    dpkg-deb -x ./*.deb root
    mkdir unpacked
    cp root/boot/vmlinuz-* unpacked/vmlinuz
    cp root/boot/config-* unpacked/config 2>/dev/null || true
    mv root/lib unpacked/lib 2>/dev/null || true
  )
  rm -rf "$dest"
  mv "$work/unpacked" "$dest"
  rm -rf "$work"
}

if [[ ${1:-} == --mirror ]]; then
  mirror
  exit 0
fi
for package in "$@"; do
  fetch "$package"
  echo "$package $cache/kernels/$package"
done
