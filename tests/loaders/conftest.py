"""What several loader test modules need: the facts a QPV layer's completeness is proven by."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.loaders.common import load, write_json

CONTOURS = "communes/communes_contours_datafrance.geojson"
MEMBERSHIP = "qpv/qpv2024_commune_membership_anct.csv"
OCCITANIE = "qpv/qpv2015_occitanie_hackaviz2021.geojson"
PACA_DEPARTEMENTS = ("04", "05", "06", "13", "83", "84")


@pytest.fixture(scope="session")
def qpv_contours(tmp_path_factory, data_dir) -> Path:
    """The real outlines of the communes that host a PACA QPV 2024 (official list) or an
    Occitanie QPV 2015 (the file's commune codes): an extract of the real file, so that
    the QPV tests do not load 34,912 outlines."""
    with open(data_dir / MEMBERSHIP, encoding="utf-8", newline="") as handle:
        hosting = {row["insee_com"] for row in csv.DictReader(handle)
                   if row["insee_com"][:2] in PACA_DEPARTEMENTS}
    occitanie = json.loads((data_dir / OCCITANIE).read_text(encoding="utf-8"))
    hosting |= {f["properties"]["code_commune"] for f in occitanie["features"]}
    document = json.loads((data_dir / CONTOURS).read_text(encoding="utf-8"))
    document["features"] = [f for f in document["features"]
                            if f["properties"]["code"] in hosting]
    return write_json(tmp_path_factory.mktemp("faits") / "contours_qpv.geojson", document)


@pytest.fixture
def qpv_facts(engine, data_dir, qpv_contours):
    """The engine with the facts QPV layers are proven by: the départements (COG), the
    official list of the communes of each QPV 2024, and the outlines of those communes."""
    load(engine, "departements", data_dir)
    load(engine, "qpv2024-communes", data_dir)
    load(engine, "commune-contours", path=qpv_contours)
    return engine
