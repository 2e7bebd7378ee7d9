"""What the benchmarks that run in network namespaces share (apply_bench.py, daemon_bench.py,
vrrp_bench.py): the kac binary they time, throw-away namespaces, and the processes in them."""
import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kac_bin():
    """$KAC_BIN, else the release build (target/release/kac, or under $CARGO_TARGET_DIR)."""
    if os.environ.get("KAC_BIN"):
        return os.environ["KAC_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "kac")


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def pids(ns, comm=None):
    """The processes in namespace `ns` (only those named `comm`, if given)."""
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
    res = []
    for p in out.split():
        try:
            with open(f"/proc/{p}/comm") as f:
                c = f.read().strip()
        except OSError:
            continue
        if comm is None or c == comm:
            res.append(int(p))
    return res


def kill_all(ns):
    """SIGKILL to every process in namespace `ns`; how many there were."""
    found = pids(ns)
    for p in found:
        subprocess.run(["kill", "-KILL", str(p)], check=False)
    return len(found)


class Namespace:
    """A throw-away namespace `PREFIX-PID-N` with `eth0` (a veth pair; its peer `eth0p` up too
    with `peer_up`); on exit its processes are killed and it is deleted."""

    count = 0

    def __init__(self, prefix, peer_up=False):
        self.prefix, self.peer_up = prefix, peer_up

    def __enter__(self):
        Namespace.count += 1
        self.name = f"{self.prefix}-{os.getpid()}-{Namespace.count}"
        sh("ip", "netns", "add", self.name)
        try:
            sh("ip", "-n", self.name, "link", "set", "lo", "up")
            sh("ip", "-n", self.name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p")
            sh("ip", "-n", self.name, "link", "set", "eth0", "up")
            if self.peer_up:
                sh("ip", "-n", self.name, "link", "set", "eth0p", "up")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def exec(self, *args):
        """`args` run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *args]

    def __exit__(self, *exc):
        if kill_all(self.name):
            time.sleep(0.2)
        subprocess.run(["ip", "netns", "del", self.name], check=False)
