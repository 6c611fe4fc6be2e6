"""A QPV outline cut down keeps every code and its place, and is still refused: its area is
bounded by a quartier's (1 ha at least) and by the outline in service (``loaders.qpv_extent``).

On both backends; the files are copies of the real PACA file altered in ``tmp_path``
(synthetic alterations of real data, each said in its test): QN01332M replaced by a disc of
20 m at a point of its outline (an outside audit's fault injection), or cut to a strip of
its western part.
"""

from __future__ import annotations

import json

import shapely
from shapely.geometry import box, mapping, shape

from geodata.checks import check_point
from loaders.pipeline import load_source
from loaders.placement import project
from loaders.qpv_extent import MIN_AREA_M2
from tests.loaders.common import load, refused, write_json
from tests.loaders.test_qpv_proof import PACA, REGION_93, current, qpv_codes

CODE = "QN01332M"
LAMBERT_93 = 2154


def altered(data_dir, tmp_path, name: str, change) -> tuple:
    """The PACA file with ``CODE``'s outline given to ``change``; its path, the real outline
    and the altered one."""
    document = json.loads((data_dir / PACA).read_text(encoding="utf-8"))
    (feature,) = [f for f in document["features"] if f["properties"]["q"] == CODE]
    real = shape(feature["geometry"])
    made = change(real)
    feature["geometry"] = mapping(made)
    return write_json(tmp_path / name, document), real, made


def dot(outline):
    """A disc of 20 m radius (about 0.0002°) at a point of the outline."""
    return outline.representative_point().buffer(0.0002)


def western_strip(outline):
    """The outline's western fifth, by its bounds."""
    west, south, east, north = outline.bounds
    return outline.intersection(box(west, south, west + (east - west) / 5, north))


def area_m2(geometry) -> float:
    return shapely.area(project(geometry, LAMBERT_93))


def test_a_quartier_reduced_to_a_dot_is_refused_and_named(qpv_facts, data_dir, tmp_path):
    path, _, made = altered(data_dir, tmp_path, "point.geojson", dot)
    assert area_m2(made) < MIN_AREA_M2  # the alteration is what the test says

    error = refused(qpv_facts, "qpv2024-paca", path)

    message = str(error)
    assert "1 contour(s) trop petit(s) pour un quartier (moins de 1 ha" in message
    assert f"{CODE} (" in message and "m²)" in message
    assert qpv_codes(qpv_facts) == set()  # nothing loaded


def test_the_complete_load_says_the_areas_were_checked(qpv_facts, data_dir, tmp_path):
    load(qpv_facts, "qpv2024-paca", data_dir)
    first = current(qpv_facts, "qpv2024-paca").counts["checks"]["verified"]
    assert "135 contour(s) d'au moins 1 ha" in first
    again = json.loads((data_dir / PACA).read_text(encoding="utf-8"))

    load(qpv_facts, "qpv2024-paca", path=write_json(tmp_path / "copie.geojson", again))

    verified = current(qpv_facts, "qpv2024-paca").counts["checks"]["verified"]
    assert "135 contour(s) d'au moins 1 ha, dont 135 de surface comparable à la version en " \
        "service" in verified


def test_a_quartier_cut_to_a_strip_is_refused_and_the_outline_in_service_answers(
        qpv_facts, data_dir, tmp_path):
    load(qpv_facts, "communes", data_dir)
    load(qpv_facts, "qpv2024-paca", data_dir)
    path, real, strip = altered(data_dir, tmp_path, "bande.geojson", western_strip)
    assert area_m2(strip) < area_m2(real) / 2  # the alteration is what the test says
    cut_away = real.difference(strip.buffer(0.0005)).representative_point()

    error = refused(qpv_facts, "qpv2024-paca", path)

    assert f"1 quartier(s) dont la surface change de plus du double ou de plus de moitié " \
        f"par rapport à la version en service (contour tronqué ou remplacé ?) : {CODE} : " \
        in str(error)
    assert current(qpv_facts, "qpv2024-paca").complete_for == REGION_93
    verdict = check_point(qpv_facts, "current", cut_away.x, cut_away.y).as_dict()
    assert verdict["in_qpv"] is True and verdict["qpv_code"] == CODE


def test_forced_the_strip_is_partial_and_never_says_not_in_a_qpv(qpv_facts, data_dir,
                                                                 tmp_path):
    load(qpv_facts, "communes", data_dir)
    load(qpv_facts, "qpv2024-paca", data_dir)
    path, real, strip = altered(data_dir, tmp_path, "bande.geojson", western_strip)
    cut_away = real.difference(strip.buffer(0.0005)).representative_point()

    load_source(qpv_facts, "qpv2024-paca", str(path), force=True, progress=False)

    version = current(qpv_facts, "qpv2024-paca")
    assert version.complete_for["scope"] == "none" and version.complete_for["forced"] is True
    assert CODE in version.complete_for["reason"]
    verdict = check_point(qpv_facts, "current", cut_away.x, cut_away.y).as_dict()
    assert verdict["in_qpv"] is not False
