#!/usr/bin/env python3
"""Health-check probe throughput and cost (root): kac's probes (reconciler/examples/probe_rate.rs)
check N endpoints once per second each, on one current-thread runtime, against servers in a
child process, inside a fresh network namespace (`unshare -n`, loopback up, descriptor limit
raised). Prints checks/s achieved, the prober's CPU as a share of one core, peak RSS, open
descriptors and latency, for TCP_CHECK and SSL_GET (ECDSA P-256 server certificate).

Issue 9's targets: 10,000 TCP checks/s under 25% of one core; 2,000 HTTPS checks/s sustained.
No peer runs at this scale here (keepalived's checker needs IPVS): absolute figures.

  sudo python3 benches/probe_bench.py                     # full sizes (by hand)
  sudo python3 benches/probe_bench.py --tcp 500 --https 100 --secs 3   # smoke
"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcp", type=int, default=10000, help="TCP endpoints (checks/s)")
    ap.add_argument("--https", type=int, default=2000, help="HTTPS endpoints (checks/s)")
    ap.add_argument("--secs", type=int, default=10)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("probe_bench: skipped: needs root (a network namespace)", file=sys.stderr)
        return 0
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "kac-reconciler", "--example", "probe_rate"],
        cwd=ROOT,
        check=True,
    )
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    exe = os.path.join(target, "release", "examples", "probe_rate")
    for kind, n in (("tcp", args.tcp), ("https", args.https)):
        if n <= 0:
            continue
        script = (
            "ip link set lo up && (ulimit -n \"$(ulimit -Hn)\" || "
            "echo 'probe_bench: cannot raise the descriptor limit' >&2); "
            "echo \"descriptor limit: $(ulimit -n)\"; "
            f"exec {exe} {kind} {n} {args.secs}"
        )
        subprocess.run(["unshare", "-n", "sh", "-c", script], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
