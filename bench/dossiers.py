"""Time the import of a wave of dossiers and the wave's table page, and say which machine ran it.

    .venv/bin/python bench/dossiers.py [--sizes 260 5000]

A fresh embedded database gets the reference layers the checks read (départements, communes,
their outlines, the density grid, the QPV 2024 list and the PACA outlines: loaded first, not
timed). The waves are synthetic (said here): the good rows of the hand-made wave of
``tests/data/dossiers`` repeated with new DS numbers, every one with coordinates (moved by up
to 2 km, so that the territorial answers vary). Each size is imported into an empty dossiers
table, then imported again (the "unchanged" pass), beside two baselines timed in the same
run: reading the file alone (pandas), and classifying the same points alone (the engine).
The table page of the largest wave is asked for five times by a logged-in instructor (best
time), beside the health check (``/sante``) in the same minute. Targets on this machine: 260
dossiers in at most 2 s, the table page in under 300 ms with 5,000 dossiers. Figures are
printed, not asserted.
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
import csv  # noqa: E402
import io  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from figures import best_of, number, timed, verdict_on  # noqa: E402
from load import machine  # noqa: E402
from sqlalchemy import delete  # noqa: E402

from app import create_app  # noqa: E402
from app.access import create_user  # noqa: E402
from app.db import EXTENSION  # noqa: E402
from geodata.eligibility import classify  # noqa: E402
from geodata.policy import load_policy  # noqa: E402
from geodata.storage.database import upgrade  # noqa: E402
from geodata.storage.dossier_models import Dossier, DossierEvent  # noqa: E402
from geodata.storage.reference import reference_index  # noqa: E402
from loaders.dossiers import import_dossiers  # noqa: E402
from loaders.pipeline import load_source  # noqa: E402
from loaders.registry import default_data_dir  # noqa: E402

REPOSITORY = BENCH.parent
WAVE = REPOSITORY / "tests" / "data" / "dossiers" / "ami2019_vague.csv"
REFERENCE = ("departements", "communes", "commune-contours", "densite", "qpv2024-communes",
             "qpv2024-paca")
PASSWORD = "mot de passe du banc d'essai"


def synthetic_wave(size: int, folder: Path, first: int = 9_000_000) -> Path:
    """``size`` dossiers of wave 2 from the fixture's good rows, with new numbers (from
    ``first``) and moved coordinates (a fixed seed)."""
    rows = list(csv.DictReader(io.StringIO(WAVE.read_text(encoding="utf-8"))))
    good = [r for r in rows[:24] if r["Longitude"] and r["Type de Fabrique"]
            == "Fabrique de Territoire"]
    rng = np.random.default_rng(2019)
    out = []
    for i in range(size):
        row = dict(good[i % len(good)])
        row["ID"] = str(first + i)
        lon = float(row["Longitude"].replace(",", ".")) + rng.uniform(-0.02, 0.02)
        lat = float(row["Latitude"].replace(",", ".")) + rng.uniform(-0.015, 0.015)
        row["Longitude"], row["Latitude"] = f"{lon:.6f}", f"{lat:.6f}"
        out.append(row)
    path = folder / f"vague-{first}-{size}.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(out)
    return path


def clear(engine) -> None:
    with engine.begin() as connection:
        connection.execute(delete(DossierEvent))
        connection.execute(delete(Dossier))


def bench_import(engine, path: Path, data_dir: Path) -> dict[str, float]:
    clear(engine)
    cold, report = timed(import_dossiers, engine, None, path, data_dir=data_dir, actor="banc")
    assert len(report.stored.created) and not report.intake.errors
    again, _ = timed(import_dossiers, engine, None, path, data_dir=data_dir, actor="banc")
    read, frame = timed(pd.read_csv, path, dtype=str, keep_default_na=False)
    policy = load_policy("current")
    index = reference_index(engine, policy.qpv_vintage)
    lon = frame["Longitude"].astype(float).to_numpy()
    lat = frame["Latitude"].astype(float).to_numpy()
    engine_only, _ = timed(classify, index, policy, lon, lat)
    return {"cold": cold, "again": again, "read": read, "classify": engine_only}


def logged_in(app, email: str, role: str):
    """A test client of ``app`` logged in through the form as a new account of ``role``."""
    create_user(app.extensions[EXTENSION], email, PASSWORD, role)
    client = app.test_client()
    page = client.get("/connexion").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/connexion", data={"email": email, "password": PASSWORD,
                                    "csrf_token": token})
    return client


def bench_page(app, wave: str) -> tuple[float, float]:
    client = logged_in(app, "banc@exemple.gouv.fr", "instructor")
    assert client.get(f"/instruction/dossiers?vague={wave}").status_code == 200
    table, _ = best_of(5, client.get, f"/instruction/dossiers?vague={wave}")
    health, _ = best_of(5, client.get, "/sante")
    return table, health


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[260, 5000])
    options = parser.parse_args()
    data_dir = default_data_dir()
    print(f"Machine : {machine()}")
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"INSTANCE_PATH": folder, "DATA_DIR": str(data_dir),
                          "RATELIMIT": "off", "SESSION_COOKIE_SECURE": False})
        engine = app.extensions[EXTENSION]
        upgrade(engine)
        seconds, _ = timed(lambda: [load_source(engine, name, data_dir=data_dir,
                                                progress=False) for name in REFERENCE])
        print(f"Couches de référence chargées en {seconds:.1f} s (non compté)")
        reference_index(engine, "2024")  # built once, as a running service has it
        for size in options.sizes:
            figures = bench_import(engine, synthetic_wave(size, Path(folder)), data_dir)
            print(f"\n{number(size)} dossiers (vague synthétique, tous avec coordonnées)")
            print(f"  import (lecture, vérifications, écriture) : {figures['cold']:.2f} s, "
                  f"{number(size / figures['cold'])} dossiers/s")
            print(f"  nouvel import, rien ne change            : {figures['again']:.2f} s")
            print(f"  référence, lecture seule (pandas)        : {figures['read']:.3f} s "
                  f"(import = {figures['cold'] / figures['read']:.0f} × la lecture)")
            print(f"  référence, classement seul (moteur)      : {figures['classify']:.3f} s "
                  f"(import = {figures['cold'] / figures['classify']:.0f} × le classement)")
            if size == 260:
                print(f"  cible 260 dossiers ≤ 2 s : {verdict_on(figures['cold'] <= 2.0)}")
        table, health = bench_page(app, "2")
        print(f"\nPage du tableau ({number(options.sizes[-1])} dossiers dans la vague) : "
              f"{table * 1000:.0f} ms (meilleur de 5) ; /sante : {health * 1000:.1f} ms "
              f"({table / health:.0f} ×)")
        if options.sizes[-1] >= 5000:
            print(f"  cible < 300 ms avec 5 000 dossiers : {verdict_on(table < 0.3)}")
        engine.dispose()


if __name__ == "__main__":
    main()
