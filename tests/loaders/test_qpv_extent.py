"""A QPV outline cut down keeps every code and its place, and is still refused: its area is
bounded by a quartier's (1 ha at least) and its ground by the reference outline, within
20 m (``loaders.qpv_extent``).

On both backends; the files are copies of the real PACA and Occitanie files altered in
``tmp_path`` (synthetic alterations of real data, each said in its test): QN01332M replaced
by a disc of 20 m at a point of its outline (an outside audit's fault injection), cut to a
strip of its western part, cut by 44 %, shrunk, moved; a made-up quartier added, or swapped
for a real one. They are compared with the registry's reference file (the shared one), or
with the outlines in service when it is not at hand.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import shapely
from shapely.affinity import scale, translate
from shapely.geometry import box, mapping, shape

from geodata.checks import check_point
from loaders import reference
from loaders.pipeline import load_source
from loaders.placement import project
from loaders.qpv_extent import MIN_AREA_M2
from tests.loaders.common import load, refused, write_json
from tests.loaders.test_qpv_proof import OCCITANIE, PACA, REGION_93, current, qpv_codes
from tests.support import unavailable

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
    assert "1 contour trop petit pour un quartier (moins de 1 ha" in message
    assert f"{CODE} (" in message and "m²)" in message
    assert qpv_codes(qpv_facts) == set()  # nothing loaded


def test_the_complete_load_says_the_areas_were_checked(qpv_facts, data_dir, tmp_path):
    load(qpv_facts, "qpv2024-paca", data_dir)
    first = current(qpv_facts, "qpv2024-paca").counts["checks"]["verified"]
    assert "135 contours d'au moins 1 ha" in first
    again = json.loads((data_dir / PACA).read_text(encoding="utf-8"))

    load(qpv_facts, "qpv2024-paca", path=write_json(tmp_path / "copie.geojson", again))

    verified = current(qpv_facts, "qpv2024-paca").counts["checks"]["verified"]
    assert "135 contours d'au moins 1 ha, dont 135 identiques à 20 m près au fichier de " \
        "référence du registre" in verified


def test_a_quartier_cut_to_a_strip_is_refused_and_the_outline_in_service_answers(
        qpv_facts, data_dir, tmp_path, monkeypatch):
    """Without the reference file at hand, against the outline in service."""
    monkeypatch.setattr(reference, "default_data_dir", lambda: tmp_path / "ailleurs")
    load(qpv_facts, "communes", data_dir)
    load(qpv_facts, "qpv2024-paca", data_dir)
    path, real, strip = altered(data_dir, tmp_path, "bande.geojson", western_strip)
    assert area_m2(strip) < area_m2(real) / 2  # the alteration is what the test says
    cut_away = real.difference(strip.buffer(0.0005)).representative_point()

    error = refused(qpv_facts, "qpv2024-paca", path)

    assert f"1 quartier qui perd du terrain par rapport à la version en service, au-delà " \
        f"de 20 m de son contour (contour tronqué, déplacé ou remplacé ?) : {CODE} (" \
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


def western_part(share):
    """The outline's western part holding ``share`` of its area (cut by a meridian)."""
    def cut(outline):
        west, south, east, north = outline.bounds
        low, high = west, east
        for _ in range(40):
            middle = (low + high) / 2
            part = outline.intersection(box(west, south, middle, north))
            low, high = (middle, high) if part.area < share * outline.area else (low, middle)
        return outline.intersection(box(west, south, high, north))
    return cut


def test_a_quartier_cut_by_44_percent_is_refused_against_the_reference(qpv_facts, data_dir,
                                                                       tmp_path):
    """Its western 56 % kept within a factor 2 of the area and half of it in common: loaded
    « complet », and a point of the Belle de Mai was « non éligible » 1 km inside it."""
    path, real, made = altered(data_dir, tmp_path, "coupe.geojson", western_part(0.56))
    assert 0.55 < area_m2(made) / area_m2(real) < 0.57  # the alteration is what it says
    cut_away = real.difference(made.buffer(0.0005)).representative_point()

    error = refused(qpv_facts, "qpv2024-paca", path)

    assert "1 quartier qui perd du terrain par rapport au fichier de référence du " \
        f"registre, au-delà de 20 m de son contour (contour tronqué, déplacé ou remplacé ?) : " \
        f"{CODE} (" in str(error)
    load(qpv_facts, "qpv2024-paca", data_dir)
    verdict = check_point(qpv_facts, "current", cut_away.x, cut_away.y).as_dict()
    assert verdict["in_qpv"] is True and verdict["qpv_code"] == CODE


def test_a_quartier_moved_away_is_refused(qpv_facts, data_dir, tmp_path):
    """The same area 1.6 km east loaded « complet », « de surface comparable »."""
    path, _, _ = altered(data_dir, tmp_path, "deplace.geojson",
                         lambda outline: translate(outline, xoff=0.02))

    message = str(refused(qpv_facts, "qpv2024-paca", path))

    assert "qui perd du terrain par rapport au fichier de référence du registre" in message
    assert f"qui s'étend au-delà de 20 m de son contour par rapport au fichier de " \
        f"référence du registre (contour agrandi, déplacé ou remplacé ?) : {CODE} (" in message


def test_outlines_redrawn_within_a_few_metres_load_complete(qpv_facts, data_dir, tmp_path):
    """Every outline rounded to 1e-4° (about 10 m at most): a drawing of the same ground."""
    document = json.loads((data_dir / PACA).read_text(encoding="utf-8"))
    for feature in document["features"]:
        feature["geometry"] = mapping(shapely.set_precision(shape(feature["geometry"]), 1e-4))

    load(qpv_facts, "qpv2024-paca", path=write_json(tmp_path / "arrondi.geojson", document))

    assert current(qpv_facts, "qpv2024-paca").complete_for == REGION_93


