"""Time one ``fabriques check`` in a new process, as a person types it, and say which
machine ran it.

    .venv/bin/python bench/check.py [--repeat 5]

A fresh embedded database gets the reference layers a check reads (régions, départements,
communes, their outlines, the density grid, the EPCI, the QPV 2024 list and PACA outlines:
loaded first, not timed). Then, in the same minute, each best of ``--repeat`` runs:

- the floor: a new Python that imports what any command of the service imports (Flask,
  SQLAlchemy, Shapely, NumPy, pyproj) and does nothing;
- ``fabriques check`` with ``FABRIQUES_INDEX_FILES=off``: the index built in the process;
- ``fabriques check`` reading the index a first run kept (``INDEX_FILES``, the default).

Target on this machine: under 2 s with the kept index. Figures are printed, not asserted.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's http, which pyproj and requests import:
# load that one first, then let this folder's modules (figures, load) be found.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
import http.client  # noqa: E402, F401

sys.path.append(str(BENCH))

import argparse  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from figures import verdict_on  # noqa: E402
from load import machine  # noqa: E402

from geodata.storage.database import embedded_url, make_engine, upgrade  # noqa: E402
from loaders.pipeline import load_source  # noqa: E402
from loaders.registry import default_data_dir  # noqa: E402

PROJECT = BENCH.parent
SOURCES = ("regions", "departements", "communes", "commune-contours", "densite", "epci",
           "qpv2024-communes", "qpv2024-paca")
CHECK = ["-c", "import sys; from app.cli import main; sys.exit(main())",
         "check", "--lon", "5.4034", "--lat", "43.3305"]
FLOOR = ["-c", "import flask, sqlalchemy, shapely, numpy, pyproj"]
TARGET_S = 2.0


def run(arguments: list[str], environment: dict[str, str]) -> float:
    """Wall seconds of ``python ARGUMENTS`` in a new process (fails loudly if it does)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, *arguments], env=environment, cwd=PROJECT, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def best(repeat: int, arguments: list[str], environment: dict[str, str]) -> float:
    return min(run(arguments, environment) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    data_dir = default_data_dir()
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        url = embedded_url(instance)
        engine = make_engine(url)
        upgrade(engine)
        for name in SOURCES:
            load_source(engine, name, data_dir=data_dir, progress=False)
        engine.dispose()
        environment = dict(os.environ, FABRIQUES_INSTANCE_PATH=str(instance),
                           FABRIQUES_DATA_DIR=str(data_dir))
        built = dict(environment, FABRIQUES_INDEX_FILES="off")

        floor = best(repeat, FLOOR, environment)
        building = best(repeat, CHECK, built)
        first = run(CHECK, environment)  # builds, then keeps the index
        kept = best(repeat, CHECK, environment)
        size = sum(p.stat().st_size for p in (instance / "index").glob("*.pickle"))

    print(f"Machine : {machine()}")
    print(f"fabriques check (Marseille 13e), meilleur de {repeat}, la même minute :")
    print(f"  Python qui importe Flask, SQLAlchemy, Shapely… : {floor:5.2f} s (plancher)")
    print(f"  index construit dans le processus             : {building:5.2f} s "
          f"({building / floor:.1f} × le plancher)")
    print(f"  premier lancement, qui garde l'index          : {first:5.2f} s")
    print(f"  index gardé, relu                             : {kept:5.2f} s "
          f"({kept / floor:.1f} × le plancher, {kept / building:.2f} × construit)")
    print(f"  fichier de l'index : {size / 1e6:.0f} Mo")
    print(f"Cible : moins de {TARGET_S:.0f} s avec l'index gardé : {verdict_on(kept < TARGET_S)}")


if __name__ == "__main__":
    main()
