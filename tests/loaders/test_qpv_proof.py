"""A QPV layer's completeness is proven by the data at load time, on both backends.

The files are the real shared ones, or copies of them altered in ``tmp_path`` (synthetic
alterations of real data, each said in its test): the first ten PACA QPV only, longitude and
latitude swapped, one polygon moved 100° east, the first Occitanie QPV only.
"""

from __future__ import annotations

import json

import pytest
from shapely.affinity import translate
from shapely.geometry import mapping, shape
from sqlalchemy import select

from geodata.checks import check_point
from geodata.storage.models import DatasetVersion, Qpv
from geodata.storage.reference import read_qpv_layer
from loaders.errors import LoadError
from loaders.pipeline import load_source
from loaders.registry import SOURCES
from tests.loaders.common import count, load, version_count, write_json

pytestmark = pytest.mark.shared_data

PACA = "qpv/qpv2024_paca_carto_sante.geojson"
OCCITANIE = "qpv/qpv2015_occitanie_hackaviz2021.geojson"
REGION_93 = {"scope": "regions", "codes": ["93"]}


def versions(engine, source: str) -> list:
    with engine.connect() as connection:
        return connection.execute(select(DatasetVersion.__table__)
                                  .where(DatasetVersion.source == source)
                                  .order_by(DatasetVersion.id)).all()


def current(engine, source: str):
    (version,) = [v for v in versions(engine, source) if v.current]
    return version


def qpv_codes(engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(select(Qpv.code)))


def paca(data_dir) -> dict:
    return json.loads((data_dir / PACA).read_text(encoding="utf-8"))


def first_ten(data_dir, tmp_path):
    """Synthetic alteration of real data: the first 10 of the 135 PACA QPV."""
    document = paca(data_dir)
    document["features"] = document["features"][:10]
    return write_json(tmp_path / "dix.geojson", document)


def test_paca_is_proven_complete_by_the_official_list_and_the_outlines(qpv_facts, data_dir):
    report = load(qpv_facts, "qpv2024-paca", data_dir)

    version = current(qpv_facts, "qpv2024-paca")
    assert version.complete_for == REGION_93
    verified = version.counts["checks"]["verified"]
    assert "les 135 quartiers que la liste officielle « qpv2024-communes » nomme dans la " \
        "région de code Insee 93 sont tous au fichier" in verified
    assert "135 contours dans leurs communes (source « commune-contours », à 50 m près)" \
        in verified
    assert report.completeness.startswith("complet pour la région de code Insee 93, prouvé")


def test_the_first_ten_qpv_are_refused_and_the_complete_layer_stays(qpv_facts, data_dir,
                                                                    tmp_path):
    load(qpv_facts, "qpv2024-paca", data_dir)
    before = version_count(qpv_facts)

    with pytest.raises(LoadError) as refused:
        load(qpv_facts, "qpv2024-paca", path=first_ten(data_dir, tmp_path))

    message = str(refused.value)
    assert "dix.geojson" in message and "fichier refusé" in message
    assert "125 des 135 quartiers que la liste officielle « qpv2024-communes » nomme dans " \
        "la région de code Insee 93 manquent au fichier" in message
    missing = sorted({f["properties"]["q"] for f in paca(data_dir)["features"][10:]})
    assert f"(ex. {', '.join(missing[:5])}, …)" in message
    assert "--force" in message
    assert len(qpv_codes(qpv_facts)) == 135 and version_count(qpv_facts) == before
    assert current(qpv_facts, "qpv2024-paca").complete_for == REGION_93


def _swapped(coordinates):
    if isinstance(coordinates[0], list):
        return [_swapped(part) for part in coordinates]
    return [coordinates[1], coordinates[0]]


