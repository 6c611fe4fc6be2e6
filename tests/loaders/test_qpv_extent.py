"""A QPV outline cut down keeps every code and its place, and is still refused: its area is
bounded by a quartier's (1 ha at least) and by the outline in service (``loaders.qpv_extent``).

On both backends; the files are copies of the real PACA file altered in ``tmp_path``
(synthetic alterations of real data, each said in its test): QN01332M replaced by a disc of
20 m at a point of its outline (an outside audit's fault injection), cut to a strip of its
western part, shrunk by steps, or moved. They are compared with the registry's reference
file (the shared one), or with the outlines in service when it is not at hand.
"""

from __future__ import annotations

import json

import shapely
from shapely.affinity import scale, translate
from shapely.geometry import box, mapping, shape

from geodata.checks import check_point
from loaders import qpv
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
    assert "135 contour(s) d'au moins 1 ha, dont 135 de surface et de place comparables au " \
        "fichier de référence du registre" in verified


def test_a_quartier_cut_to_a_strip_is_refused_and_the_outline_in_service_answers(
        qpv_facts, data_dir, tmp_path, monkeypatch):
    """Without the reference file at hand, against the outline in service."""
    monkeypatch.setattr(qpv, "default_data_dir", lambda: tmp_path / "ailleurs")
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


def shrunk(ratio):
    """The outline scaled about its centroid to ``ratio`` of its area."""
    return lambda outline: scale(outline, ratio ** 0.5, ratio ** 0.5, origin="centroid")


def test_a_quartier_shrunk_by_steps_is_refused_against_the_reference(qpv_facts, data_dir,
                                                                     tmp_path):
    """Each step within a factor 2 of the one before, all of them loaded « complet » while
    the quartier lost 97 % of its area, and the Friche de la Belle de Mai was « ni en QPV ni
    à proximité »."""
    load(qpv_facts, "qpv2024-paca", data_dir)
    first, real, _ = altered(data_dir, tmp_path, "etape1.geojson", shrunk(0.55))
    load(qpv_facts, "qpv2024-paca", path=first)  # 55 % of it: a redrawing, maybe
    second, _, made = altered(data_dir, tmp_path, "etape2.geojson", shrunk(0.55 ** 2))
    assert area_m2(made) > area_m2(real) * 0.55 / 2  # within a factor 2 of the step before

    error = refused(qpv_facts, "qpv2024-paca", second)

    assert "de plus de moitié par rapport au fichier de référence du registre (contour tronqué " \
        f"ou remplacé ?) : {CODE} : 231,9 ha dans le fichier de référence du registre" \
        in str(error)


def test_a_quartier_moved_away_is_refused(qpv_facts, data_dir, tmp_path):
    """The same area 1.6 km east loaded « complet », « de surface comparable »."""
    path, _, _ = altered(data_dir, tmp_path, "deplace.geojson",
                         lambda outline: translate(outline, xoff=0.02))

    error = refused(qpv_facts, "qpv2024-paca", path)

    assert "1 quartier(s) qui n'ont plus la moitié de leur contour en commun avec le fichier " \
        f"de référence du registre (contour déplacé ou remplacé ?) : {CODE}" in str(error)


def test_the_reference_file_restores_the_layer_after_a_forced_one(qpv_facts, data_dir,
                                                                 tmp_path):
    """A bad outline forced into service made the reference file « refusé », and forced
    again « partiel » for good."""
    path, _, _ = altered(data_dir, tmp_path, "point.geojson", dot)
    load_source(qpv_facts, "qpv2024-paca", str(path), force=True, progress=False)
    assert current(qpv_facts, "qpv2024-paca").complete_for["scope"] == "none"

    report = load(qpv_facts, "qpv2024-paca", data_dir)

    assert current(qpv_facts, "qpv2024-paca").complete_for == REGION_93
    assert report.completeness.startswith("complet pour la région 93, prouvé")
