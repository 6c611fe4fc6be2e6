"""QPV loaders on both backends, from the real shared files and from broken copies of them."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
import shapely.affinity
from sqlalchemy import func, select

from geodata.storage.models import DatasetVersion, Qpv, QpvCommune
from loaders import write
from loaders.pipeline import load_source
from loaders.registry import SOURCES
from tests.loaders.common import count, load, refused, version_count, write_json

pytestmark = pytest.mark.shared_data

OCCITANIE = "qpv/qpv2015_occitanie_hackaviz2021.geojson"


def qpv_rows(engine, vintage="2015"):
    with engine.connect() as connection:
        return {
            row.code: row
            for row in connection.execute(select(Qpv.__table__).where(Qpv.vintage == vintage))
        }


def test_occitanie_loads_every_qpv_and_repairs_invalid_outlines(engine, data_dir):
    report = load_source(engine, "qpv2015-occitanie", data_dir=data_dir, progress=False)

    rows = qpv_rows(engine)
    assert report.status == "chargé"
    assert len(rows) == 105
    assert report.repaired == 32  # SOURCES.md: 32 self-intersecting polygons
    assert all(row.geom.is_valid and row.geom.geom_type == "MultiPolygon"
               for row in rows.values())
    perpignan = rows["QP066007"]
    assert perpignan.territory == "metropole"
    assert perpignan.departement_code == "66"
    assert perpignan.commune_codes == ["66136"]
    # stored in lon/lat: Perpignan is near 2.9 E, 42.7 N
    assert perpignan.geom.centroid.x == pytest.approx(2.9, abs=0.1)
    assert perpignan.geom.centroid.y == pytest.approx(42.7, abs=0.1)


def test_second_run_changes_nothing(engine, data_dir):
    first = load_source(engine, "qpv2015-occitanie", data_dir=data_dir, progress=False)
    before = qpv_rows(engine)

    second = load_source(engine, "qpv2015-occitanie", data_dir=data_dir, progress=False)

    assert second.status == "inchangé"
    assert second.version_id == first.version_id
    assert version_count(engine) == 1
    assert {code: row.id for code, row in qpv_rows(engine).items()} == {
        code: row.id for code, row in before.items()
    }


def test_version_records_source_and_completeness(qpv_facts, data_dir):
    engine = qpv_facts  # the completeness is proven by the facts (test_qpv_proof.py)
    load_source(engine, "qpv2024-paca", data_dir=data_dir, progress=False)
    with engine.connect() as connection:
        version = connection.execute(select(DatasetVersion.__table__)
                                     .where(DatasetVersion.dataset == "qpv")).one()
    assert version.vintage == "2024"
    assert version.complete_for == {"scope": "regions", "codes": ["93"]}
    assert version.checksum.startswith("sha256:1a1fd043")
    assert version.counts["loaded"] == {"qpv": 135}
    assert {row.departement_code for row in qpv_rows(engine, "2024").values()} == {
        "04", "05", "06", "13", "83", "84"
    }


def test_membership_list_names_the_communes_of_each_qpv(engine, data_dir):
    report = load_source(engine, "qpv2024-communes", data_dir=data_dir, progress=False)
    with engine.connect() as connection:
        codes = connection.scalar(select(func.count(func.distinct(QpvCommune.qpv_code))))
        overseas = connection.scalar(
            select(func.count()).select_from(QpvCommune).where(
                QpvCommune.commune_code.like("97%"))
        )
    assert report.loaded == {"qpv_communes": 1684}
    assert codes == 1493
    assert overseas > 0


def test_both_vintages_are_kept_side_by_side(engine, data_dir):
    load_source(engine, "qpv2015-occitanie", data_dir=data_dir, progress=False)
    load_source(engine, "qpv2024-paca", data_dir=data_dir, progress=False)
    assert len(qpv_rows(engine, "2015")) == 105
    assert len(qpv_rows(engine, "2024")) == 135


# --- bad inputs: a clear error naming where, and the previous data intact -----------------

@pytest.fixture
def loaded(engine, data_dir):
    """The Occitanie file loaded once: the 'previous data' every bad load must leave alone."""
    load_source(engine, "qpv2015-occitanie", data_dir=data_dir, progress=False)
    return {code: row.geom.wkb for code, row in qpv_rows(engine).items()}


def assert_intact(engine, loaded):
    assert {code: row.geom.wkb for code, row in qpv_rows(engine).items()} == loaded
    assert version_count(engine) == 1


def test_truncated_geojson(engine, loaded, data_dir, tmp_path):
    broken = tmp_path / "tronque.geojson"
    broken.write_bytes((data_dir / OCCITANIE).read_bytes()[:50_000])

    error = refused(engine, "qpv2015-occitanie", broken)

    assert "tronque.geojson" in str(error)
    assert "illisible ou tronqué" in str(error) and "Unterminated" in str(error)  # GDAL's why
    assert_intact(engine, loaded)


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("vide.geojson", b"", "fichier vide"),
    ("sans-entite.geojson", b'{"type": "FeatureCollection", "features": []}',
     "aucune entité dans le fichier (collection vide)"),
    ("qpv.xlsx", b"PK\x03\x04\x14\x00\x06\x00" + b"x" * 200,
     "format non reconnu : un fichier géographique (GeoJSON, GeoPackage, Shapefile…) est "
     "attendu pour cette source"),
])
def test_empty_or_unknown_files_are_refused_in_french(engine, loaded, tmp_path, name,
                                                      content, reason):
    """Synthetic files: nothing, or the first bytes of a workbook; GDAL's English advice
    about driver prefixes (``'CSV:path'``) is not for the person loading a file."""
    path = tmp_path / name
    path.write_bytes(content)

    error = refused(engine, "qpv2015-occitanie", path)

    assert str(error).endswith(f"{name} : {reason}")
    assert_intact(engine, loaded)


def test_file_without_crs(engine, loaded, data_dir, tmp_path):
    frame = gpd.read_file(data_dir / OCCITANIE).to_crs(2154)[["code_qp", "nom_qp", "geometry"]]
    shapefile = tmp_path / "sans_crs.shp"
    frame.to_file(shapefile)
    shapefile.with_suffix(".prj").unlink()

    error = refused(engine, "qpv2015-occitanie", shapefile)

    assert "sans_crs.shp" in str(error)
    assert "aucun système de coordonnées" in str(error)
    assert_intact(engine, loaded)


def test_projected_coordinates_without_crs_member(engine, loaded, data_dir, tmp_path):
    """A Lambert-93 GeoJSON with no crs member would be read as degrees: refused."""
    frame = gpd.read_file(data_dir / OCCITANIE).to_crs(2154)
    document = json.loads(frame.to_json())
    document.pop("crs", None)
    path = write_json(tmp_path / "lambert93_sans_crs.geojson", document)

    error = refused(engine, "qpv2015-occitanie", path)

    assert "entité 1" in str(error)
    assert "hors des bornes" in str(error)
    assert_intact(engine, loaded)


def _point_for_a_polygon(features):
    features[6]["geometry"] = {"type": "Point", "coordinates": [1.44, 43.6]}


def _duplicated_code(features):
    features[9]["properties"]["code_qp"] = features[2]["properties"]["code_qp"]


def _malformed_code(features):
    features[0]["properties"]["code_qp"] = "66007"


def _null_code(features):
    features[3]["properties"]["code_qp"] = None


def _third_vertex(features):
    """The third vertex of the fifth feature's outer ring, a Polygon in the shared file."""
    return features[4]["geometry"]["coordinates"][0][2]