def test_swapped_longitude_and_latitude_are_refused(qpv_facts, data_dir, tmp_path):
    """Synthetic alteration of real data: every PACA polygon with lon and lat swapped."""
    document = paca(data_dir)
    for feature in document["features"]:
        feature["geometry"]["coordinates"] = _swapped(feature["geometry"]["coordinates"])

    with pytest.raises(LoadError) as refused:
        load(qpv_facts, "qpv2024-paca", path=write_json(tmp_path / "inverse.geojson",
                                                         document))

    assert "135 quartiers hors de leurs communes (à plus de 50 m" in str(refused.value)
    assert count(qpv_facts, Qpv) == 0 and not versions(qpv_facts, "qpv2024-paca")


def test_one_polygon_moved_100_degrees_east_is_refused_and_named(qpv_facts, data_dir,
                                                                 tmp_path):
    """Synthetic alteration of real data: the 42nd PACA polygon moved 100° east."""
    load(qpv_facts, "qpv2024-paca", data_dir)
    document = paca(data_dir)
    moved = document["features"][41]
    moved["geometry"] = mapping(translate(shape(moved["geometry"]), xoff=100))

    with pytest.raises(LoadError) as refused:
        load(qpv_facts, "qpv2024-paca", path=write_json(tmp_path / "deplace.geojson",
                                                         document))

    message = str(refused.value)
    assert "1 quartier hors de ses communes" in message
    assert f"{moved['properties']['q']} à " in message
    assert current(qpv_facts, "qpv2024-paca").complete_for == REGION_93


def test_force_loads_the_ten_as_partial_and_records_it(qpv_facts, data_dir, tmp_path):
    path = first_ten(data_dir, tmp_path)

    report = load_source(qpv_facts, "qpv2024-paca", str(path), force=True, progress=False)

    assert len(qpv_codes(qpv_facts)) == 10
    version = current(qpv_facts, "qpv2024-paca")
    assert version.complete_for["scope"] == "none" and version.complete_for["forced"] is True
    assert version.complete_for["claimed"] == REGION_93
    assert "125 des 135 quartiers" in version.complete_for["reason"]
    assert "125 des 135 quartiers" in version.counts["checks"]["forced"][0]
    assert report.completeness.startswith("partiel, chargé de force (--force)")
    with qpv_facts.connect() as connection:
        assert read_qpv_layer(connection, "2024").complete_for == (("none", ()),)


def test_a_point_in_a_missing_qpv_is_never_said_outside_after_a_forced_load(
        qpv_facts, data_dir, tmp_path):
    """The issue's case: with only the first ten QPV, a point inside the 11th is not
    "not in a QPV" (the engine no longer counts PACA as complete)."""
    load(qpv_facts, "communes", data_dir)  # the régions of the communes: PACA's extent
    load_source(qpv_facts, "qpv2024-paca", str(first_ten(data_dir, tmp_path)), force=True,
                progress=False)
    point = shape(paca(data_dir)["features"][10]["geometry"]).representative_point()

    verdict = check_point(qpv_facts, "current", point.x, point.y).as_dict()

    assert verdict["in_qpv"] is not False
    # ten outlines are loaded there: not « aucun contour de QPV 2024 n'est chargé »
    assert "les contours des QPV 2024 ne sont pas tous chargés pour" in verdict["explanation"]


def test_without_the_facts_paca_is_partial_until_they_are_loaded(engine, data_dir,
                                                                 qpv_contours):
    report = load(engine, "qpv2024-paca", data_dir)

    first = current(engine, "qpv2024-paca")
    assert first.complete_for["scope"] == "none" and first.complete_for["pending"] is True
    assert "forced" not in first.complete_for
    assert report.completeness.startswith("partiel : le registre annonce « complet pour la "
                                          "région de code Insee 93 »")
    assert "liste des départements" in report.completeness
    load(engine, "departements", data_dir)
    listed = load(engine, "qpv2024-communes", data_dir)
    assert "qpv2024-paca (2024) reste partiel" in "\n".join(listed.notes)
    assert current(engine, "qpv2024-paca").id == first.id  # still partial: same version

    outlines = load(engine, "commune-contours", path=qpv_contours)

    proven = current(engine, "qpv2024-paca")
    assert proven.complete_for == REGION_93 and proven.id != first.id
    assert proven.checksum == first.checksum and proven.counts["proven_after"] == \
        "commune-contours"
    assert "qpv2024-paca (2024) revue après le chargement de commune-contours : complet " \
        "pour la région de code Insee 93, prouvé" in "\n".join(outlines.notes)
    with engine.connect() as connection:
        assert set(connection.scalars(select(Qpv.dataset_version_id))) == {proven.id}
        assert read_qpv_layer(connection, "2024").complete_for == (("regions", ("93",)),)


