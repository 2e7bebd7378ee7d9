#!/usr/bin/env python3
"""Benchmark `kac check` against `keepalived -t` on generated configurations, in one run.

For each size, runs both tools N times alternately on the same file and reports the median
wall time (high-resolution clock) and the peak RSS (GNU time's %M), then the ratios
kac/keepalived. Targets (issue 2): time <= 0.10, peak RSS <= 0.50.

Usage: benches/check_vs_keepalived.py [--runs N] [--kac PATH] [SIZE ...]
       (SIZE = number of virtual servers x 10 real servers with TCP_CHECK; default 2000 20000)
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run_once(cmd):
    """Wall seconds, peak RSS KiB and exit code of one run of cmd."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def peak_rss_kib(cmd, work):
    """Peak RSS of cmd in KiB, measured by GNU time (a fork from Python would count Python's
    own memory: on exec, Linux records the old address space's high-water mark)."""
    out = os.path.join(work, "rss")
    gnu_time = shutil.which("time") or "/usr/bin/time"
    subprocess.run([gnu_time, "-f", "%M", "-o", out] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return int(f.read().split()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", type=int, default=[2000, 20000])
    ap.add_argument("--runs", type=int, default=7)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(HERE, "..", "target")
    if not os.path.isabs(target):
        target = os.path.join(HERE, "..", target)
    ap.add_argument("--kac", default=os.path.join(target, "release", "kac"))
    args = ap.parse_args()
    if not os.path.exists("/usr/bin/time"):
        print("skipped: GNU time (/usr/bin/time, package time) is not installed")
        return 0
    if not shutil.which("keepalived"):
        print("skipped: keepalived is not installed")
        return 0
    if not os.access(args.kac, os.X_OK):
        print(f"error: {args.kac} is not built (cargo build --release --bin kac)")
        return 2
    failed = False
    with tempfile.TemporaryDirectory(prefix="kac-bench.") as work:
        print(f"{'size':>6}  {'tool':<14} {'median_s':>9} {'min_s':>8} {'rss_kib':>9}")
        for n in args.sizes:
            conf = os.path.join(work, f"big_{n}.conf")
            subprocess.run([sys.executable, os.path.join(HERE, "gen_big_conf.py"), "--vs", str(n),
                            "--rs", "10", "--checker", "tcp", "-o", conf], check=True)
            tools = {
                "keepalived -t": ["keepalived", "-t", "-f", conf],
                "kac check": [args.kac, "check", conf, "-i", "bench", "--interfaces", "lo,eth0"],
            }
            res = {name: [] for name in tools}
            for _ in range(args.runs):
                for name, cmd in tools.items():
                    res[name].append(run_once(cmd))
            summary = {}
            for name, runs in res.items():
                walls = [r[0] for r in runs]
                rss = max(peak_rss_kib(tools[name], work) for _ in range(2))
                codes = {r[2] for r in runs}
                summary[name] = (statistics.median(walls), min(walls), rss, codes)
                print(f"{n:>6}  {name:<14} {summary[name][0]:>9.4f} {summary[name][1]:>8.4f} {rss:>9}  exit {sorted(codes)}")
            k, a = summary["keepalived -t"], summary["kac check"]
            tr, tmin, mr = a[0] / k[0], a[1] / k[1], a[2] / k[2]
            print(f"{n:>6}  ratio kac/keepalived: time {tr:.3f} median, {tmin:.3f} best (target <= 0.100), "
                  f"peak RSS {mr:.3f} (target <= 0.500)")
            if a[3] != {0}:
                print("error: kac check rejected the generated configuration")
                failed = True
    print(f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB, "
          f"{os.uname().release}, load {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
