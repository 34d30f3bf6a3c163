"""Load test of ``zoning serve`` on loopback: concurrent clients screening one site each.

Starts ``zoning serve`` as a child process on a free loopback port (the demo catalogue), warms
it up, then runs ``--clients`` threads (default 8) that together send ``--requests`` (default
400) ``POST /api/screen`` requests, each one site (points, short lines and small polygons drawn
from a fixed seed inside Shanxi), over keep-alive connections. Bounded in count and in time
(``--deadline`` seconds per run, default 120). Prints: errors, p50/p95/max latency as the
clients saw it, the time the server spent per screening (its ``Server-Timing`` header), one
warm site alone, throughput in screenings per second, CPU per screening of the server and of
the clients, and the server's memory after warm-up and at the end.

**The clients are lean and their cost is printed.** They run in this process: raw sockets,
each request's bytes encoded before the clock starts, responses parsed by ``Content-Length``
only (no ``http.client``, no JSON decoding), so they take little of the 2 cores the server
shares with them; ``client CPU per screening`` (this process's CPU time over the load phase)
says how little. Compare it with ``server CPU per screening``: what the clients use is not
available to the server.

**The server is a process tree** when it screens in worker processes (the default of
``zoning serve``): its CPU is the sum over the main process and its workers (user + system,
``/proc/PID/stat``), its memory is given two ways: the sum of the resident sets (RSS; pages
the workers share with the main process after the fork are counted once per process, so this
overstates) and the sum of the proportional sets (PSS, ``/proc/PID/smaps_rollup``; a shared
page is split between the processes sharing it, so the tree's pages are counted once). The
RSS-growth aim is judged on the PSS sum of the tree.

**Old against new, interleaved**: ``--baseline DIR`` (a checkout of the old code, with its own
``zoning/_assets``) runs the old server in turns with this checkout's (``base``, ``procs`` …,
``--repeats`` times), and prints the median of each figure per variant. Variants:
``base`` (the baseline's ``zoning serve``), ``procs`` (this checkout, worker processes),
``threads`` (this checkout, ``--worker-threads``).

The peer approach is the command line: ``zoning screen site.geojson --json`` per site (a new
process each time, as a script without the server would do); ``--cli-runs`` runs are timed at
the end and the ratio to the server's p50 is printed.

Aims (issue 15): no errors; p95 ≤ 250 ms with 8 clients on 2 cores; one warm site ≤ 30 ms in
the server; resident memory growing no more than 10 % after warm-up.

Usage::

    python benchmarks/bench_serve.py                 # this checkout, 8 clients, 400 screenings
    python benchmarks/bench_serve.py --quick         # 4 clients, 80 screenings
    python benchmarks/bench_serve.py --baseline /tmp/old --variants base,procs --repeats 3

Figures depend on the machine and its load: the load average is printed with every run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# a box well inside Shanxi (lon, lat), where the demo layers are dense
BOX = (111.0, 35.5, 113.6, 39.5)
#: the zoning command of this interpreter (the checkout's package via PYTHONPATH)
ZONING = (sys.executable, "-c", "from zoning.cli.main import cli; cli()")


def make_sites(n: int, seed: int = 20240601) -> list[dict]:
    """``n`` one-site GeoJSON geometries: a third points, lines (~500 m), polygons (~300 m)."""
    rng = np.random.default_rng(seed)
    out: list[dict] = []
    for i in range(n):
        lon = float(rng.uniform(BOX[0], BOX[2]))
        lat = float(rng.uniform(BOX[1], BOX[3]))
        d = 0.003  # ~300 m
        if i % 3 == 0:
            out.append({"type": "Point", "coordinates": [lon, lat]})
        elif i % 3 == 1:
            out.append({"type": "LineString", "coordinates": [[lon, lat], [lon + 2 * d, lat + d]]})
        else:
            ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
            out.append({"type": "Polygon", "coordinates": [ring]})
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------- the process tree


def tree(pid: int) -> list[int]:
    """``pid`` and its child processes (Linux /proc)."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids += [int(p) for p in task.read_text().split()]
        except OSError:
            continue
    return pids


def _status_kib(pid: int, key: str, name: str = "status") -> int:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_mib(pid: int) -> tuple[float, float]:
    """(sum of RSS, sum of PSS) of ``pid`` and its children, in MiB."""
    pids = tree(pid)
    rss = sum(_status_kib(p, "VmRSS:") for p in pids) / 1024
    pss = sum(_status_kib(p, "Pss:", "smaps_rollup") for p in pids) / 1024
    return rss, pss


