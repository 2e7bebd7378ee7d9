#!/usr/bin/env python3
"""kac's VRRP engine against keepalived (Debian's), in the same run (root).

Two fresh network namespaces per measurement ("hosts" A and B, veth pairs eth0..eth3
between them). The VIP's arrival on a host is read from `ip monitor address` there.

failover:  the master (keepalived, priority 255, on A) is killed with SIGKILL (every
           keepalived process); time from the kill to the VIP on the backup (B, priority 100),
           median of --trials (the kill at a random phase between two adverts); the backup is
           kac, then keepalived:
           * VRRPv2 advert_int 1 (protocol: master down interval 3 + 156/256 s = 3.61 s after
             the last advert, so 3.1 s after the kill on average);
           * VRRPv3 advert_int 0.1 (3 x 0.1 + 0.06 s = 0.36 s; target under 0.4 s).
graceful:  the master (priority 255) gets SIGTERM (priority-0 advert); time to the VIP on the
           backup (priority 200, VRRPv2 advert_int 1: skew 0.22 s; target skew + 100 ms), for
           kac master -> keepalived backup, keepalived -> kac, keepalived -> keepalived.
adopt:     a host moving from keepalived to kac: keepalived master (150) on A, keepalived
           backup (100) on B, VRRPv2 advert_int 1; keepalived on A is stopped without a word
           (SIGSTOP + SIGKILL: the VIP stays) and `kac daemon --adopt` starts there at once.
           The largest gap between A's adverts as B sees them (target: at most one advert
           interval), whether A's VIP ever left and whether B ever became master.
reload:    kac master of VI_1 and VI_2 (VRRPv3, advert_int 0.1 and 1) with keepalived backups;
           a revision changes only VI_2's priority; the largest gap between VI_1's adverts
           around the reload as the peer sees them (target: at most one interval).
cpu:       --instances instances (advert_int 1, all master: priority 255, 250 VRIDs per
           interface) on A, no peer; CPU time of the daemon's processes over 10 s, as a
           percentage of one core (target under 5% for 1,000), kac and keepalived.

  sudo python3 benches/vrrp_bench.py                                   # full (by hand)
  sudo python3 benches/vrrp_bench.py --trials 1 --v2-trials 0 --instances 100 --adopt-trials 1  # smoke (CI)

The kac binary: $KAC_BIN, else target/release/kac (build it with `cargo build --release`).
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from addr_monitor import Monitor
from netns import kac_bin, kill_all, pids


def sh(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


class Pair:
    """Namespaces A and B joined by eth0..eth3 (10.9.K.1/24 and 10.9.K.2/24); every process
    in them is killed and both are deleted on exit."""

    count = 0

    def __enter__(self):
        Pair.count += 1
        base = f"kac-vbench-{os.getpid()}-{Pair.count}"
        self.a, self.b = base + "-a", base + "-b"
        sh("ip", "netns", "add", self.a)
        sh("ip", "netns", "add", self.b)
        try:
            for ns in (self.a, self.b):
                sh("ip", "-n", ns, "link", "set", "lo", "up")
            for k in range(4):
                sh("ip", "-n", self.a, "link", "add", f"eth{k}", "type", "veth", "peer", "name",
                   f"eth{k}", "netns", self.b)
                for n, ns in ((1, self.a), (2, self.b)):
                    sh("ip", "-n", ns, "addr", "add", f"10.9.{k}.{n}/24", "dev", f"eth{k}")
                    sh("ip", "-n", ns, "link", "set", f"eth{k}", "up")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for ns in (self.a, self.b):
            kill_all(ns)
        time.sleep(0.1)
        for ns in (self.a, self.b):
            subprocess.run(["ip", "netns", "del", ns], check=False)


def conf(instances):
    """instances: (name, interface, vrid, priority, version, advert, vip)."""
    s = "global_defs {\n  router_id bench\n}\n"
    for name, dev, vrid, prio, ver, adv, vip in instances:
        s += (f"vrrp_instance {name} {{\n  state BACKUP\n  interface {dev}\n"
              f"  virtual_router_id {vrid}\n  priority {prio}\n  version {ver}\n"
              f"  advert_int {adv}\n  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n")
    return s


class Daemon:
    """kac daemon or keepalived in namespace `ns` with configuration `text`."""

    def __init__(self, kind, ns, work, text, extra=()):
        self.kind, self.ns = kind, ns
        d = tempfile.mkdtemp(dir=work)
        self.dir = d
        src = os.path.join(d, "src")
        os.makedirs(src)
        cfile = os.path.join(src, "keepalived.conf")
        with open(cfile, "w") as f:
            f.write(text)
        log = open(os.path.join(d, "log"), "w")
        self.control = os.path.join(d, "kac.sock")
        if kind == "kac":
            cmd = [kac_bin(), "daemon", "--source", src, "--state-dir", os.path.join(d, "state"),
                   "--control", self.control, *extra]
        else:
            cmd = ["keepalived", "-n", "-l", "-D", "-P", "-f", cfile,
                   "-p", os.path.join(d, "k.pid"), "-r", os.path.join(d, "v.pid")]
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, *cmd], stdout=log, stderr=log)

    def procs(self):
        return pids(self.ns, "kac" if self.kind == "kac" else "keepalived")

    def signal(self, sig):
        procs = [str(p) for p in self.procs()]
        if sig == "KILL":
            # keepalived's children get SIGTERM when their parent dies (and would send
            # priority-0 adverts): stop them all first, as a crash or power loss would.
            subprocess.run(["kill", "-STOP", *procs], check=False)
        subprocess.run(["kill", f"-{sig}", *procs], check=False)

    def status(self):
        r = subprocess.run([kac_bin(), "status", "--format", "json", "--control", self.control],
                           capture_output=True, text=True)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def log(self):
        with open(os.path.join(self.dir, "log")) as f:
            return f.read()

    def wait_backup(self, timeout=30):
        """Until the backup has heard the master."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.kind == "kac":
                st = self.status()
                if st and st.get("vrrp") and all(
                        i["state"] == "BACKUP" and i.get("master") for i in st["vrrp"]):
                    return
            elif "Entering BACKUP STATE" in self.log():
                time.sleep(0.5)
                return
            time.sleep(0.02)
        raise SystemExit(f"{self.kind} never became a backup:\n{self.log()}")


