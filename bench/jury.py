"""Time a wave's jury page and the ministry's dashboard with 1,000 laureates already decided,
and say which machine ran it.

    .venv/bin/python bench/jury.py [--wave 260] [--decided 1000]

A fresh embedded database gets the reference layers (départements, communes, their outlines,
the density grid, the QPV 2024 list and PACA outlines, the published laureates: loaded
first, not timed). The dossiers are synthetic (said here): the good rows of the hand-made
wave of ``tests/data/dossiers`` repeated with new DS numbers and moved coordinates
(``bench/dossiers.py``). ``--decided`` dossiers of wave 3 go through the instruction and a
jury that makes them all laureates and closes (timed: the closing writes the laureates
table); then the ``--wave`` dossiers of wave 2 are sent to the jury. The jury page of wave 2
(instructor) and the dashboard (ministry) are each asked for five times (best time), beside
the health check (``/sante``) in the same minute. Target on this machine: each page under
500 ms. Figures are printed, not asserted.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's http, which pyproj and requests import:
# load that one first, then let this folder's modules (figures, load, dossiers) be found.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
import http.client  # noqa: E402, F401

sys.path.append(str(BENCH))

import argparse  # noqa: E402
import tempfile  # noqa: E402

from dossiers import REFERENCE, logged_in, synthetic_wave  # noqa: E402
from figures import best_of, number, timed, verdict_on  # noqa: E402
from load import machine  # noqa: E402
from sqlalchemy import update  # noqa: E402

from app import create_app  # noqa: E402
from app.db import EXTENSION  # noqa: E402
from geodata.storage.database import upgrade  # noqa: E402
from geodata.storage.dossier_models import Dossier  # noqa: E402
from geodata.storage.jury import JURY_STATE, close_session, decide  # noqa: E402
from geodata.storage.reference import reference_index  # noqa: E402
from loaders.dossiers import import_dossiers  # noqa: E402
from loaders.pipeline import load_source  # noqa: E402
from loaders.registry import default_data_dir  # noqa: E402


def wave_of(engine, path: Path, data_dir: Path, wave: str) -> list[int]:
    """Import ``path`` as wave ``wave``, every dossier sent to the jury; their numbers."""
    report = import_dossiers(engine, None, path, data_dir=data_dir, wave=wave, actor="banc")
    numbers = sorted(report.stored.created)
    with engine.begin() as connection:  # the instruction's steps are not what is timed here
        connection.execute(update(Dossier).where(Dossier.number.in_(numbers))
                           .values(state=JURY_STATE))
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", type=int, default=260)
    parser.add_argument("--decided", type=int, default=1000)
    options = parser.parse_args()
    data_dir = default_data_dir()
    print(f"Machine : {machine()}")
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"INSTANCE_PATH": folder, "DATA_DIR": str(data_dir),
                          "RATELIMIT": "off", "SESSION_COOKIE_SECURE": False})
        engine = app.extensions[EXTENSION]
        upgrade(engine)
        seconds, _ = timed(lambda: [load_source(engine, name, data_dir=data_dir,
                                                progress=False)
                                    for name in (*REFERENCE, "laureates")])
        print(f"Couches de référence et lauréats publiés chargés en {seconds:.1f} s "
              "(non compté)")
        reference_index(engine, "2024")
        decided = wave_of(engine, synthetic_wave(options.decided, Path(folder), 8_000_000),
                          data_dir, "3")
        decision, _ = timed(decide, engine, decided, "laureat", "Banc d'essai", "banc")
        closing, closed = timed(close_session, engine, "3", "Banc d'essai", "banc")
        print(f"{number(len(decided))} décisions « lauréat » en {decision:.2f} s ; clôture "
              f"(écriture de {number(closed.laureates.written)} lauréats) en {closing:.2f} s")
        waiting = wave_of(engine, synthetic_wave(options.wave, Path(folder)), data_dir, "2")
        print(f"{number(len(waiting))} dossiers de la vague 2 « transmis au jury »")

        instructor = logged_in(app, "jury@exemple.gouv.fr", "instructor")
        ministry = logged_in(app, "ministere@exemple.gouv.fr", "ministry")
        assert instructor.get("/instruction/jury?vague=2").status_code == 200
        assert ministry.get("/tableau-de-bord").status_code == 200
        jury, _ = best_of(5, instructor.get, "/instruction/jury?vague=2")
        dashboard, _ = best_of(5, ministry.get, "/tableau-de-bord")
        health, _ = best_of(5, instructor.get, "/sante")
        print(f"\nPage du jury (vague 2) : {jury * 1000:.0f} ms (meilleur de 5) ; "
              f"{jury / health:.0f} × /sante ({health * 1000:.1f} ms)")
        print(f"Tableau de bord        : {dashboard * 1000:.0f} ms (meilleur de 5) ; "
              f"{dashboard / health:.0f} × /sante")
        print(f"  cible < 500 ms chacune : {verdict_on(jury < 0.5 and dashboard < 0.5)}")


if __name__ == "__main__":
    main()
