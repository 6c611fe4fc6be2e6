"""Memory of a JSON batch answer (``POST /api/v1/eligibility/batch?format=json``), beside
the whole-list ``jsonify`` it replaced, in the same process, with the machine.

    .venv/bin/python bench/batch_json.py [--rows 100000] [--instance DIR]

The service runs in-process (Flask's test client) on the embedded default: the demo data
loaded into a temporary instance folder, or ``--instance``. The points are seeded, around
Marseille (real QPV 2024 outlines, long explanations). Each line gives the peak of the
Python heap (``tracemalloc``) while the answer is made and read, and the answer's size:

1. the service (rows encoded one by one as they are made, ``app.api.views._json_batch``);
2. the baseline: the same rows as a list of dicts, then ``jsonify`` of the whole list (the
   answer before); both answers must be the same bytes (checked, not timed).

Both lines end holding the answer's bytes (the test client's, the response's). Figures are
printed, never asserted.
"""

from __future__ import annotations

import sys

sys.path.append(sys.path.pop(0))  # bench/http.py must not shadow the standard library's

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

from load import machine  # noqa: E402

BIN = Path(sys.executable).parent


def seeded_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    lines = ["id,lon,lat"] + [f"p{i},{rng.uniform(5.30, 5.50):.5f},{rng.uniform(43.25, 43.40):.5f}"
                              for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def peak(make) -> tuple[float, bytes]:
    """The Python heap's peak in MB while ``make()`` makes its answer's bytes, and them."""
    tracemalloc.start()
    try:
        answer = make()
        return tracemalloc.get_traced_memory()[1] / 1e6, answer
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--instance", help="dossier d'instance déjà chargé (sinon : données "
                                           "démo chargées dans un dossier temporaire)")
    args = parser.parse_args()
    print(f"Machine : {machine()}")
    with tempfile.TemporaryDirectory() as temporary:
        instance = args.instance or temporary
        if not args.instance:
            subprocess.run([BIN / "fabriques", "load", "demo", "--quiet"], check=True,
                           env={**os.environ, "FABRIQUES_INSTANCE_PATH": instance},
                           stdout=subprocess.DEVNULL)
        from flask import jsonify

        from app import create_app
        from app.db import get_engine
        from geodata.eligibility.addresses import batch_rows, read_batch
        from geodata.policy import load_policy
        from geodata.storage.reference import reference_index

        app = create_app({"INSTANCE_PATH": instance, "RATELIMIT": "off",
                          "BATCH_MAX_ROWS": max(args.rows, 1)})
        body, client = seeded_csv(args.rows), app.test_client()
        client.post("/api/v1/eligibility/batch?format=json", data=seeded_csv(1),
                    content_type="text/csv")  # the index built, outside the measure

        def service() -> bytes:
            return client.post("/api/v1/eligibility/batch?format=json", data=body,
                               content_type="text/csv").get_data()

        def whole_list() -> bytes:
            with app.app_context():
                policy = load_policy("current")
                rows, _ = batch_rows(reference_index(get_engine(), policy.qpv_vintage), policy,
                                     read_batch(body))
                return jsonify(policy=policy.name, rows=rows).get_data()

        served, served_answer = peak(service)
        baseline, baseline_answer = peak(whole_list)
    print(f"{args.rows} lignes, réponse de {len(served_answer) / 1e6:.1f} Mo ; mêmes octets : "
          f"{'oui' if served_answer == baseline_answer else 'NON'}")
    print(f"  service (lignes encodées une à une) : pic {served:.0f} Mo")
    print(f"  jsonify de la liste entière (avant) : pic {baseline:.0f} Mo")
    print(f"  rapport : {served / baseline:.2f}")


if __name__ == "__main__":
    main()