VIP = "10.9.0.100"

# Runs in a namespace: prints every IPv4 VRRP packet received as JSON
# [monotonic time, source, vrid, priority] until argv[1] seconds have passed.
CAPTURE = r'''
import json, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton("224.0.0.18") + socket.inet_aton(sys.argv[2]))
s.settimeout(0.1)
end = time.monotonic() + float(sys.argv[1])
print("ready", flush=True)
while time.monotonic() < end:
    try:
        data, addr = s.recvfrom(4096)
    except socket.timeout:
        continue
    v = data[(data[0] & 15) * 4:]
    print(json.dumps([time.monotonic(), addr[0], v[1], v[2]]), flush=True)
'''


class Capture:
    """The VRRP adverts namespace `ns` (address `local` on eth0) receives for `seconds`."""

    def __init__(self, ns, local, seconds):
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-c", CAPTURE, str(seconds), local],
            stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit("advert capture did not start")

    def adverts(self):
        """Waits for the end; every advert as (time, source, vrid, priority)."""
        out = self.proc.communicate()[0]
        return [tuple(json.loads(line)) for line in out.splitlines() if line.startswith("[")]


def largest_gap(adverts, src, vrid, t_from, t_to):
    """The longest time between two adverts of `vrid` from `src` (priority > 0) within
    [t_from, t_to], the window's edges counting as adverts."""
    ts = sorted(t for t, s, v, p in adverts if s == src and v == vrid and p > 0
                and t_from <= t <= t_to)
    points = [t_from, *ts, t_to]
    return max(b - a for a, b in zip(points, points[1:]))


def drain(mon):
    """Every line the monitor read so far, as (time, line)."""
    out = []
    while not mon.q.empty():
        out.append(mon.q.get())
    return out


