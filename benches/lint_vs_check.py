#!/usr/bin/env python3
"""Benchmark `kac lint` (every rule enabled) against `kac check` on the same file, in one run.

For each size, generates the configuration of gen_big_conf.py (SIZE virtual servers x 10 real
servers with TCP_CHECK), then runs the commands N times, interleaved, and reports per command
the median and best wall time (high-resolution clock), the median CPU time (user + system, from
wait4: what the command cost, whatever else loads the machine), the peak RSS (GNU time's %M)
and the ratios to `kac check`. Target (issue 4): lint adds at most 20% to check.

Two files are measured per size:
  as generated   gen_big_conf.py's output. Its checkers use retry 3 x delay_before_retry 3 s
                 against delay_loop 6 s, which the rule retries-exceed-delay-loop reports on every
                 checker (SIZE x 10 findings): these lines measure making and writing that many
                 findings, in each output format (text: stderr, to a file, as a CI log holds
                 it; json, sarif, github: stdout, to a file).
  lint-clean     the same file with `delay_loop 10`: no finding, so the lines measure running
                 every rule over every virtual server, real server and checker (text, and
                 json and sarif, whose cost with few findings is text's).

Usage: benches/lint_vs_check.py [--runs N] [--kac PATH] [SIZE ...]   (default SIZE: 20000)
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run_once(cmd, out_path, err_path):
    """Wall seconds, CPU seconds (user + system) and exit code of one run of cmd (stdout and
    stderr written to files)."""
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                os.execvp(cmd[0], cmd)
            finally:
                os._exit(127)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def peak_rss_kib(cmd, work):
    """Peak RSS of cmd in KiB, measured by GNU time (a fork from Python would count Python's
    own memory)."""
    out = os.path.join(work, "rss")
    gnu_time = shutil.which("time") or "/usr/bin/time"
    subprocess.run([gnu_time, "-f", "%M", "-o", out] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return int(f.read().split()[-1])


def findings(err_path):
    """The finding count of `kac lint`'s summary line (text output)."""
    with open(err_path, errors="replace") as f:
        for line in f:
            if line.startswith("kac lint:"):
                return int(line.split(" finding(s)")[0].rsplit(" ", 1)[1])
    return -1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", type=int, default=[20000])
    ap.add_argument("--runs", type=int, default=7)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(HERE, "..", "target")
    if not os.path.isabs(target):
        target = os.path.join(HERE, "..", target)
    ap.add_argument("--kac", default=os.path.join(target, "release", "kac"))
    args = ap.parse_args()
    if not os.path.exists("/usr/bin/time"):
        print("skipped: GNU time (/usr/bin/time, package time) is not installed")
        return 0
    if not os.access(args.kac, os.X_OK):
        print(f"error: {args.kac} is not built (cargo build --release --bin kac)")
        return 2
    failed = False
    with tempfile.TemporaryDirectory(prefix="kac-lint-bench.") as work:
        print(f"{'size':>6}  {'file':<13} {'command':<12} {'median_s':>9} {'min_s':>8} {'cpu_s':>8} "
              f"{'rss_kib':>9} {'out_mib':>8} {'findings':>9}")
        for n in args.sizes:
            generated = os.path.join(work, f"big_{n}.conf")
            subprocess.run([sys.executable, os.path.join(HERE, "gen_big_conf.py"), "--vs", str(n),
                            "--rs", "10", "--checker", "tcp", "-o", generated], check=True)
            clean = os.path.join(work, f"big_{n}_clean.conf")
            with open(generated) as f, open(clean, "w") as g:
                g.write(f.read().replace("    delay_loop 6\n", "    delay_loop 10\n"))
            for label, conf, formats in (("as generated", generated, ["text", "json", "sarif", "github"]),
                                         ("lint-clean", clean, ["text", "json", "sarif"])):
                tools = {"check": [args.kac, "check", conf, "-i", "bench", "--interfaces", "lo,eth0"]}
                for fmt in formats:
                    tools[f"lint {fmt}"] = [args.kac, "lint", conf, "--format", fmt]
                out, err = os.path.join(work, "stdout"), os.path.join(work, "stderr")
                res = {name: [] for name in tools}
                counts, sizes = {}, {}
                for _ in range(args.runs):
                    for name, cmd in tools.items():
                        res[name].append(run_once(cmd, out, err))
                        sizes[name] = (os.path.getsize(out) + os.path.getsize(err)) / 2**20
                        if name == "lint text":
                            counts[name] = findings(err)
                summary = {}
                for name, runs in res.items():
                    walls = [r[0] for r in runs]
                    cpus = [r[1] for r in runs]
                    rss = peak_rss_kib(tools[name], work)
                    summary[name] = (statistics.median(walls), min(walls), statistics.median(cpus), rss)
                    print(f"{n:>6}  {label:<13} {name:<12} {summary[name][0]:>9.4f} {summary[name][1]:>8.4f} "
                          f"{summary[name][2]:>8.4f} {rss:>9} {sizes[name]:>8.1f} {counts.get(name, ''):>9}")
                c = summary["check"]
                for name in tools:
                    if name == "check":
                        continue
                    s = summary[name]
                    print(f"{n:>6}  {label:<13} {name:<12} / check: wall {s[0] / c[0]:.3f} median, "
                          f"{s[1] / c[1]:.3f} best, cpu {s[2] / c[2]:.3f} median (target <= 1.20), "
                          f"peak RSS {s[3] / c[3]:.3f}")
                if {r[2] for r in res["check"]} != {0}:
                    print("error: kac check rejected the generated configuration")
                    failed = True
                if label == "lint-clean" and counts.get("lint text") != 0:
                    print(f"error: kac lint found {counts.get('lint text')} finding(s) in the lint-clean file")
                    failed = True
                if label == "as generated" and counts.get("lint text") != n * 10:
                    print(f"error: kac lint found {counts.get('lint text')} finding(s), expected {n * 10}")
                    failed = True
    print(f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB, "
          f"{os.uname().release}, load {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
