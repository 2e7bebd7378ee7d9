#!/usr/bin/env python3
"""Health checking at scale (root): N real servers with TCP checks every second against local
listeners, inside a network namespace this script creates (every real-server address is
local there: `ip route add local 10.64.0.0/16 dev lo`; one listener on port 80 accepts and
closes). What runs is the daemon's check machinery (check engine, driver and probes on one
current-thread runtime, the desired IPVS state recomputed on every change of health:
reconciler/examples/check_bench.rs); the kernel side is left out (this machine's kernel has no
IPVS). kac's own CPU (utime+stime of its process over the measured window, after a warm-up)
and RSS are reported; the listener's CPU is not counted.

--https: SSL_GET checks (HTTPS GET / against an ECDSA P-256 certificate, not verified, as
keepalived) instead; target 2,000 checks per second sustained. The HTTPS server is
reconciler/examples/tls_bench_server.rs (rustls, one listener per thread on one port; the Python
server this bench used before could not keep up), by default without session resumption (every
check a full handshake, the worst case); `--resume` lets it issue session tickets, which kac's
client uses. Each check is still a new TCP connection (keepalived's behaviour).

Figures: checks per second and kac's CPU per check (ms, the primary figure: it does not depend
on what else the machine runs), both over the measured window, from check_bench's own count
and getrusage; with --https also the server's CPU per connection (test equipment, not counted).
Each check of a real server starts `delay_loop` (1 s) after its previous one ended, so N real
servers give a little under N checks per second: use --servers 2100 for 2,000/s. --kac-cpus and
--server-cpus pin either side to CPUs (taskset lists, e.g. 0 and 1) so that each side's share
of a 2-core machine is clear.

Targets (issue 9): 10,000 real servers checked every second, CPU under 25% of one core, RSS
under 100 MB, no file-descriptor exhaustion (the open-file limit is raised at start; reported
when it cannot be). No peer can run at this scale here (keepalived's checker needs IPVS), so
the figures are absolute.

  sudo python3 benches/check_bench.py                       # full size (by hand): 10,000
  sudo python3 benches/check_bench.py --https --servers 2100 --listeners 2   # HTTPS (by hand)
  sudo python3 benches/check_bench.py --https --servers 2100 --listeners 1 \
      --kac-cpus 0 --server-cpus 1                          # HTTPS, one core each
  sudo python3 benches/check_bench.py --servers 500 --seconds 5 --warmup 2   # smoke (CI)

The bench binaries: target/release/examples/check_bench and tls_bench_server (built by this
script with cargo).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LISTENER = r"""
import os, socket, sys
procs = int(sys.argv[1])
# Several processes accepting on one port (SO_REUSEPORT): the listener must not be what limits.
for _ in range(procs - 1):
    if os.fork() == 0:
        break
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("0.0.0.0", 80))
s.listen(65535)
os.write(1, b"ready\n")
while True:
    c, _ = s.accept()
    c.close()
