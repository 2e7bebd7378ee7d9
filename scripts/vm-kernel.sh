#!/usr/bin/env bash
# The Debian kernel the VM suite boots (tests/vm/run-vm.sh): prints the root to pass as
# KAC_VM_MODROOT, or nothing when the machine's own /boot has a kernel (run-vm.sh's default
# root, /). Otherwise the kernel package linux-image-amd64 depends on is fetched with
# `apt-get download` into DIR and unpacked there with `dpkg-deb -x` (never installed), once:
# a later run reuses DIR/root.
#
# Usage (root, Debian): scripts/vm-kernel.sh DIR
#   KAC_VM_KERNEL_DOWNLOAD=1  take the download path even when /boot has a kernel (how the
#                             path a fresh CI machine takes is exercised on one that has one)
set -euo pipefail

die() { echo "vm-kernel.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: scripts/vm-kernel.sh DIR"
dir=$(realpath -m "$1")

if [ "${KAC_VM_KERNEL_DOWNLOAD:-0}" != 1 ] && ls /boot/vmlinuz-* >/dev/null 2>&1; then
  exit 0
fi
if ! ls "$dir"/root/boot/vmlinuz-* >/dev/null 2>&1; then
  for p in apt-get apt-cache dpkg-deb; do
    command -v "$p" >/dev/null || die "missing $p (a Debian machine is needed)"
  done
  # The versioned package behind the meta-package, e.g. linux-image-6.1.0-57-amd64.
  versioned() {
    apt-cache depends linux-image-amd64 2>/dev/null |
      awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}'
  }
  pkg=$(versioned)
  if [ -z "$pkg" ]; then
    apt-get update -qq >&2
    pkg=$(versioned)
  fi
  [ -n "$pkg" ] || die "the apt sources have no linux-image-amd64"
  rm -rf "$dir"
  mkdir -p "$dir"
  # (As root, apt warns that it downloads unsandboxed.) Stale package lists: update, retry.
  download() { (cd "$dir" && apt-get download -q "$pkg") >&2; }
  download || { apt-get update -qq >&2 && pkg=$(versioned) && download; } ||
    die "cannot download $pkg"
  deb=$(ls "$dir"/*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || die "apt-get download $pkg left no .deb in $dir"
  dpkg-deb -x "$deb" "$dir/root"
  rm -f "$dir"/*.deb
  ls "$dir"/root/boot/vmlinuz-* >/dev/null 2>&1 || die "$pkg has no /boot/vmlinuz-*"
fi
echo "$dir/root"