def test_ten_qpv_loaded_before_the_list_stay_partial_after_it(engine, data_dir, tmp_path,
                                                              qpv_contours):
    load(engine, "departements", data_dir)
    load(engine, "commune-contours", path=qpv_contours)
    load(engine, "qpv2024-paca", path=first_ten(data_dir, tmp_path))
    assert current(engine, "qpv2024-paca").complete_for["pending"] is True

    report = load(engine, "qpv2024-communes", data_dir)

    version = current(engine, "qpv2024-paca")
    assert version.complete_for["scope"] == "none"
    assert "125 des 135 quartiers" in version.complete_for["reason"]
    assert "qpv2024-paca (2024) reste partiel" in "\n".join(report.notes)


def test_occitanie_2015_is_proven_by_the_official_count(qpv_facts, data_dir):
    report = load(qpv_facts, "qpv2015-occitanie", data_dir)

    assert current(qpv_facts, "qpv2015-occitanie").complete_for == {
        "scope": "regions", "codes": ["76"]}
    assert "105 quartiers 2015 dans la région de code Insee 76, autant que le décompte " \
        "officiel (Insee Dossier Occitanie n° 7, juillet 2018)" in report.completeness
    assert "105 contours dans leurs communes" in report.completeness


def test_occitanie_cut_short_falls_below_the_official_count(qpv_facts, data_dir, tmp_path):
    """Synthetic alteration of real data: the first 60 of the 105 Occitanie QPV 2015."""
    document = json.loads((data_dir / OCCITANIE).read_text(encoding="utf-8"))
    document["features"] = document["features"][:60]

    with pytest.raises(LoadError) as refused:
        load(qpv_facts, "qpv2015-occitanie", path=write_json(tmp_path / "coupe.geojson",
                                                              document))

    assert "le fichier a 60 quartiers 2015 dans la région de code Insee 76, le décompte " \
        "officiel en compte 105 (Insee Dossier Occitanie n° 7, juillet 2018) : il en manque 45" \
        in str(refused.value)


def test_occitanie_padded_past_the_official_count_is_refused(qpv_facts, data_dir, tmp_path):
    """Synthetic alteration of real data: the 105 Occitanie QPV 2015 and a made-up one, in
    a real QPV's commune (so that the placement passes): a count reached is not a count
    exceeded."""
    document = json.loads((data_dir / OCCITANIE).read_text(encoding="utf-8"))
    invented = json.loads(json.dumps(document["features"][0]))
    invented["properties"]["code_qp"] = "QP066999"
    invented["geometry"] = mapping(translate(shape(invented["geometry"]), xoff=1e-4))  # not a
    # copy of the first's outline, which is refused (« contour en double ») before counting
    document["features"].append(invented)

    with pytest.raises(LoadError) as refused:
        load(qpv_facts, "qpv2015-occitanie", path=write_json(tmp_path / "gonfle.geojson",
                                                              document))

    assert "le fichier a 106 quartiers 2015 dans la région de code Insee 76, le décompte " \
        "officiel en compte 105 (Insee Dossier Occitanie n° 7, juillet 2018) : 1 de trop " \
        "(une autre liste, ou des codes inventés)" in str(refused.value)


def test_the_demo_loads_the_facts_before_the_outlines():
    order = list(SOURCES)
    for outline in (name for name, s in SOURCES.items() if s.dataset == "qpv"):
        for fact in ("departements", "commune-contours", "qpv2024-communes"):
            assert order.index(fact) < order.index(outline), (fact, outline)
