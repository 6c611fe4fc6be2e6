"""A place far from its commune's outline is named in the load's report, on both backends.

The real CGET 2019 list gives SICTIAM (record 1460) a point at Sophia Antipolis (Valbonne,
06152) and the code of a Calvados commune (14327); the outlines are an extract of the real
file (those two communes and Nantes, the commune of record 1).
"""

from __future__ import annotations

import json

import pytest

from geodata.storage.models import Place
from loaders.pipeline import load_source
from tests.loaders.common import count, load, write_json
from tests.loaders.conftest import CONTOURS

pytestmark = pytest.mark.shared_data

COMMUNES = {"14327", "06152", "44109"}


@pytest.fixture(scope="module")
def place_contours(tmp_path_factory, data_dir):
    document = json.loads((data_dir / CONTOURS).read_text(encoding="utf-8"))
    document["features"] = [f for f in document["features"]
                            if f["properties"]["code"] in COMMUNES]
    assert len(document["features"]) == len(COMMUNES)
    return write_json(tmp_path_factory.mktemp("faits") / "contours_lieux.geojson", document)


def far_notes(report) -> list[str]:
    return [note for note in report.notes
            if "du contour de sa commune" in note or "du contour de leur commune" in note]


def test_a_place_of_another_commune_is_named_and_loaded_as_published(
        engine, data_dir, place_contours):
    load(engine, "commune-contours", path=place_contours)

    report = load_source(engine, "tierslieux-cget-2019", data_dir=data_dir, progress=False)

    assert report.status == "chargé"
    [note] = far_notes(report)
    assert note.startswith("1 lieu à plus de 1 km du contour de sa commune")
    assert "1460 (SICTIAM) à 836 km de 14327" in note
    assert "chargé tel que publié" in note
    assert count(engine, Place) == 1512  # nothing lost: the place stays as published


def test_without_outlines_nothing_is_said(engine, data_dir):
    report = load_source(engine, "tierslieux-cget-2019", data_dir=data_dir, progress=False)

    assert report.status == "chargé"
    assert far_notes(report) == []
