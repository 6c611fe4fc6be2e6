"""Commune outlines on both backends: the whole real file once, then small extracts of it
(with features removed or broken) for the skips and the errors."""

from __future__ import annotations

import copy
import json

import pytest
import shapely
from sqlalchemy import select

from geodata.storage.models import CommuneContour, DatasetVersion
from loaders.admin import NO_OUTLINE
from loaders.pipeline import load_source
from tests.loaders.common import load, refused, version_count, write_json

pytestmark = pytest.mark.shared_data

CONTOURS = "communes/communes_contours_datafrance.geojson"
WITHOUT_GEOMETRY = ("12218", "14581", "15031", "15035", "15047", "15171", "49126", "69114")


def contours(engine):
    with engine.connect() as connection:
        return {row.code: row for row in connection.execute(select(CommuneContour.__table__))}


def test_every_outline_is_loaded_valid_and_placed(engine, data_dir):
    load_source(engine, "communes", data_dir=data_dir, progress=False)
    report = load_source(engine, "commune-contours", data_dir=data_dir, progress=False)

    assert report.status == "chargé"
    assert report.loaded == {"commune_contours": 34_912}
    assert report.repaired == 1  # 67226 Ittenheim
    assert not report.skipped  # the 8 communes without geometry are not in the file at all
    rows = contours(engine)
    assert not set(WITHOUT_GEOMETRY) & set(rows)
    assert sum(row.kind == "ARM" for row in rows.values()) == 45
    assert all(row.geom.geom_type == "MultiPolygon" and row.geom.is_valid
               for row in rows.values())
    assert rows["67226"].name == "Ittenheim"
    toulouse = rows["31555"]
    assert (toulouse.kind, toulouse.territory) == ("COM", "metropole")
    assert toulouse.geom.contains(shapely.Point(1.444, 43.604))  # Capitole
    assert (rows["13201"].kind, rows["13201"].territory) == ("ARM", "metropole")
    assert rows["97411"].territory == "reunion"
    assert rows["97611"].territory == "mayotte" and rows["97611"].population is None
    assert load_source(engine, "commune-contours", data_dir=data_dir,
                       progress=False).status == "inchangé"
    assert version_count(engine) == 2  # the official list, the outlines
    _without_outline_are_named_and_kept(engine, report)


def _without_outline_are_named_and_kept(engine, report):
    """The 8 communes the package gives no geometry (absent from the shared file) and the
    communes of Saint-Barthélemy and Saint-Martin are named in the report and kept in the
    version's counts; the other communes without outline are outside the territories
    served (Saint-Pierre-et-Miquelon, the Pacific), only counted."""
    missing = [*WITHOUT_GEOMETRY, "97701", "97801"]
    (note,) = [n for n in report.notes if "de la liste officielle sans contour" in n]
    assert note.startswith("10 communes de la liste officielle sans contour")
    assert all(code in note for code in missing) and "12218 Conques-en-Rouergue" in note
    assert any(n.startswith("92 autres communes sans contour, hors des territoires")
               for n in report.notes)
    with engine.connect() as connection:
        counts = connection.scalar(select(DatasetVersion.counts)
                                   .where(DatasetVersion.source == "commune-contours"))
    assert counts["without_outline"] == missing


def test_without_the_official_list_the_report_says_it_cannot_name_them(engine, extract,
                                                                       tmp_path):
    report = load(engine, "commune-contours", path=write_json(tmp_path / "extrait.geojson",
                                                              extract))

    assert any("liste officielle des communes (source « communes ») non chargée" in note
               for note in report.notes)


# --- small extracts of the real file ------------------------------------------------------

@pytest.fixture(scope="module")
def extract(data_dir):
    """The real file's header and its first 40 features."""
    document = json.loads((data_dir / CONTOURS).read_text(encoding="utf-8"))
    document["features"] = document["features"][:40]
    return document


def test_features_without_geometry_are_skipped_with_their_code(engine, extract, tmp_path):
    document = copy.deepcopy(extract)
    document["features"][4]["geometry"] = None
    document["features"][7]["geometry"] = {"type": "MultiPolygon", "coordinates": []}
    codes = [document["features"][n]["properties"]["code"] for n in (4, 7)]

    report = load(engine, "commune-contours", path=write_json(tmp_path / "trous.geojson",
                                                              document))

    assert report.loaded == {"commune_contours": 38}
    assert report.skipped == [(f"{codes[0]} (entité 5)", NO_OUTLINE),
                              (f"{codes[1]} (entité 8)", NO_OUTLINE)]
    assert not set(codes) & set(contours(engine))


def _name_renamed(features):
    for feature in features:
        feature["properties"]["libelle"] = feature["properties"].pop("nom")


def _code_twice(features):
    features[6]["properties"]["code"] = features[1]["properties"]["code"]


def _point_for_an_outline(features):
    features[2]["geometry"] = {"type": "Point", "coordinates": [4.9, 46.1]}


def _unknown_kind(features):
    features[9]["properties"]["type"] = "COMD"


@pytest.mark.parametrize(("edit", "said", "row", "field"), [
    pytest.param(_name_renamed, [], None, "nom", id="missing-column"),
    pytest.param(_code_twice, ["entité 2", "entité 7"], None, "code", id="duplicated-code"),
    pytest.param(_point_for_an_outline, ["Point"], "entité 3", "geometry",
                 id="point-for-an-outline"),
    pytest.param(_unknown_kind, [], "entité 10", "type", id="unknown-kind"),
])
def test_bad_extract_is_refused_and_leaves_previous_outlines(engine, extract, tmp_path, edit,
                                                             said, row, field):
    load(engine, "commune-contours", path=write_json(tmp_path / "extrait.geojson", extract))
    before = {code: contour.geom.wkb for code, contour in contours(engine).items()}
    assert len(before) == 40
    broken = copy.deepcopy(extract)
    edit(broken["features"])

    error = refused(engine, "commune-contours", write_json(tmp_path / "casse.geojson", broken))

    assert "casse.geojson" in str(error) and all(part in str(error) for part in said)
    assert (error.row, error.field) == (row, field)
    assert {code: contour.geom.wkb for code, contour in contours(engine).items()} == before
    assert version_count(engine) == 1