def adopt(work):
    """(largest advert gap in s, VIP left A, B became master) for keepalived -> kac --adopt."""
    text = conf([("VI_1", "eth0", 51, 150, 2, "1", VIP + "/24")])
    with Pair() as p:
        mon_a = Monitor(p.a)
        ka = Daemon("keepalived", p.a, work, text)
        mon_a.wait(VIP)
        kb = Daemon("keepalived", p.b, work,
                    conf([("VI_1", "eth0", 51, 100, 2, "1", VIP + "/24")]))
        kb.wait_backup()
        cap = Capture(p.b, "10.9.0.2", 14)
        time.sleep(3 + random.uniform(0, 1))
        drain(mon_a)
        t0 = time.monotonic()
        ka.signal("KILL")
        Daemon("kac", p.a, work, text, extra=("--adopt",))
        time.sleep(8)
        adverts = cap.adverts()
        gap = largest_gap(adverts, "10.9.0.1", 51, t0 - 2, t0 + 7)
        before = largest_gap(adverts, "10.9.0.1", 51, t0 - 3, t0)
        left = any(line.startswith("Deleted") and f" {VIP}/" in line for _, line in drain(mon_a))
        b_master = "Entering MASTER STATE" in kb.log()
        mon_a.close()
        return gap, before, left, b_master


def reload_gap(work, version, advert):
    """Largest gap (s) in VI_1's adverts while a revision changes only VI_2."""
    def insts(prio2):
        return [("VI_1", "eth0", 51, 150, version, advert, VIP + "/24"),
                ("VI_2", "eth0", 52, prio2, version, advert, "10.9.0.101/24")]
    with Pair() as p:
        mon_a = Monitor(p.a)
        k = Daemon("kac", p.a, work, conf(insts(150)))
        mon_a.wait(VIP)
        b = Daemon("keepalived", p.b, work,
                   conf([(n, d, v, 100, ver, a, vip) for n, d, v, _, ver, a, vip in insts(150)]))
        b.wait_backup()
        st = k.status()
        rev = st["applied"]["revision"] if st else None
        cap = Capture(p.b, "10.9.0.2", 6)
        time.sleep(2)
        cfile = os.path.join(k.dir, "src", "keepalived.conf")
        with open(cfile + ".tmp", "w") as f:
            f.write(conf(insts(160)))
        t0 = time.monotonic()
        os.rename(cfile + ".tmp", cfile)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            st = k.status()
            if st and st["applied"]["revision"] != rev:
                break
            time.sleep(0.02)
        else:
            raise SystemExit(f"the new revision was never applied:\n{k.log()}")
        t1 = time.monotonic()
        adverts = cap.adverts()
        mon_a.close()
        return (largest_gap(adverts, "10.9.0.1", 51, t0 - 1, max(t1 + 1, t0 + 3)),
                largest_gap(adverts, "10.9.0.1", 51, t0 - 2, t0), t1 - t0)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def handover(work, master_kind, backup_kind, version, advert, backup_prio, how):
    """Seconds from killing (`KILL`) or stopping (`TERM`) the master to the VIP on the backup."""
    with Pair() as p:
        mon_a, mon_b = Monitor(p.a), Monitor(p.b)
        m = Daemon(master_kind, p.a, work,
                   conf([("VI_1", "eth0", 51, 255, version, advert, VIP + "/24")]))
        mon_a.wait(VIP)
        b = Daemon(backup_kind, p.b, work,
                   conf([("VI_1", "eth0", 51, backup_prio, version, advert, VIP + "/24")]))
        b.wait_backup()
        # A random phase: the kill lands anywhere between two adverts (waiting for the
        # backup is aligned with an advert for kac, whose status shows the master once heard).
        time.sleep(2 * float(advert) + random.uniform(0, float(advert)))
        t0 = time.monotonic()
        m.signal(how)
        t = mon_b.wait(VIP) - t0
        mon_a.close()
        mon_b.close()
        return t


