#!/usr/bin/env bash
# Installs what the tests need (as root, on Debian) and runs every test suite.
# Privileged suites (network namespaces, the real keepalived) run when root; with
# KAC_REQUIRE_PRIVILEGED=1 a skipped privileged suite is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  need=()
  # keepalived: the oracle and a VRRP peer; python3-jsonschema, git: format and plan suites;
  # openssh-client (ssh-keygen): signed revisions of the daemon suite;
  # qemu/busybox/ipvsadm/kmod/cpio/binutils: the IPVS guest of the VM suite (tests/vm/run-vm.sh);
  # dnsmasq-base: the DNS server DNS_CHECK is tested against (tests/check_probes.rs);
  # python3-aiosmtpd, snmptrapd: the SMTP server and trap sink alerts are sent to (tests/alerts.rs);
  # nftables (`nft`): reading back the rules of `no_accept` (tests/vrrp_netns.rs).
  for p in nftables keepalived iproute2 time python3 python3-jsonschema git openssh-client qemu-system-x86 busybox-static ipvsadm kmod cpio binutils dnsmasq-base python3-aiosmtpd snmptrapd; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  # A Debian kernel with IPVS for the guest: the machine's own /boot, else an unpacked package
  # (not installed: `apt-get download` + `dpkg-deb -x` into target/vm-kernel).
  modroot=$(bash scripts/vm-kernel.sh target/vm-kernel)
  if [ -n "$modroot" ]; then
    export KAC_VM_MODROOT=$modroot
  fi
fi
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo build --bin kac
cargo test --workspace
# Benchmark smoke run (the full sizes are run by hand: benches/check_vs_keepalived.py).
if command -v keepalived >/dev/null && [ -e /sys/class/net/eth0 ]; then
  cargo build --release --bin kac
  python3 benches/check_vs_keepalived.py --runs 3 200
fi
# Lint vs check smoke run (full size by hand: benches/lint_vs_check.py).
if [ -x /usr/bin/time ]; then
  cargo build --release --bin kac
  python3 benches/lint_vs_check.py --runs 3 200
fi
# kac plan between two revisions of a generated site, smoke size (full size by hand:
# python3 benches/plan_big.py, 20,000 virtual servers).
cargo build --release --bin kac
python3 benches/plan_big.py --runs 3 200
# kac apply vs ip -batch (netns) and ipvsadm -R (QEMU guest), smoke size (full size by hand:
# python3 benches/apply_bench.py, 10,000 addresses and 5,000 services x 10 real servers).
if [ "$(id -u)" = 0 ]; then
  python3 benches/apply_bench.py --addresses 200 --services 50 --dests 4 --runs 1
fi
# kac daemon: change-to-kernel latency (git, path, keepalived reload) and memory with a plan
# applied in the guest, smoke size (full size by hand: python3 benches/daemon_bench.py, 20
# changes and 20,000 virtual servers).
if [ "$(id -u)" = 0 ]; then
  python3 benches/daemon_bench.py --changes 3 --vs 200
fi
# Health checking at scale: TCP checks against local listeners in a namespace, smoke size (full
# size by hand: python3 benches/check_bench.py, 10,000 real servers; --https for SSL_GET).
if [ "$(id -u)" = 0 ]; then
  python3 benches/check_bench.py --servers 500 --seconds 5 --warmup 2
fi
# VRRP: failover and graceful handover against keepalived, CPU of many instances, smoke size
# (full size by hand: python3 benches/vrrp_bench.py, 10 trials each and 1,000 instances).
if [ "$(id -u)" = 0 ] && command -v keepalived >/dev/null; then
  python3 benches/vrrp_bench.py --trials 1 --v2-trials 0 --instances 100
fi
