"""Load test of ``zoning serve`` on loopback: concurrent clients screening one site each.

Starts ``zoning serve`` as a child process on a free loopback port (the demo catalogue), warms
it up, then runs ``--clients`` threads (default 8) that together send ``--requests`` (default
400) ``POST /api/screen`` requests, each one site (points, short lines and small polygons drawn
from a fixed seed inside Shanxi), over keep-alive connections. Bounded in count and in time
(``--deadline`` seconds, default 300). Prints: errors, p50/p95/max latency as the clients saw it,
the time the server spent per screening (its ``Server-Timing`` header), throughput in screenings
per second, and the server's resident memory after warm-up and at the end.

The peer approach is the command line: ``zoning screen site.geojson --json`` per site (a new
process each time, as a script without the server would do); a few runs are timed in the same
run and the ratio to the server's p50 is printed.

Aims (issue 15): no errors; p95 ≤ 250 ms with 8 clients on 2 cores; one warm site ≤ 30 ms in
the server; resident memory growing no more than 10 % after warm-up.

Usage::

    python benchmarks/bench_serve.py            # 8 clients, 400 screenings
    python benchmarks/bench_serve.py --quick    # 4 clients, 80 screenings

Figures depend on the machine and its load (say so when quoting them).
"""

from __future__ import annotations

import argparse
import http.client
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


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [
        *ZONING,
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--queue",
        "64",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
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


def screen_once(conn: http.client.HTTPConnection, site: dict) -> tuple[int, float, float]:
    """POST one site; return (status, client seconds, server seconds)."""
    body = json.dumps({"project_type": "solar_pv", "site": site})
    t0 = time.perf_counter()
    conn.request("POST", "/api/screen", body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    elapsed = time.perf_counter() - t0
    timing = resp.getheader("Server-Timing") or ""
    server = float(timing.split("dur=")[1]) / 1000 if "dur=" in timing else float("nan")
    return resp.status, elapsed, server


def run_clients(port: int, sites: list[dict], clients: int, deadline: float) -> dict:
    """Send every site once, spread over ``clients`` threads; stop at ``deadline``."""
    lock = threading.Lock()
    queue = list(enumerate(sites))
    latencies: list[float] = []
    server: list[float] = []
    errors: list[str] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    break
                _, site = queue.pop()
            try:
                status, elapsed, srv = screen_once(conn, site)
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                    server.append(srv)
                else:
                    errors.append(str(status))
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"latencies": latencies, "server": server, "errors": errors, "wall": wall}


def cli_peer(sites: list[dict], runs: int) -> list[float]:
    """Seconds of ``zoning screen FILE --json`` (a new process) for ``runs`` sites."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, site in enumerate(sites[:runs]):
            path = Path(tmp) / f"site{i}.geojson"
            path.write_text(
                json.dumps(
                    {
                        "type": "FeatureCollection",
                        "crs": {
                            "type": "name",
                            "properties": {"name": "urn:ogc:def:crs:EPSG::4490"},
                        },
                        "features": [{"type": "Feature", "properties": {}, "geometry": site}],
                    }
                ),
                encoding="utf-8",
            )
            t0 = time.perf_counter()
            subprocess.run(
                [*ZONING, "screen", str(path), "-t", "solar_pv", "--json"],
                env=env,
                check=True,
                capture_output=True,
            )
            out.append(time.perf_counter() - t0)
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 clients, 80 screenings")
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2, help="server worker threads")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds, at most")
    parser.add_argument("--cli-runs", type=int, default=3, help="peer: CLI runs timed")
    args = parser.parse_args()
    clients = args.clients or (4 if args.quick else 8)
    n = args.requests or (80 if args.quick else 400)
    warm_n = max(clients * 5, 20)

    port = free_port()
    proc = start_server(port, args.workers)
    try:
        warm = run_clients(port, make_sites(warm_n, seed=1), clients, time.monotonic() + 120)
        rss_warm = rss_mb(proc.pid)
        # one warm site alone: the server's own time for one screening, no contention
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        alone = [screen_once(conn, s) for s in make_sites(30, seed=2)]
        conn.close()
        cpu0 = cpu_seconds(proc.pid)
        res = run_clients(port, make_sites(n), clients, time.monotonic() + args.deadline)
        cpu = cpu_seconds(proc.pid) - cpu0
        rss_end = rss_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    peer = cli_peer(make_sites(args.cli_runs, seed=3), args.cli_runs)

    lat = res["latencies"]
    done = len(lat)
    alone_server = [s for _, _, s in alone]
    alone_client = [c for _, c, _ in alone]
    p50 = pct(lat, 50)
    print(
        f"== zoning serve load test (loopback, demo catalogue, {os.cpu_count()} CPUs, shared machine)"
    )
    print(
        f"clients {clients}, server workers {args.workers}, warm-up {len(warm['latencies'])} screenings"
    )
    print(
        f"screenings done {done} of {n}, errors {len(res['errors'])} {sorted(set(res['errors']))}"
    )
    print(
        f"latency (client) p50 {1000 * p50:.0f} ms, p95 {1000 * pct(lat, 95):.0f} ms, max {1000 * max(lat, default=float('nan')):.0f} ms"
    )
    print(
        f"time in the server per screening p50 {1000 * pct(res['server'], 50):.0f} ms, p95 {1000 * pct(res['server'], 95):.0f} ms"
    )
    print(
        f"one warm site alone: server {1000 * statistics.median(alone_server):.0f} ms, client {1000 * statistics.median(alone_client):.0f} ms (median of {len(alone)})"
    )
    print(f"throughput {done / res['wall']:.1f} screenings/s over {res['wall']:.1f} s")
    # CPU time depends far less on what else the machine runs than wall time does
    print(
        f"server CPU per screening {1000 * cpu / max(done, 1):.0f} ms "
        f"(user + system, all threads, under load)"
    )
    growth = 100 * (rss_end - rss_warm) / rss_warm
    print(
        f"server RSS after warm-up {rss_warm:.0f} MiB, at the end {rss_end:.0f} MiB ({growth:+.1f} %)"
    )
    print(
        f"peer: `zoning screen FILE --json` per site, median {statistics.median(peer):.2f} s "
        f"({len(peer)} runs): {statistics.median(peer) / p50:.0f}× the server's p50 under load, "
        f"{statistics.median(peer) / statistics.median(alone_client):.0f}× one warm site alone"
    )
    aims = [
        ("no errors", not res["errors"] and done == n),
        ("p95 ≤ 250 ms", pct(lat, 95) <= 0.250),
        ("one warm site ≤ 30 ms in the server", statistics.median(alone_server) <= 0.030),
        ("RSS growth ≤ 10 % after warm-up", growth <= 10.0),
    ]
    for name, ok in aims:
        print(f"  aim {name}: {'met' if ok else 'NOT met'}")
    return 0 if not res["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