def made_up_square(document, code: str, lon: float, lat: float, **properties) -> None:
    """A 120 m square quartier (about 1.4 ha) at (lon, lat), added to ``document``."""
    square = box(lon, lat, lon + 0.0015, lat + 0.0011)
    document["features"].append({"type": "Feature", "geometry": mapping(square),
                                 "properties": {"q" if "q" in properties else "code_qp": code,
                                                **properties}})


def test_a_made_up_quartier_is_refused(qpv_facts, data_dir, tmp_path):
    """QN01399Z, a square in Aix-en-Provence, loaded « complet » and answered « en QPV »."""
    document = json.loads((data_dir / PACA).read_text(encoding="utf-8"))
    made_up_square(document, "QN01399Z", 5.4276, 43.5341, q="QN01399Z", n="Faux quartier",
                   d="13", com=["13001"], z="")

    message = str(refused(qpv_facts, "qpv2024-paca",
                          write_json(tmp_path / "en_plus.geojson", document)))

    assert "1 quartier du fichier absent de la liste officielle « qpv2024-communes » " \
        "(codes inventés ou d'une autre liste ?) : QN01399Z" in message
    assert "1 quartier du fichier absent du fichier de référence du registre" in message
    assert qpv_codes(qpv_facts) == set()


def test_an_extract_of_the_reference_is_partial(qpv_facts, data_dir, tmp_path):
    """Occitanie 2015 without QP030001 (Alès): partial, the engine says « à vérifier »."""
    document = json.loads((data_dir / OCCITANIE).read_text(encoding="utf-8"))
    document["features"] = [f for f in document["features"]
                            if f["properties"]["code_qp"] != "QP030001"]

    load_source(qpv_facts, "qpv2015-occitanie", str(write_json(tmp_path / "extrait.geojson",
                                                               document)), force=True,
                progress=False)  # the official count of 105 refuses it: forced

    version = current(qpv_facts, "qpv2015-occitanie")
    assert version.complete_for["scope"] == "none"
    assert "1 quartier du fichier de référence du registre manque au fichier : " \
        "QP030001" in version.counts["checks"]["unproven"]


def test_a_quartier_swapped_for_a_made_up_one_is_refused(qpv_facts, data_dir, tmp_path):
    """Occitanie 2015 without QP030001 (Alès) and with QP030999: still 105 quartiers, the
    official count, loaded « complet », and Alès's quartier was « hors QPV »."""
    document = json.loads((data_dir / OCCITANIE).read_text(encoding="utf-8"))
    (real,) = [f for f in document["features"] if f["properties"]["code_qp"] == "QP030001"]
    document["features"].remove(real)
    made_up_square(document, "QP030999", 4.0900, 44.1000, **{
        **real["properties"], "code_qp": "QP030999", "nom_qp": "Faux quartier"})

    message = str(refused(qpv_facts, "qpv2015-occitanie",
                          write_json(tmp_path / "echange.geojson", document)))

    assert "1 quartier du fichier absent du fichier de référence du registre (codes " \
        "inventés ou d'une autre liste ?) : QP030999" in message


def test_the_reference_file_restores_the_layer_after_a_forced_one(qpv_facts, data_dir,
                                                                 tmp_path):
    """A bad outline forced into service made the reference file « refusé », and forced
    again « partiel » for good."""
    path, _, _ = altered(data_dir, tmp_path, "point.geojson", dot)
    load_source(qpv_facts, "qpv2024-paca", str(path), force=True, progress=False)
    assert current(qpv_facts, "qpv2024-paca").complete_for["scope"] == "none"

    report = load(qpv_facts, "qpv2024-paca", data_dir)

    assert current(qpv_facts, "qpv2024-paca").complete_for == REGION_93
    assert report.completeness.startswith("complet pour la région de code Insee 93, prouvé")


def test_the_reference_converted_to_a_geopackage_loads_complete(qpv_facts, data_dir, tmp_path):
    """ogr2ogr writes the communes' lists as « (1:04070) » in a GeoPackage: refused as a
    malformed code. The real file converted by GDAL (Debian gdal-bin)."""
    if shutil.which("ogr2ogr") is None:
        unavailable("ogr2ogr absent (paquet Debian gdal-bin)")
    converted = tmp_path / "paca.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(converted), str(data_dir / PACA)],
                   check=True, capture_output=True, timeout=120)

    load(qpv_facts, "qpv2024-paca", path=converted)

    version = current(qpv_facts, "qpv2024-paca")
    assert version.complete_for == REGION_93
    assert "135 contours d'au moins 1 ha, dont 135 identiques à 20 m près au fichier de " \
        "référence du registre" in version.counts["checks"]["verified"]


def test_a_shapefile_says_its_field_names_were_cut(qpv_facts, data_dir, tmp_path):
    """« colonne(s) obligatoire(s) absente(s) : code_commune, … » without saying why."""
    if shutil.which("ogr2ogr") is None:
        unavailable("ogr2ogr absent (paquet Debian gdal-bin)")
    folder = tmp_path / "occitanie"
    subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", str(folder), str(data_dir / OCCITANIE)],
                   check=True, capture_output=True, timeout=120)
    (shapefile,) = folder.glob("*.shp")

    error = refused(qpv_facts, "qpv2015-occitanie", shapefile)

    assert "code_commune est devenu code_commu : le format coupe les noms de champ à 10 " \
        "caractères (Shapefile)" in str(error)
