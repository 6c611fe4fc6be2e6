"""Load ``GET /api/v1/eligibility`` under gunicorn and print requests/s, p50 and p99.

    .venv/bin/python bench/http.py [--requests 20000] [--clients 32] [--workers 2]

The service runs on 127.0.0.1 with the embedded default (demo data loaded into a temporary
instance folder) and ``FABRIQUES_RATELIMIT=off``; 32 client threads, each with its own
connection, send a fixed number of requests for seeded points over metropolitan France and
around real QPVs. Only loopback traffic; figures are printed, never asserted. The target
from the web issue: at least 500 requests/s with p99 under 50 ms, no error.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py, as the issue asks: its folder must not shadow the stdlib's http.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import requests  # noqa: E402

_load = importlib.util.spec_from_file_location("bench_load", BENCH / "load.py")
bench_load = importlib.util.module_from_spec(_load)
_load.loader.exec_module(bench_load)
machine = bench_load.machine

ROOT = BENCH.parent
BIN = Path(sys.executable).parent


def seeded_queries(count: int, seed: int = 7) -> list[str]:
    """Query strings: half uniform over metropolitan France, half around Marseille's QPVs."""
    rng = np.random.default_rng(seed)
    half = count // 2
    lon = np.concatenate([rng.uniform(-4.5, 8.0, half), rng.uniform(5.33, 5.45, count - half)])
    lat = np.concatenate([rng.uniform(42.5, 51.0, half), rng.uniform(43.28, 43.38, count - half)])
    policy = np.where(rng.random(count) < 0.5, "current", "ami-2019")
    return [f"lon={x:.5f}&lat={y:.5f}&policy={p}" for x, y, p in zip(lon, lat, policy,
                                                                       strict=True)]


def wait_ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/sante", timeout=1).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise SystemExit("le service n'a pas démarré")


def run_clients(url: str, queries: list[str], clients: int):
    """Each thread sends its share of the queries; returns latencies (s) and errors."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(share: list[str]) -> None:
        mine, wrong = [], []
        with requests.Session() as session:
            for query in share:
                started = time.perf_counter()
                answer = session.get(f"{url}/api/v1/eligibility?{query}", timeout=10)
                mine.append(time.perf_counter() - started)
                if answer.status_code not in (200, 422):  # 422: a point at sea, outside
                    wrong.append(f"{answer.status_code} {query}")
        with lock:
            latencies.extend(mine)
            errors.extend(wrong)

    threads = [threading.Thread(target=client, args=(queries[i::clients],))
               for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5099)
    args = parser.parse_args()
    print(f"Machine : {machine()}")
    with tempfile.TemporaryDirectory() as instance:
        env = {**os.environ, "FABRIQUES_INSTANCE_PATH": instance, "FABRIQUES_RATELIMIT": "off"}
        subprocess.run([BIN / "fabriques", "load", "demo", "--quiet"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{args.port}"
        server = subprocess.Popen(
            [BIN / "gunicorn", "--bind", f"127.0.0.1:{args.port}", "--workers",
             str(args.workers), "--log-level", "warning", "app:create_app()"],
            env=env, cwd=ROOT)
        try:
            wait_ready(url)
            warm = seeded_queries(200, seed=1)  # each worker builds its index once
            run_clients(url, warm, args.workers * 4)
            latencies, errors, elapsed = run_clients(url, seeded_queries(args.requests),
                                                     args.clients)
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1000
    print(f"gunicorn, {args.workers} worker(s) ; {args.clients} clients ; "
          f"{len(latencies)} requêtes en {elapsed:.1f} s")
    print(f"  {len(latencies) / elapsed:,.0f} requêtes/s ; p50 {p50:.1f} ms ; p99 {p99:.1f} ms ; "
          f"{len(errors)} erreur(s)".replace(",", " "))
    for error in errors[:5]:
        print(f"  erreur : {error}")
    print("Cible (issue web) : ≥ 500 requêtes/s, p99 < 50 ms, aucune erreur")


if __name__ == "__main__":
    main()