def cpu_seconds(pid: int, children: bool = True) -> float:
    """User + system CPU seconds of ``pid`` (and its children) so far (Linux /proc)."""
    total = 0
    for p in tree(pid) if children else [pid]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def start_server(root: Path, port: int, workers: int, extra: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(root))
    cmd = [*ZONING, "serve", "--port", str(port), "--workers", str(workers), "--queue", "64"]
    proc = subprocess.Popen(
        [*cmd, *extra], env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("zoning serve exited before listening") from None
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("zoning serve did not start within 180 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ----------------------------------------------------------------------------- the lean client


def request_bytes(port: int, site: dict) -> bytes:
    """The whole HTTP request screening ``site`` (encoded once, before the clock starts)."""
    body = json.dumps({"project_type": "solar_pv", "site": site}).encode()
    head = (
        f"POST /api/screen HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connection:
    """One keep-alive connection: send request bytes, read one response by its length."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buf += chunk

    def exchange(self, request: bytes) -> tuple[int, float]:
        """Send ``request``; return (status, the server's seconds from ``Server-Timing``)."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.split(":", 1) for line in lines[1:])
        headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
        need = int(headers.get("content-length", "0"))
        while len(self.buf) < need:
            self._fill()
        self.buf = self.buf[need:]
        timing = headers.get("server-timing", "")
        server = float(timing.split("dur=")[1]) / 1000 if "dur=" in timing else float("nan")
        if headers.get("connection", "").lower() == "close":
            self.close()
            self.__init__(self.port)  # type: ignore[misc]
        return status, server


def run_clients(port: int, requests: list[bytes], clients: int, deadline: float) -> dict:
    """Send every request once, spread over ``clients`` threads; stop at ``deadline``."""
    lock = threading.Lock()
    queue = list(requests)
    latencies: list[float] = []
    server: list[float] = []
    errors: list[str] = []

    def client() -> None:
        conn = Connection(port)
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    break
                request = queue.pop()
            t0 = time.perf_counter()
            try:
                status, srv = conn.exchange(request)
            except (OSError, ValueError, IndexError) as exc:
                with lock:
                    errors.append(type(exc).__name__)
                conn.close()
                conn = Connection(port)
                continue
            elapsed = time.perf_counter() - t0
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                    server.append(srv)
                else:
                    errors.append(str(status))
        conn.close()

    cpu0, t0 = time.process_time(), time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "latencies": latencies,
        "server": server,
        "errors": errors,
        "wall": wall,
        "client_cpu": time.process_time() - cpu0,
    }


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


# ----------------------------------------------------------------------------- one run


def run_once(
    root: Path, extra: list[str], clients: int, n: int, workers: int, deadline: float
) -> dict:
    """Start a server from ``root``, load it, stop it; return its figures."""
    port = free_port()
    load0 = os.getloadavg()[0]
    proc = start_server(root, port, workers, extra)
    try:
        warm_n = max(clients * 5, 20)
        warm_reqs = [request_bytes(port, s) for s in make_sites(warm_n, seed=1)]
        warm = run_clients(port, warm_reqs, clients, time.monotonic() + deadline)
        rss_warm, pss_warm = memory_mib(proc.pid)
        # one warm site alone: the server's own time for one screening, no contention
        conn = Connection(port)
        alone = []
        for req in [request_bytes(port, s) for s in make_sites(30, seed=2)]:
            t0 = time.perf_counter()
            _, srv = conn.exchange(req)
            alone.append((time.perf_counter() - t0, srv))
        conn.close()
        reqs = [request_bytes(port, s) for s in make_sites(n)]
        cpu0, main0 = cpu_seconds(proc.pid), cpu_seconds(proc.pid, children=False)
        res = run_clients(port, reqs, clients, time.monotonic() + deadline)
        cpu = cpu_seconds(proc.pid) - cpu0
        cpu_main = cpu_seconds(proc.pid, children=False) - main0
        rss_end, pss_end = memory_mib(proc.pid)
        processes = len(tree(proc.pid))
    finally:
        stop_server(proc)
    done = len(res["latencies"])
    return {
        "done": done,
        "n": n,
        "warm": len(warm["latencies"]),
        "errors": res["errors"],
        "p50": pct(res["latencies"], 50),
        "p95": pct(res["latencies"], 95),
        "max": max(res["latencies"], default=float("nan")),
        "server_p50": pct(res["server"], 50),
        "alone_server": statistics.median(s for _, s in alone),
        "alone_client": statistics.median(c for c, _ in alone),
        "throughput": done / res["wall"],
        "server_cpu": cpu / max(done, 1),
        "main_cpu": cpu_main / max(done, 1),
        "client_cpu": res["client_cpu"] / max(done, 1),
        "rss_warm": rss_warm,
        "rss_growth": 100 * (rss_end - rss_warm) / rss_warm,
        "pss_warm": pss_warm,
        "pss_growth": 100 * (pss_end - pss_warm) / pss_warm,
        "processes": processes,
        "load": (load0 + os.getloadavg()[0]) / 2,
    }


def line(label: str, f: dict) -> str:
    ms = 1000
    return (
        f"{label:8s} p50 {ms * f['p50']:5.0f} ms  p95 {ms * f['p95']:5.0f} ms  "
        f"alone {ms * f['alone_server']:4.0f} ms (client {ms * f['alone_client']:4.0f})  "
        f"{f['throughput']:5.1f}/s  CPU/screening server {ms * f['server_cpu']:4.0f} ms "
        f"(main {ms * f['main_cpu']:4.1f}) "
        f"client {ms * f['client_cpu']:4.1f} ms  PSS {f['pss_warm']:4.0f} MiB "
        f"{f['pss_growth']:+5.1f} %  RSS {f['rss_warm']:4.0f} MiB {f['rss_growth']:+5.1f} %  "
        f"errors {len(f['errors'])}/{f['done']}  load {f['load']:.1f}"
    )


def cli_peer(root: Path, sites: list[dict]) -> list[float]:
    """Seconds of ``zoning screen FILE --json`` (a new process) for each site."""
    env = dict(os.environ, PYTHONPATH=str(root))
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, site in enumerate(sites):
            path = Path(tmp) / f"site{i}.geojson"
            crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}
            feature = {"type": "Feature", "properties": {}, "geometry": site}
            doc = {"type": "FeatureCollection", "crs": crs, "features": [feature]}
            path.write_text(json.dumps(doc), encoding="utf-8")
            t0 = time.perf_counter()
            subprocess.run(
                [*ZONING, "screen", str(path), "-t", "solar_pv", "--json"],
                env=env,
                check=True,
                capture_output=True,
            )
            out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 clients, 80 screenings")
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2, help="server workers")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds per phase")
    parser.add_argument("--baseline", type=Path, default=None, help="checkout of the old code")
    parser.add_argument(
        "--variants", default=None, help="comma-separated: base, procs, threads (default procs)"
    )
    parser.add_argument("--repeats", type=int, default=1, help="interleaved rounds")
    parser.add_argument("--cli-runs", type=int, default=1, help="peer: CLI runs timed")
    args = parser.parse_args()
    clients = args.clients or (4 if args.quick else 8)
    n = args.requests or (80 if args.quick else 400)
    variants = (args.variants or ("base,procs" if args.baseline else "procs")).split(",")
    setups = {
        "base": (args.baseline, []),
        "procs": (ROOT, ["--worker-processes"]),
        "threads": (ROOT, ["--worker-threads"]),
    }
    if "base" in variants and args.baseline is None:
        parser.error("variant 'base' needs --baseline DIR")

    print(
        f"== zoning serve load test (loopback, demo catalogue, {os.cpu_count()} CPUs, shared "
        f"machine): {clients} clients, {n} one-site screenings, {args.workers} server workers"
    )
    print(f"load average at start {os.getloadavg()}")
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    for r in range(args.repeats):
        for v in variants:
            root, extra = setups[v]
            f = run_once(root, extra, clients, n, args.workers, args.deadline)
            runs[v].append(f)
            print(f"[{r + 1}] " + line(v, f), flush=True)
    print(f"== medians of {args.repeats} interleaved run(s) each")
    med: dict[str, dict] = {}
    for v, fs in runs.items():
        med[v] = {k: statistics.median(f[k] for f in fs) for k in fs[0] if k != "errors"}
        med[v]["errors"] = [e for f in fs for e in f["errors"]]
        med[v]["done"] = sum(f["done"] for f in fs)
        print("    " + line(v, med[v]) + f"  ({fs[0]['processes']} server processes)")
    print(
        "(latency as the clients saw it; 'alone': one warm site with nothing else queued, the "
        "server's Server-Timing and the client's round trip; CPU/screening: server = main "
        "process + workers, client = this process's load threads; main = the server's main process alone (HTTP, "
        "JSON in and out; the rest is its workers); PSS/RSS: after warm-up and "
        "growth to the end, summed over the server's processes)"
    )
    last = variants[-1]
    if args.cli_runs:
        peer = cli_peer(setups[last][0], make_sites(args.cli_runs, seed=3))
        print(
            f"peer: `zoning screen FILE --json` per site, median {statistics.median(peer):.2f} s "
            f"({len(peer)} runs): {statistics.median(peer) / med[last]['p50']:.0f}× the server's "
            f"p50 under load ({last})"
        )
    m = med[last]
    aims = [
        ("no errors", not m["errors"] and m["done"] == n * args.repeats),
        ("p95 ≤ 250 ms", m["p95"] <= 0.250),
        ("one warm site ≤ 30 ms in the server", m["alone_server"] <= 0.030),
        ("memory (PSS of the tree) growth ≤ 10 % after warm-up", m["pss_growth"] <= 10.0),
    ]
    for name, ok in aims:
        print(f"  aim {name} ({last}): {'met' if ok else 'NOT met'}")
    return 0 if not any(f["errors"] for fs in runs.values() for f in fs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