def _outline_copied_under_another_code(features):
    """An outside audit's substitution: the 12th quartier replaced by a copy of the 11th,
    recoded (the count of codes, 105, still matched INSEE's)."""
    features[11]["geometry"] = features[10]["geometry"]
    features[11]["properties"]["code_qp"] = "QP031999"


def _nan_vertex(features):
    _third_vertex(features)[0] = float("nan")


def _infinite_vertex(features):
    _third_vertex(features)[1] = float("inf")


@pytest.mark.parametrize(("edit", "said", "row", "field"), [
    pytest.param(_nan_vertex, ["sommet non fini"], "entité 5", "geometry", id="nan-vertex"),
    pytest.param(_infinite_vertex, ["sommet non fini"], "entité 5", "geometry",
                 id="infinite-vertex"),
    pytest.param(_point_for_a_polygon, ["Point"], "entité 7", "geometry",
                 id="point-for-a-polygon"),
    pytest.param(_duplicated_code, ["clé en double", "entité 3", "entité 10"], None, "code_qp",
                 id="duplicated-code"),
    pytest.param(_malformed_code, ["'66007'"], "entité 1", "code_qp", id="malformed-code"),
    pytest.param(_outline_copied_under_another_code, ["contour en double", "QP031999"],
                 "entité 12", "code_qp", id="outline-copied"),
    pytest.param(_null_code, ["valeur obligatoire manquante"], "entité 4", "code_qp",
                 id="null-code"),  # was « code 'nan' au format inattendu »
])
def test_broken_feature_is_refused(engine, loaded, data_dir, tmp_path, edit, said, row, field):
    document = json.loads((data_dir / OCCITANIE).read_text())
    edit(document["features"])

    error = refused(engine, "qpv2015-occitanie", write_json(tmp_path / "casse.geojson", document))

    assert "casse.geojson" in str(error) and all(part in str(error) for part in said)
    assert (error.row, error.field) == (row, field)
    assert_intact(engine, loaded)


