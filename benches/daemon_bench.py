#!/usr/bin/env python3
"""`kac daemon` speed and memory (root).

latency (netns): time from a change of the configuration to the kernel showing it, median of
         --changes changes, in a fresh network namespace:
         * git source (`git+file://`, --poll 1s): from just before `git commit` to the new
           address in `ip monitor address` (target: under 1.5 s);
         * path source: from just before the file is saved (written beside and renamed over,
           as editors do) to the new address (target: under 300 ms);
         * the peer, keepalived (Debian's) in another fresh namespace: the same save followed
           by `kill -HUP` (keepalived does not watch its files), to the new address.
         Changes are spaced by a random 0.2-1.2 s, so the git figure covers the poll phase.
rss (vm): the daemon's resident memory with a large plan applied: gen_big_conf.py's
         --vs virtual servers x 10 real servers (no checkers, no VRRP: the daemon refuses
         both), path source, in the QEMU guest (this machine's kernel has no IPVS; the plan is
         really applied there). Compared with the size of the plan's JSON (`kac compile`, as
         printed, and compact). Target: RSS under 2x the plan's JSON.

  sudo python3 benches/daemon_bench.py                            # full sizes (by hand)
  sudo python3 benches/daemon_bench.py --changes 5 --vs 200       # smoke (CI)

The kac binary: $KAC_BIN, else target/release/kac (build it with `cargo build --release`).
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

from addr_monitor import Monitor
from netns import ROOT, Namespace, kac_bin, sh

GEN = os.path.join(ROOT, "benches", "gen_big_conf.py")


def conf(addr):
    return f"global_defs {{\n  router_id bench\n}}\nstatic_ipaddress {{\n  {addr}/32 dev eth0\n}}\n"


def address(i):
    return f"10.77.{i // 250}.{i % 250 + 1}"


def wait_applied(control, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = subprocess.run([kac_bin(), "status", "--format", "json", "--control", control],
                           capture_output=True, text=True)
        if r.returncode == 0 and json.loads(r.stdout).get("applied"):
            return
        time.sleep(0.05)
    raise SystemExit("the daemon applied nothing")


def git(repo, *args):
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    sh("git", "-c", "user.name=bench", "-c", "user.email=bench@kac.invalid", *args, cwd=repo,
       env=env, stdout=subprocess.DEVNULL)


def save(path, text):
    tmp = os.path.join(os.path.dirname(path), ".save.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def latency(kind, changes, work):
    """Median seconds from a change to the kernel, for `git`, `path` or `keepalived`."""
    d = os.path.join(work, kind)
    os.makedirs(d)
    site = os.path.join(d, "site")
    os.makedirs(site)
    cfile = os.path.join(site, "keepalived.conf")
    times = []
    with Namespace("kac-dbench", peer_up=True) as ns:
        mon = Monitor(ns.name)
        if kind == "git":
            git(site, "init", "-q", "-b", "main")
        save(cfile, conf(address(0)))
        if kind == "git":
            git(site, "add", "-A")
            git(site, "commit", "-q", "-m", "0")
        log = open(os.path.join(d, "log"), "w")
        if kind == "keepalived":
            pid_dir = os.path.join(d, "run")
            os.makedirs(pid_dir)
            proc = subprocess.Popen(ns.exec("keepalived", "-n", "-l", "-D", "-f", cfile,
                                            "-p", os.path.join(pid_dir, "k.pid"),
                                            "-r", os.path.join(pid_dir, "v.pid"),
                                            "-c", os.path.join(pid_dir, "c.pid")),
                                    stdout=log, stderr=log)
        else:
            source = f"git+file://{site}" if kind == "git" else site
            control = os.path.join(d, "kac.sock")
            proc = subprocess.Popen(ns.exec(kac_bin(), "daemon", "--source", source, "--poll", "1s",
                                            "--state-dir", os.path.join(d, "state"),
                                            "--control", control),
                                    stdout=log, stderr=log)
        mon.wait(address(0))
        if kind != "keepalived":
            wait_applied(control)
        for i in range(1, changes + 1):
            time.sleep(random.uniform(0.2, 1.2))
            a = address(i)
            t0 = time.monotonic()
            save(cfile, conf(a))
            if kind == "git":
                git(site, "commit", "-q", "-a", "-m", str(i))
            elif kind == "keepalived":
                os.kill(proc.pid, 1)
            times.append(mon.wait(a) - t0)
        mon.close()
        proc.terminate()
        proc.wait(timeout=30)
    return statistics.median(times), max(times)


GUEST_RSS = r"""
mkdir -p /tmp/site && cp /files/big.conf /tmp/site/keepalived.conf
now() { cut -d' ' -f1 /proc/uptime; }
t0=$(now)
kac daemon --source /tmp/site --state-dir /tmp/st --control /tmp/kac.sock 2>/tmp/daemon.log &
PID=$!
n=0
until kac status --control /tmp/kac.sock --format json 2>/dev/null | grep -q '"outcome": "applied"'; do
  n=$((n+1)); [ $n -gt 36000 ] && break; usleep 100000