def cpu(work, kind, n):
    """Percent of one core used by `kind` with n master instances, advert_int 1."""
    insts = []
    for i in range(n):
        k, v = divmod(i, 250)
        insts.append((f"VI_{i}", f"eth{k}", v + 1, 255, 2, "1", f"10.100.{k}.{v + 1}/32"))
    with Pair() as p:
        d = Daemon(kind, p.a, work, conf(insts))
        end = time.monotonic() + 120
        while time.monotonic() < end:
            out = subprocess.run(["ip", "-n", p.a, "-4", "-o", "addr"], capture_output=True,
                                 text=True).stdout
            if out.count(" 10.100.") >= n:
                break
            time.sleep(0.2)
        else:
            raise SystemExit(f"{kind}: not all {n} instances became master")
        time.sleep(3)

        def ticks():
            total = 0
            for pid in d.procs():
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            return total
        t0, c0 = time.monotonic(), ticks()
        time.sleep(10)
        t1, c1 = time.monotonic(), ticks()
        hz = os.sysconf("SC_CLK_TCK")
        return 100.0 * (c1 - c0) / hz / (t1 - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=10, help="v3 0.1 s and graceful trials")
    ap.add_argument("--v2-trials", type=int, default=10, help="advert_int 1 kill -9 trials")
    ap.add_argument("--instances", type=int, default=1000)
    ap.add_argument("--adopt-trials", type=int, default=5,
                    help="keepalived -> kac --adopt moves, and reloads")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("vrrp_bench: needs root (network namespaces)")
    if not os.path.exists(kac_bin()) or not shutil.which("keepalived"):
        sys.exit("vrrp_bench: needs target/release/kac and keepalived")
    work = tempfile.mkdtemp(prefix="kac-vrrp-bench-")
    try:
        print(f"kac {kac_bin()}, keepalived {shutil.which('keepalived')}; "
              f"{os.cpu_count()} CPUs; median of the trials; load average {loadavg()}")
        for _ in range(args.adopt_trials):
            gap, before, left, b_master = adopt(work)
            print(f"keepalived -> kac --adopt, v2 advert_int 1: largest advert gap seen by the "
                  f"peer {gap:.3f} s (target <= 1 s; keepalived alone before: {before:.3f} s); "
                  f"VIP left the host: {left}; peer became "
                  f"master: {b_master}; load {loadavg()}", flush=True)
        for version, advert in ((3, "0.1"), (2, "1")):
            for _ in range(args.adopt_trials):
                gap, before, took = reload_gap(work, version, advert)
                print(f"reload changing VI_2 only, v{version} advert_int {advert}: largest gap "
                      f"in VI_1's adverts {gap:.3f} s (target <= {advert} s; before the reload "
                      f"{before:.3f} s; revision applied "
                      f"in {took:.3f} s); load {loadavg()}", flush=True)
        for version, advert, trials in ((2, "1", args.v2_trials), (3, "0.1", args.trials)):
            if trials == 0:
                continue
            for backup in ("kac", "keepalived"):
                ts = [handover(work, "keepalived", backup, version, advert, 100, "KILL")
                      for _ in range(trials)]
                print(f"failover after kill -9, v{version} advert_int {advert}, backup {backup}"
                      f" (priority 100): median {statistics.median(ts):.3f} s"
                      f" (min {min(ts):.3f}, max {max(ts):.3f}, n={trials})", flush=True)
        if args.trials:
            for master, backup in (("kac", "keepalived"), ("keepalived", "kac"),
                                   ("keepalived", "keepalived")):
                ts = [handover(work, master, backup, 2, "1", 200, "TERM")
                      for _ in range(args.trials)]
                print(f"graceful handover (SIGTERM), v2 advert_int 1, {master} -> {backup}"
                      f" (priority 200, skew 0.22 s): median {statistics.median(ts):.3f} s"
                      f" (max {max(ts):.3f}, n={args.trials})", flush=True)
        if args.instances:
            for kind in ("kac", "keepalived"):
                pct = cpu(work, kind, args.instances)
                print(f"cpu, {args.instances} master instances, advert_int 1, {kind}: "
                      f"{pct:.2f}% of one core", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
