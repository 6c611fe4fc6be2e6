"""Laureates on a test's own database, for the publication, API and page tests of each
backend: the real published list (and the real places it needs: régions, départements,
communes, the density grid, the PACA QPV of 2024 and the outlines of three départements of
PACA, so that loads take seconds), plus three **synthetic** laureates decided by a jury
(no real decision is published yet): one the same Fabrique as a published one, one a
possible match still to confirm, one distinct.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import shapely
from sqlalchemy import Engine, insert

from geodata.storage.jury_laureates import JURY_LICENCE
from geodata.storage.models import DatasetVersion, Laureate
from loaders.pipeline import load_source
from tests.support import contours_of

__all__ = ["DECIDED", "PACA_DEPARTEMENTS", "add_decided", "load_laureates"]

PACA_DEPARTEMENTS = ("06", "13", "83")
SOURCES = ("regions", "departements", "communes", "densite", "qpv2024-communes",
           "laureates")

DECIDED = [
    {"id": "ds-900001", "name": "Le Hublot", "commune_code": "06088", "commune_name": "Nice",
     "wave": "4", "kind": "FNT", "precision": "address", "territory": "metropole",
     "geom": shapely.Point(7.2620, 43.7034), "dossier_number": 900001,
     "siret": "12345678900017", "amount_1": 60000, "amount_2": 50000, "amount_3": 40000,
     "published_match": "fabt-02", "match_state": "meme"},
    {"id": "ds-900002", "name": "S.C.I.C. T.E.T.R.I.S (second lieu)", "commune_code": "06069",
     "commune_name": "Grasse", "wave": "4", "kind": "FT", "precision": "address",
     "territory": "metropole", "geom": shapely.Point(6.9260, 43.6580),
     "dossier_number": 900002, "siret": "98765432100011", "amount_1": 50000,
     "amount_2": 50000, "amount_3": 50000, "published_match": "fabt-03",
     "match_state": "a-confirmer"},
    {"id": "ds-900003", "name": "La Fabrique du Panier", "commune_code": "13055",
     "commune_name": "Marseille", "wave": "4", "kind": "FT", "precision": "address",
     "territory": "metropole", "geom": shapely.Point(5.3686, 43.2990),
     "dossier_number": 900003, "siret": "11122233300044", "amount_1": 75000,
     "amount_2": 50000, "amount_3": 25000, "published_match": None,
     "match_state": "distinct"},
]
"""Synthetic decided laureates (values made up; the SIRETs are not real companies')."""


def load_laureates(engine: Engine, data_dir: Path, folder: Path) -> None:
    """The real published list and what its categories need, into ``engine``."""
    for name in SOURCES:
        load_source(engine, name, data_dir=data_dir, progress=False)
    contours = contours_of(data_dir, PACA_DEPARTEMENTS, folder / "contours.geojson")
    load_source(engine, "commune-contours", str(contours), progress=False)
    load_source(engine, "qpv2024-paca", data_dir=data_dir, progress=False)


def add_decided(engine: Engine, decided: list[dict] = DECIDED) -> None:
    """The synthetic decided laureates, under their own dataset source (as the jury's
    code writes them)."""
    with engine.begin() as connection:
        version = connection.execute(insert(DatasetVersion).returning(DatasetVersion.id), [{
            "source": "decisions-jury", "dataset": "laureates", "vintage": "2026-vague-4",
            "licence": JURY_LICENCE, "url": None, "path": "jury",
            "checksum": "sha256:" + "0" * 64, "complete_for": {"scope": "none"},
            "loaded_at": datetime.now(UTC), "counts": {"loaded": {"laureates": len(decided)}},
            "current": True}]).scalar_one()
        connection.execute(insert(Laureate), [{**row, "dataset_version_id": version}
                                              for row in decided])
