#!/usr/bin/env python3
"""`kac apply` against the kernel tools doing the same work, measured in the same run (root).

netns: N static addresses (/32 on a veth) applied by `kac apply` in a fresh network namespace,
       vs `ip -batch` of the same `addr add` lines in another fresh namespace; then the re-apply
       of the unchanged plan (target: under 1 s for 10,000 addresses).
vm:    S IPVS services x D real servers applied by `kac apply` in a QEMU guest (tests/vm/),
       vs `ipvsadm -R` of the same set; then the re-apply of the unchanged plan vs
       `ipvsadm -Ln` of the same set (software emulation: only ratios mean anything). Each
       tool gets a fresh guest per run (see GUEST_IPVSADM).

Ratios are kac / tool (<= 1.0: kac is no slower). Medians of --runs runs.

  sudo python3 benches/apply_bench.py                      # full sizes (by hand)
  sudo python3 benches/apply_bench.py --addresses 200 --services 50 --dests 4 --runs 1  # smoke

The kac binary: $KAC_BIN, else target/release/kac (build it with `cargo build --release`).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from netns import ROOT, Namespace, kac_bin, sh


def address(i):
    return f"10.{100 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


def timed(args):
    t = time.monotonic()
    sh(*args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t


def bench_netns(n, runs, work):
    conf = os.path.join(work, "addresses.conf")
    batch = os.path.join(work, "addresses.batch")
    with open(conf, "w") as f:
        f.write("global_defs {\n  router_id bench\n}\nstatic_ipaddress {\n")
        for i in range(n):
            f.write(f"  {address(i)}/32 dev eth0\n")
        f.write("}\n")
    with open(batch, "w") as f:
        for i in range(n):
            f.write(f"addr add {address(i)}/32 dev eth0\n")
    kac, ip, again = [], [], []
    for r in range(runs):
        state = os.path.join(work, f"state-{r}")
        with Namespace("kac-bench") as a, Namespace("kac-bench") as b:
            # Alternate who goes first.
            order = [("kac", a), ("ip", b)] if r % 2 == 0 else [("ip", b), ("kac", a)]
            for who, ns in order:
                if who == "kac":
                    kac.append(timed(["ip", "netns", "exec", ns.name, kac_bin(), "apply", conf,
                                      "--state-dir", state]))
                else:
                    ip.append(timed(["ip", "-n", ns.name, "-batch", batch]))
            again.append(timed(["ip", "netns", "exec", a.name, kac_bin(), "apply", conf,
                                "--state-dir", state]))
            out = subprocess.run(["ip", "-n", a.name, "-o", "-4", "addr", "show", "dev", "eth0"],
                                 check=True, capture_output=True, text=True).stdout
            assert out.count("\n") == n, f"kac left {out.count(chr(10))} addresses, not {n}"
    k, i, g = statistics.median(kac), statistics.median(ip), statistics.median(again)
    print(f"netns: {n} addresses: kac apply {k:.3f} s, ip -batch {i:.3f} s, ratio {k / i:.2f}; "
          f"re-apply unchanged {g:.3f} s (target < 1 s at 10,000)")
    return k / i, g


# One tool per boot: after a flush the kernel keeps deleted destinations in a trash list for
# two minutes and scans it on every new destination, so whoever ran second would pay for the
# first one's set. Each measurement gets a fresh guest.
GUEST_IPVSADM = r"""
now() { cut -d' ' -f1 /proc/uptime; }
t0=$(now); ipvsadm -R < /files/services.ipvsadm; t1=$(now)
n=$(ipvsadm -Ln | grep -c -- '-> [0-9]')
echo "BENCH ipvsadm_R=$(echo "$t1 $t0" | awk '{print $1-$2}') dests=$n"
"""

# The re-apply is compared with `ipvsadm -Ln` of the same set in the same guest, listed just
# before and just after it (the mean of the two).
GUEST_KAC = r"""
now() { cut -d' ' -f1 /proc/uptime; }
t0=$(now); kac apply /files/services.conf --state-dir /tmp/st >/dev/null 2>&1; t1=$(now)
n=$(ipvsadm -Ln | grep -c -- '-> [0-9]')
t2=$(now); ipvsadm -Ln >/dev/null; t3=$(now)
t4=$(now); kac apply /files/services.conf --state-dir /tmp/st >/tmp/again 2>/tmp/again.err; t5=$(now)
t6=$(now); ipvsadm -Ln >/dev/null; t7=$(now)
echo "BENCH kac=$(echo "$t1 $t0" | awk '{print $1-$2}') reapply=$(echo "$t5 $t4" | awk '{print $1-$2}') list=$(echo "$t3 $t2 $t7 $t6" | awk '{print ($1-$2+$3-$4)/2}') dests=$n again_lines=$(grep -c . /tmp/again)"
"""


def guest(files, work, script_text):
    script = os.path.join(work, "guest.sh")
    with open(script, "w") as f:
        f.write(script_text)
    out = subprocess.run(
        ["bash", os.path.join(ROOT, "tests/vm/run-vm.sh"), "--kac", kac_bin(), "--files", files,
         "--script", script],
        capture_output=True, text=True, timeout=4 * 3600,
        env={**os.environ, "KAC_VM_TIMEOUT": str(4 * 3600)})
    rows = [dict(kv.split("=") for kv in l.split()[1:])
            for l in out.stdout.splitlines() if l.startswith("BENCH ")]
    if out.returncode != 0 or len(rows) != 1:
        sys.exit(f"the guest failed:\n{out.stdout}\n{out.stderr}")
    return rows[0]


def bench_vm(services, dests, runs, work):
    files = os.path.join(work, "vm")
    os.makedirs(files, exist_ok=True)
    with open(os.path.join(files, "services.conf"), "w") as conf, \
            open(os.path.join(files, "services.ipvsadm"), "w") as rules:
        conf.write("global_defs {\n  router_id bench\n}\n")
        for s in range(services):
            vip = f"10.{1 + s // 62500}.{(s // 250) % 250}.{s % 250 + 1}"
            conf.write(f"virtual_server {vip} 80 {{\n  lb_algo wrr\n  lb_kind NAT\n"
                       f"  protocol TCP\n")
            rules.write(f"-A -t {vip}:80 -s wrr\n")
            for d in range(dests):
                rip = f"172.16.{d}.{s % 250 + 1}"
                conf.write(f"  real_server {rip} 80 {{\n    weight {d + 1}\n  }}\n")
                rules.write(f"-a -t {vip}:80 -r {rip}:80 -m -w {d + 1}\n")
            conf.write("}\n")
    want = services * dests
    kac, ipvsadm = [], []
    for r in range(runs):
        order = ["kac", "ipvsadm"] if r % 2 == 0 else ["ipvsadm", "kac"]
        for who in order:
            if who == "kac":
                row = guest(files, work, GUEST_KAC)
                assert row["again_lines"] == "0", f"the re-apply changed something: {row}"
                kac.append(row)
            else:
                row = guest(files, work, GUEST_IPVSADM)
                ipvsadm.append(row)
            assert int(row["dests"]) == want, f"{who} made {row['dests']} destinations, not {want}"
    med = lambda rows, k: statistics.median(float(r[k]) for r in rows)
    k, i = med(kac, "kac"), med(ipvsadm, "ipvsadm_R")
    g, l = med(kac, "reapply"), med(kac, "list")
    print(f"vm: {services} services x {dests} real servers (TCG): kac apply {k:.2f} s, "
          f"ipvsadm -R {i:.2f} s, ratio {k / i:.2f}; re-apply unchanged {g:.2f} s, "
          f"ipvsadm -Ln {l:.2f} s, ratio {g / l:.2f}")
    return k / i, g / l


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--addresses", type=int, default=10000)
    p.add_argument("--services", type=int, default=5000)
    p.add_argument("--dests", type=int, default=10)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--only", choices=["netns", "vm"])
    a = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("apply_bench.py needs root (network namespaces, QEMU)")
    if not os.access(kac_bin(), os.X_OK):
        sys.exit(f"no kac binary at {kac_bin()} (cargo build --release --bin kac)")
    with tempfile.TemporaryDirectory(prefix="kac-bench-") as work:
        if a.only in (None, "netns"):
            bench_netns(a.addresses, a.runs, work)
        if a.only in (None, "vm"):
            bench_vm(a.services, a.dests, a.runs, work)


if __name__ == "__main__":
    main()