def test_names_given_as_a_json_list_are_read(engine, data_dir, tmp_path):
    """A file whose communes' names are a JSON list (GDAL reads an array) ended in a
    traceback (« The truth value of an array … is ambiguous »). Synthetic: the IdF extract
    with its names as lists."""
    source = SOURCES["qpv2015-ile-de-france-extrait"]
    document = json.loads(source.local_path(data_dir).read_text(encoding="utf-8"))
    for feature in document["features"]:
        names = feature["properties"]["communes_info"]
        feature["properties"]["communes_info"] = [names, "Autre commune"]
    load(engine, source.name, path=write_json(tmp_path / "listes.geojson", document))
    with engine.connect() as connection:
        stored = connection.scalars(select(Qpv.commune_names)).all()
    assert len(stored) == 3 and all(name.endswith(", Autre commune") for name in stored)


def test_csv_missing_a_required_column(engine, data_dir, tmp_path):
    load_source(engine, "qpv2024-communes", data_dir=data_dir, progress=False)
    source = (data_dir / "qpv/qpv2024_commune_membership_anct.csv").read_text(encoding="utf-8")
    lines = [",".join(line.split(",")[:2] + line.split(",")[3:]) for line in source.splitlines()]
    path = tmp_path / "sans_insee.csv"
    path.write_text("\n".join(lines), encoding="utf-8")

    error = refused(engine, "qpv2024-communes", path)

    assert "sans_insee.csv" in str(error) and error.field == "insee_com"
    assert count(engine, QpvCommune) == 1684


def test_interrupted_load_leaves_previous_version(engine, loaded, data_dir, tmp_path,
                                                  monkeypatch):
    """Ctrl-C in the middle of writing (after the old rows were deleted) rolls back."""
    document = json.loads((data_dir / OCCITANIE).read_text())
    for feature in document["features"]:  # about 4 m east: a new edition, not another map
        feature["geometry"] = json.loads(shapely.to_geojson(shapely.affinity.translate(
            shapely.geometry.shape(feature["geometry"]), xoff=0.00005)))
    path = write_json(tmp_path / "nouvelle_version.geojson", document)

    def interrupted(connection, table, rows):
        raise KeyboardInterrupt

    monkeypatch.setattr(write, "_insert", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_source(engine, "qpv2015-occitanie", str(path), progress=False)

    assert_intact(engine, loaded)


def test_a_ring_not_closed_is_refused_naming_its_feature(engine, data_dir, tmp_path):
    """It ended in a GEOS traceback. Synthetic: the PACA file, feature 8's first vertex
    moved (its ring no longer closes)."""
    document = json.loads((data_dir / "qpv/qpv2024_paca_carto_sante.geojson").read_text())
    ring = document["features"][7]["geometry"]["coordinates"][0]
    ring = ring[0] if isinstance(ring[0][0], list) else ring  # a MultiPolygon's first ring
    ring[0] = [5.0, 43.0]

    error = refused(engine, "qpv2024-paca", write_json(tmp_path / "ouvert.geojson", document))

    assert (error.row, error.field) == ("entité 8", "geometry")
    assert "géométrie illisible, un anneau non fermé peut-être (GEOS : " in str(error)
    assert count(engine, Qpv) == 0


def test_code_claimed_by_another_source_is_refused(engine, loaded, data_dir, tmp_path):
    document = json.loads((data_dir / "qpv/qpv2015_ille_et_vilaine_resovilles.geojson")
                          .read_text())
    document["features"][0]["properties"]["CODE_QP"] = "QP066007"  # an Occitanie code

    error = refused(engine, "qpv2015-ille-et-vilaine", write_json(tmp_path / "vol.geojson",
                                                                  document))

    assert "QP066007" in str(error) and "qpv2015-occitanie" in str(error)
    assert_intact(engine, loaded)
