"""`ip monitor address` in a network namespace, shared by the benchmarks that time how long an
address takes to appear (daemon_bench.py, vrrp_bench.py)."""
import queue
import subprocess
import threading
import time


class Monitor:
    """`ip monitor address` in the namespace named `ns`; `wait(addr)` is the time (monotonic)
    the next line adding `addr` was read."""

    def __init__(self, ns):
        self.proc = subprocess.Popen(["ip", "-n", ns, "monitor", "address"],
                                     stdout=subprocess.PIPE, text=True)
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.q.put((time.monotonic(), line))

    def wait(self, addr, timeout=30):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise SystemExit(f"{addr} never appeared")
            try:
                t, line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if f" {addr}/" in line and not line.startswith("Deleted"):
                return t

    def close(self):
        self.proc.kill()
        self.proc.wait()
