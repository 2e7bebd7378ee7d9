#!/usr/bin/env python3
"""Benchmark `kac plan` between two revisions of a large site, in one run.

Builds a git repository in a temporary directory holding the configuration of
gen_big_conf.py (N virtual servers x 10 real servers with TCP_CHECK, about 1.8 kB per
virtual server), commits it, changes one real server's weight, commits again, and times
(median of --runs, high-resolution wall clock):

  * `kac plan --from HEAD~1 --to HEAD`  (both sides read from git's object database)
  * `kac plan` against the working tree  (the change left uncommitted)
  * `kac check` of the same file once    (the peer: one side read and validated)

and checks that the plan reports exactly the one weight change. Target (issue 5): planning
between two revisions of the 20,000-virtual-server site under 1 s with a release build.

Usage: benches/plan_big.py [--runs N] [--kac PATH] [SIZE ...]   (default SIZE: 20000)
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_S = 1.0


def git(repo, *args):
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)


CPU = []


def timed(cmd, cwd, ok_codes=(0, 3)):
    """Wall seconds and stdout of one run; its CPU seconds (user + system) go to CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if p.returncode not in ok_codes:
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr.decode()}")
    return wall, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", type=int, default=[20000])
    ap.add_argument("--runs", type=int, default=5)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(HERE, "..", "target")
    if not os.path.isabs(target):
        target = os.path.join(HERE, "..", target)
    ap.add_argument("--kac", default=os.path.join(target, "release", "kac"))
    args = ap.parse_args()
    gen = os.path.join(HERE, "gen_big_conf.py")
    failed = False
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as repo:
            conf = os.path.join(repo, "keepalived.conf")
            subprocess.run([sys.executable, gen, "--vs", str(n), "-o", conf], check=True)
            git(repo, "init", "-q", "-b", "main")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "big site")
            with open(conf) as f:
                text = f.read()
            # One real server of the middle virtual server gets weight 2.
            at = text.index("real_server", len(text) // 2)
            w = text.index("weight 1", at)
            changed = text[:w] + "weight 2" + text[w + len("weight 1"):]
            with open(conf, "w") as f:
                f.write(changed)
            mb = len(changed) / 1e6
            worktree = []
            for _ in range(args.runs):
                wall, _ = timed([args.kac, "plan", "--detailed-exitcode"], repo)
                worktree.append(wall)
            git(repo, "commit", "-q", "-am", "one weight")
            revs, check, revs_cpu = [], [], []
            out = b""
            for _ in range(args.runs):
                wall, out = timed([args.kac, "plan", "--from", "HEAD~1", "--to", "HEAD",
                                   "--format", "json", "--detailed-exitcode"], repo)
                revs.append(wall)
                revs_cpu.append(CPU[-1])
                wall, _ = timed([args.kac, "check", conf, "-i", "x", "--interfaces", "eth0"],
                                repo, ok_codes=(0, 1))
                check.append(wall)
            doc = json.loads(out)
            changes = [c for s in doc["sites"] for h in s["hosts"] for c in h["changes"]]
            fields = [f for c in changes for f in c["fields"]]
            if len(changes) != 1 or [f["field"] for f in fields] != ["weight"]:
                sys.exit(f"unexpected plan for one weight change: {changes}")
            med = statistics.median(revs)
            print(f"{n} virtual servers ({mb:.1f} MB), {args.runs} runs, median wall time:")
            print(f"  kac plan HEAD~1 -> HEAD       {med:.3f} s  (best {min(revs):.3f} s; target < {TARGET_S} s; "
                  f"CPU user+sys {statistics.median(revs_cpu):.3f} s)")
            print(f"  kac plan HEAD -> working tree {statistics.median(worktree):.3f} s")
            print(f"  kac check (one side)          {statistics.median(check):.3f} s  "
                  f"(plan/check ratio {med / statistics.median(check):.2f})")
            if n >= 20000 and med >= TARGET_S:
                failed = True
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
