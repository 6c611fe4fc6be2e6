"""Commune outlines on both backends: the whole real file once, then small extracts of it
(with features removed or broken) for the skips and the errors."""

from __future__ import annotations

import copy
import json

import pytest
import shapely
from sqlalchemy import func, select

from geodata.storage.models import CommuneContour, DatasetVersion
from loaders.admin import NO_OUTLINE
from loaders.errors import LoadError
from loaders.pipeline import load_source

pytestmark = pytest.mark.shared_data

CONTOURS = "communes/communes_contours_datafrance.geojson"
WITHOUT_GEOMETRY = ("12218", "14581", "15031", "15035", "15047", "15171", "49126", "69114")


def contours(engine):
    with engine.connect() as connection:
        return {row.code: row for row in connection.execute(select(CommuneContour.__table__))}


def version_count(engine):
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(DatasetVersion))


def test_every_outline_is_loaded_valid_and_placed(engine, data_dir):
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
    assert version_count(engine) == 1


# --- small extracts of the real file ------------------------------------------------------

@pytest.fixture(scope="module")
def extract(data_dir):
    """The real file's header and its first 40 features."""
    document = json.loads((data_dir / CONTOURS).read_text(encoding="utf-8"))
    document["features"] = document["features"][:40]
    return document


def write(tmp_path, name, document):
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_features_without_geometry_are_skipped_with_their_code(engine, extract, tmp_path):
    document = copy.deepcopy(extract)
    document["features"][4]["geometry"] = None
    document["features"][7]["geometry"] = {"type": "MultiPolygon", "coordinates": []}
    codes = [document["features"][n]["properties"]["code"] for n in (4, 7)]

    report = load_source(engine, "commune-contours", write(tmp_path, "trous.geojson", document),
                         progress=False)

    assert report.loaded == {"commune_contours": 38}
    assert report.skipped == [(f"{codes[0]} (entité 5)", NO_OUTLINE),
                              (f"{codes[1]} (entité 8)", NO_OUTLINE)]
    assert not set(codes) & set(contours(engine))


def test_bad_extracts_are_refused_and_leave_previous_outlines(engine, extract, tmp_path):
    load_source(engine, "commune-contours", write(tmp_path, "extrait.geojson", extract),
                progress=False)
    before = {code: row.geom.wkb for code, row in contours(engine).items()}
    assert len(before) == 40

    renamed = copy.deepcopy(extract)
    for feature in renamed["features"]:
        feature["properties"]["libelle"] = feature["properties"].pop("nom")
    with pytest.raises(LoadError) as error:
        load_source(engine, "commune-contours", write(tmp_path, "sans_nom.geojson", renamed),
                    progress=False)
    assert "sans_nom.geojson" in str(error.value) and error.value.field == "nom"

    doubled = copy.deepcopy(extract)
    doubled["features"][6]["properties"]["code"] = doubled["features"][1]["properties"]["code"]
    with pytest.raises(LoadError) as error:
        load_source(engine, "commune-contours", write(tmp_path, "doublon.geojson", doubled),
                    progress=False)
    message = str(error.value)
    assert "doublon.geojson" in message and "entité 2" in message and "entité 7" in message
    assert error.value.field == "code"

    point = copy.deepcopy(extract)
    point["features"][2]["geometry"] = {"type": "Point", "coordinates": [4.9, 46.1]}
    with pytest.raises(LoadError) as error:
        load_source(engine, "commune-contours", write(tmp_path, "point.geojson", point),
                    progress=False)
    assert "point.geojson" in str(error.value) and "Point" in str(error.value)
    assert (error.value.row, error.value.field) == ("entité 3", "geometry")

    wrong_kind = copy.deepcopy(extract)
    wrong_kind["features"][9]["properties"]["type"] = "COMD"
    with pytest.raises(LoadError) as error:
        load_source(engine, "commune-contours", write(tmp_path, "type.geojson", wrong_kind),
                    progress=False)
    assert (error.value.row, error.value.field) == ("entité 10", "type")

    assert {code: row.geom.wkb for code, row in contours(engine).items()} == before
    assert version_count(engine) == 1