"""


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def address(i):
    return f"10.64.{i // 250}.{i % 250 + 1}"


def config(servers, per_vs, https):
    out = ["global_defs {\n  router_id bench\n}\n"]
    n = 0
    v = 0
    while n < servers:
        out.append(f"virtual_server 10.65.{v // 250}.{v % 250 + 1} 80 {{\n  delay_loop 1\n"
                   "  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n")
        for _ in range(min(per_vs, servers - n)):
            if https:
                check = ("    SSL_GET {\n      url {\n        path /\n        status_code 200\n"
                         "      }\n      connect_port 443\n      connect_timeout 2\n"
                         "      retry 1\n      delay_before_retry 1\n    }\n")
            else:
                check = ("    TCP_CHECK {\n      connect_timeout 1\n      retry 1\n"
                         "      delay_before_retry 1\n    }\n")
            out.append(f"  real_server {address(n)} 80 {{\n    weight 1\n{check}  }}\n")
            n += 1
        out.append("}\n")
        v += 1
    return "".join(out)


def proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid, key="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--servers", type=int, default=10000)
    ap.add_argument("--per-vs", type=int, default=100, help="real servers per virtual server")
    ap.add_argument("--seconds", type=float, default=30.0, help="measured window")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds before the window")
    ap.add_argument("--https", action="store_true",
                    help="SSL_GET checks (an ECDSA P-256 certificate) instead of TCP_CHECK")
    ap.add_argument("--listeners", type=int, default=4,
                    help="listener processes (TCP) or threads of the HTTPS server")
    ap.add_argument("--resume", action="store_true",
                    help="HTTPS: the server issues session tickets (kac's client resumes)")
    ap.add_argument("--kac-cpus", help="pin kac's check_bench to these CPUs (taskset list)")
    ap.add_argument("--server-cpus", help="pin the listener/HTTPS server to these CPUs")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("check_bench: skipped: needs root (network namespaces)")
        return 0
    sh("cargo", "build", "--release", "-q", "-p", "kac-reconciler", "--example", "check_bench",
       cwd=ROOT)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    bench = os.path.join(target, "release", "examples", "check_bench")
    tls_server = os.path.join(target, "release", "examples", "tls_bench_server")
    if args.https:
        sh("cargo", "build", "--release", "-q", "-p", "kac-reconciler", "--example",
           "tls_bench_server", cwd=ROOT)
    kac = os.environ.get("KAC_BIN") or os.path.join(target, "release", "kac")
    if not os.path.exists(kac):
        sh("cargo", "build", "--release", "-q", "--bin", "kac", cwd=ROOT)
    ns = f"kacchk{os.getpid()}"
    work = tempfile.mkdtemp(prefix="kac-check-bench-")
    listener = None
    try:
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "route", "add", "local", "10.64.0.0/16", "dev", "lo", "table", "local")
        conf = os.path.join(work, "keepalived.conf")
        with open(conf, "w") as f:
            f.write(config(args.servers, args.per_vs, args.https))
        plan = os.path.join(work, "plan.json")
        with open(plan, "w") as f:
            sh(kac, "compile", "--format", "json", conf, stdout=f)
        server_pin = ["taskset", "-c", args.server_cpus] if args.server_cpus else []
        kac_pin = ["taskset", "-c", args.kac_cpus] if args.kac_cpus else []
        if args.https:
            listener = subprocess.Popen(["ip", "netns", "exec", ns] + server_pin
                                        + [tls_server, "0.0.0.0:443", str(args.listeners)]
                                        + (["resume"] if args.resume else []),
                                        stdout=subprocess.PIPE, text=True)
            readies = 1
        else:
            listener = subprocess.Popen(["ip", "netns", "exec", ns] + server_pin
                                        + ["python3", "-c", LISTENER, str(args.listeners)],
                                        stdout=subprocess.PIPE, text=True)
            readies = args.listeners
        for _ in range(readies):
            line = listener.stdout.readline()
            if line.strip() != "ready":
                raise SystemExit(f"the listener did not start: {line!r}")
        total = args.warmup + args.seconds
        proc = subprocess.Popen(["ip", "netns", "exec", ns] + kac_pin
                                + [bench, plan, str(total), str(args.warmup)],
                                stdout=subprocess.PIPE, text=True)
        time.sleep(args.warmup)
        c0, t0 = proc_cpu_s(proc.pid), time.monotonic()
        s0 = proc_cpu_s(listener.pid) if args.https else 0.0
        rss_max = 0.0
        while time.monotonic() - t0 < args.seconds - 0.5 and proc.poll() is None:
            rss_max = max(rss_max, proc_rss_mb(proc.pid))
            time.sleep(0.5)
        c1, t1 = proc_cpu_s(proc.pid), time.monotonic()
        s1 = proc_cpu_s(listener.pid) if args.https else 0.0
        load = os.getloadavg()
        hwm = proc_rss_mb(proc.pid, "VmHWM")
        out, _ = proc.communicate(timeout=60)
        if proc.returncode != 0:
            raise SystemExit(f"check_bench failed ({proc.returncode})")
        r = json.loads(out)
        cpu = 100.0 * (c1 - c0) / (t1 - t0)
        mean_ms = 1000.0 * r["latency_sum_s"] / max(r["attempts"], 1)
        kind = "TCP"
        if args.https:
            kind = "SSL_GET (ECDSA P-256, " + ("resumed sessions" if args.resume
                                               else "full handshakes") + ")"
        print(f"check_bench: {r['real_servers']} real servers, {kind} checks every 1s, "
              f"{r['up']} up at the end")
        print(f"  attempts: {r['attempts']:.0f} in {total:.0f}s "
              f"({r['attempts'] / total:.0f}/s), mean latency {mean_ms:.2f} ms, "
              f"{r['health_events']} change(s) of health")
        print(f"  kac CPU: {cpu:.1f}% of one core over {t1 - t0:.1f}s"
              + (" (target < 25%)" if not args.https else ""))
        if "window_attempts" in r and r["window_attempts"] > 0:
            rate = r["window_attempts"] / r["window_s"]
            per = 1000.0 * r["window_cpu_s"] / r["window_attempts"]
            print(f"  measured window: {r['window_attempts']:.0f} checks in "
                  f"{r['window_s']:.1f}s = {rate:.0f} checks/s; kac CPU {per:.3f} ms/check "
                  f"({100.0 * r['window_cpu_s'] / r['window_s']:.1f}% of one core; one core "
                  f"would run {1000.0 / per:.0f} checks/s)")
            if args.https:
                sper = 1000.0 * (s1 - s0) / r["window_attempts"]
                print(f"  HTTPS server (not counted): {100.0 * (s1 - s0) / (t1 - t0):.1f}% of "
                      f"one core, {sper:.3f} ms/connection")
        print(f"  kac RSS: {rss_max:.1f} MB (peak {hwm:.1f} MB; target < 100 MB)")
        print(f"  open-file limit: {r['fd_limit']}")
        print(f"  load average over the run: {load[0]:.2f} (1 min), machine: "
              f"{os.cpu_count()} CPU(s)")
        pins = [f"kac on CPU {args.kac_cpus}" if args.kac_cpus else "",
                f"server on CPU {args.server_cpus}" if args.server_cpus else ""]
        if any(pins):
            print("  pinned: " + ", ".join(p for p in pins if p))
        if r["up"] != r["real_servers"]:
            print("  WARNING: not every real server is up (the listener fell behind?): "
                  f"{r.get('a_failure')}")
    finally:
        if listener is not None:
            # The listener's processes live in the namespace: end every process in it.
            subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                                  text=True).stdout.split()
            for p in pids:
                subprocess.run(["kill", p], check=False)
            listener.wait()
        subprocess.run(["ip", "netns", "del", ns], check=False)
        subprocess.run(["rm", "-rf", work], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
