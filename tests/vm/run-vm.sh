#!/usr/bin/env bash
# kac's VM harness: boot Debian's kernel (it has IPVS; the host's may not) under QEMU with a
# small busybox initramfs carrying ipvsadm, the IPVS modules, a kac binary and a directory of
# files, run a shell script in the guest, print the console, power off.
#
# Usage (root): tests/vm/run-vm.sh --kac BIN --files DIR --script FILE
#   BIN     a kac binary (dynamically linked is fine: its libraries are copied in; debug info
#           is stripped from the copy to keep the initramfs small)
#   DIR     copied to /files in the guest
#   FILE    a POSIX shell script run by busybox sh in the guest, with PATH=/bin:/sbin, after
#           lo is up and the IPVS modules are loaded. Its exit status is reported.
# The console goes to stdout. The last line the guest prints is `KAC-VM-RESULT rc=N`; the
# harness exits with N (or 3 when the guest never got that far).
#
# Environment:
#   KAC_VM_MODROOT  root of an unpacked kernel package (`apt-get download linux-image-…`;
#                   `dpkg-deb -x` it), default / (the host's /boot and /lib/modules)
#   KAC_VM_KVER     kernel version (default: the newest vmlinuz under $KAC_VM_MODROOT/boot)
#   KAC_VM_MEM      guest memory (default 1024M)   KAC_VM_TIMEOUT  seconds (default 600)
#   KAC_VM_ACCEL    kvm|tcg|auto (default auto: kvm only with vmx/svm and a usable /dev/kvm)
set -euo pipefail

die() { echo "run-vm.sh: $*" >&2; exit 2; }

kac="" files="" script=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kac) kac=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --script) script=$2; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -n "$kac" ] && [ -x "$kac" ] || die "--kac BIN (an executable) is required"
[ -n "$files" ] && [ -d "$files" ] || die "--files DIR is required"
[ -n "$script" ] && [ -f "$script" ] || die "--script FILE is required"

modroot=${KAC_VM_MODROOT:-/}
modroot=${modroot%/}
kver=${KAC_VM_KVER:-$(ls -1 "$modroot"/boot/vmlinuz-* 2>/dev/null | sed 's|.*/vmlinuz-||' | sort -V | tail -1)}
[ -n "$kver" ] || die "no kernel under $modroot/boot (install linux-image-amd64 or set KAC_VM_MODROOT)"
kernel=$modroot/boot/vmlinuz-$kver
moddir=$modroot/lib/modules/$kver
[ -r "$kernel" ] || die "cannot read $kernel"
[ -d "$moddir" ] || die "no $moddir"
for b in qemu-system-x86_64 busybox ipvsadm cpio depmod modprobe gzip objcopy ldd; do
  command -v "$b" >/dev/null || die "missing $b"
done
[ -s "$moddir/modules.dep" ] || depmod -b "${modroot:-/}" "$kver"

work=$(mktemp -d /tmp/kac-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,etc,lib,lib64,run,files}

# A dynamically linked binary and the libraries it needs.
add_binary() {
  local src=$1 dst=$2
  cp "$src" "$root$dst"
  ldd "$src" 2>/dev/null | grep -o '/[^ ]*' | sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done || true
}
# busybox-static, or a dynamically linked busybox with its libraries.
add_binary "$(command -v busybox)" /bin/busybox
for a in $("$root/bin/busybox" --list); do
  [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
# The kernel's request_module() (scheduler and persistence engine autoload) runs /sbin/modprobe.
ln -sf /bin/busybox "$root/sbin/modprobe"

add_binary "$(command -v ipvsadm)" /sbin/ipvsadm
objcopy --strip-debug "$kac" "$work/kac"
add_binary "$work/kac" /bin/kac
cp -r "$files"/. "$root/files/"
cp "$script" "$root/test.sh"

# IPVS, every scheduler and persistence engine the kernel has, and their dependencies.
want="ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh
      ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs_twos ip_vs_pe_sip crc32c_generic"
for m in $want; do
  { modprobe -d "${modroot:-/}" -S "$kver" --show-depends "$m" 2>/dev/null || true; } |
    awk '$1=="insmod"{print $2}'
done | sort -u | while read -r ko; do
  rel=/lib/modules/$kver/${ko#*/lib/modules/$kver/}
  mkdir -p "$root$(dirname "$rel")"
  cp "$ko" "$root$rel"
done
cp "$moddir"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$root" "$kver"

cat > "$root/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
ip link set lo up
# busybox modprobe ignores softdeps: libcrc32c needs crc32c first.
modprobe crc32c_generic 2>/dev/null
modprobe ip_vs || echo "KAC-VM: cannot load ip_vs"
echo "KAC-VM: kernel $(uname -r), booted in $(cut -d' ' -f1 /proc/uptime)s"
cd /files
sh /test.sh
rc=$?
echo "KAC-VM-RESULT rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)s"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.gz"

accel=${KAC_VM_ACCEL:-auto}
if [ "$accel" = auto ]; then
  if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then accel=kvm; else accel=tcg; fi
fi
if [ "$accel" = kvm ]; then cpu=(-accel kvm -cpu host); else cpu=(-accel tcg -cpu max); fi

set +e
timeout "${KAC_VM_TIMEOUT:-600}" qemu-system-x86_64 "${cpu[@]}" -m "${KAC_VM_MEM:-1024M}" -smp 1 \
  -kernel "$kernel" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 quiet loglevel=1 panic=-1 rdinit=/init" \
  -display none -no-reboot -nic none -monitor none -serial stdio </dev/null | tr -d '\r' | tee "$work/console"
set -e
rc=$(sed -n 's/^KAC-VM-RESULT rc=\([0-9]*\).*/\1/p' "$work/console" | tail -1)
[ -n "$rc" ] || { echo "run-vm.sh: the guest did not finish" >&2; exit 3; }
exit "$rc"