done
t1=$(now)
sleep 2
rss=$(grep VmRSS /proc/$PID/status | awk '{print $2}')
hwm=$(grep VmHWM /proc/$PID/status | awk '{print $2}')
dests=$(ipvsadm -Ln | grep -c -- '-> [0-9]')
echo "BENCH rss_kb=$rss hwm_kb=$hwm dests=$dests first_apply_s=$(echo "$t1 $t0" | awk '{print $1-$2}')"
tail -5 /tmp/daemon.log
"""


def rss(vs, work):
    files = os.path.join(work, "vm")
    os.makedirs(files)
    big = os.path.join(files, "big.conf")
    sh(sys.executable, GEN, "--vs", str(vs), "--rs", "10", "--checker", "none", "--vrrp-iface", "",
       "-o", big)
    plan = subprocess.run([kac_bin(), "compile", big], check=True, capture_output=True).stdout
    compact = len(json.dumps(json.loads(plan), separators=(",", ":")))
    script = os.path.join(work, "guest.sh")
    with open(script, "w") as f:
        f.write(GUEST_RSS)
    mem = os.environ.get("KAC_VM_MEM", "4096M")
    out = subprocess.run(
        ["bash", os.path.join(ROOT, "tests/vm/run-vm.sh"), "--kac", kac_bin(), "--files", files,
         "--script", script],
        capture_output=True, text=True, timeout=4 * 3600,
        env={**os.environ, "KAC_VM_TIMEOUT": str(4 * 3600), "KAC_VM_MEM": mem})
    rows = [dict(kv.split("=") for kv in l.split()[1:])
            for l in out.stdout.splitlines() if l.startswith("BENCH ")]
    if out.returncode != 0 or len(rows) != 1:
        sys.exit(f"the guest failed:\n{out.stdout}\n{out.stderr}")
    row = rows[0]
    if int(row["dests"]) != vs * 10:
        sys.exit(f"the guest has {row['dests']} destinations, not {vs * 10}:\n{out.stdout}")
    r = int(row["rss_kb"]) * 1024
    print(f"rss (vm, TCG): {vs} virtual servers x 10 real servers applied in "
          f"{float(row['first_apply_s']):.1f} s; daemon RSS {r / 2**20:.1f} MiB "
          f"(peak {int(row['hwm_kb']) / 1024:.1f} MiB); plan JSON {len(plan) / 2**20:.1f} MiB as "
          f"printed, {compact / 2**20:.1f} MiB compact; RSS / plan JSON {r / len(plan):.2f} "
          f"(compact: {r / compact:.2f}); target < 2")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--changes", type=int, default=20)
    p.add_argument("--vs", type=int, default=20000)
    p.add_argument("--only", choices=["latency", "rss"])
    a = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("daemon_bench.py needs root (network namespaces, QEMU)")
    if not os.access(kac_bin(), os.X_OK):
        sys.exit(f"no kac binary at {kac_bin()} (cargo build --release --bin kac)")
    with tempfile.TemporaryDirectory(prefix="kac-dbench-") as work:
        if a.only in (None, "latency"):
            res = {k: latency(k, a.changes, work) for k in ("git", "path", "keepalived")}
            g, p_, k = res["git"], res["path"], res["keepalived"]
            print(f"latency (netns), median of {a.changes} changes: git source (poll 1s) "
                  f"{g[0] * 1000:.0f} ms (max {g[1] * 1000:.0f}; target < 1500); path source "
                  f"{p_[0] * 1000:.0f} ms (max {p_[1] * 1000:.0f}; target < 300); keepalived "
                  f"save + SIGHUP {k[0] * 1000:.0f} ms (max {k[1] * 1000:.0f}); path / keepalived "
                  f"{p_[0] / k[0]:.2f}")
        if a.only in (None, "rss"):
            rss(a.vs, work)


if __name__ == "__main__":
    main()
