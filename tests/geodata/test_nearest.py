"""The nearest Fabriques, measured in metres in the territory's projected CRS, and the
communes a visitor's text names: the pure computation, then the storage on each backend
(the real communes, contours of three départements and the published laureates)."""

from __future__ import annotations

import math

import pytest
from pyproj import Geod

from geodata.display import decoded, of_place, short_name
from geodata.nearest import NearestError, match_communes, nearest_fabriques, normalised
from geodata.policy import DEFAULT_POLICY, load_policy
from geodata.storage.commune_points import find_communes
from geodata.storage.laureates import laureate_table
from loaders.pipeline import load_source
from tests.support import contours_of

WGS84 = Geod(ellps="WGS84")


def row(id_, lon, lat, name="Fabrique"):
    return {"id": id_, "name": name, "lon": lon, "lat": lat, "commune_code": None,
            "commune_name": None}


def test_distances_are_metres_in_lambert_93_and_sorted():
    # Aurillac's town hall, then Fabriques 1, 10 and 100 km east of it (geodesic).
    lon, lat = 2.4445, 44.9264
    rows = []
    for id_, km in (("far", 100), ("one", 1), ("ten", 10)):
        east, north, _ = WGS84.fwd(lon, lat, 90, km * 1000)
        rows.append(row(id_, east, north))
    found = nearest_fabriques(rows, lon, lat, 3)
    assert [f.id for f in found] == ["one", "ten", "far"]
    for fabrique, km in zip(found, (1, 10, 100), strict=True):
        # Lambert-93's scale error is below 0.1 % here: metres, never degrees.
        assert math.isclose(fabrique.distance_m, km * 1000, rel_tol=1e-3)
    assert len(nearest_fabriques(rows, lon, lat, 1)) == 1


def test_only_the_fabriques_of_the_same_territory_count():
    rows = [row("reunion", 55.45, -20.88), row("paris", 2.35, 48.85)]
    found = nearest_fabriques(rows, 55.53, -21.0, 5)  # La Réunion: RGR92 / UTM 40S
    assert [f.id for f in found] == ["reunion"]
    assert 10_000 < found[0].distance_m < 20_000
    with pytest.raises(NearestError) as error:
        nearest_fabriques(rows, 0.0, 0.0)
    assert error.value.parameter is None  # the place, not one of its coordinates
    assert "aucun territoire couvert" in str(error.value)
    with pytest.raises(NearestError):
        nearest_fabriques(rows, 2.35, 48.85, 0)


def test_names_are_decoded_and_short():
    assert decoded("Vert&amp;Co") == "Vert&Co"
    long = ("Une fabrique de Territoire en Puisaye-Forterre : coopérer pour la transition "
            "écologique et solidaire La Californie - Ressources &amp; Compétences")
    assert short_name(long) == "Une fabrique de Territoire en Puisaye-Forterre"
    assert short_name("Le Hublot") == "Le Hublot"
    cut = short_name("mot " * 40)
    assert cut.endswith("…") and len(cut) <= 71
    found = nearest_fabriques([row("a", 2.35, 48.85, long)], 2.35, 48.85)
    assert found[0].name == "Une fabrique de Territoire en Puisaye-Forterre"
    assert "Ressources & Compétences" in found[0].full_name


def test_communes_by_code_postcode_and_name():
    columns = (["15014", "15187", "13055"], ["Aurillac", "Saint-Flour", "Marseille"],
               ["15", "15", "13"], [25_000, 6_500, 870_000],
               [(2.44, 44.93), (3.09, 45.03), (5.37, 43.30)])
    postcodes = {"15000": ["15014"], "15100": ["15187"]}
    assert [m.code for m in match_communes("15014", *columns, postcodes)] == ["15014"]
    assert [(m.code, m.matched) for m in match_communes("15100", *columns, postcodes)] == [
        ("15187", "postcode")]
    assert [m.code for m in match_communes("st flour", *columns)] == ["15187"]
    assert [m.code for m in match_communes("MARSEILLE", *columns)] == ["13055"]
    assert match_communes("Atlantide", *columns) == []
    assert normalised("Saint-Étienne-de-l'Olm") == "saint etienne de l olm"


SOURCES = ("regions", "departements", "communes")


def test_storage_answers_alike_on_each_backend(engine, data_dir, tmp_path):
    for name in SOURCES:
        load_source(engine, name, data_dir=data_dir, progress=False)
    load_source(engine, "commune-contours",
                str(contours_of(data_dir, ["15", "46", "12"], tmp_path / "contours.geojson")),
                data_dir=data_dir, progress=False, force=True)
    load_source(engine, "laureates", data_dir=data_dir, progress=False)
    aurillac = find_communes(engine, "aurillac")
    assert [(m.code, m.name) for m in aurillac] == [("15014", "Aurillac")]
    assert 2.3 < aurillac[0].lon < 2.6 and 44.8 < aurillac[0].lat < 45.0
    assert find_communes(engine, "13013") == []  # no contour loaded: no point to measure from
    rows = laureate_table(engine, load_policy(DEFAULT_POLICY))
    # but a commune of the published list is where the list places its Fabriques
    marseille = find_communes(engine, "13055")
    assert {(row["lon"], row["lat"]) for row in rows if row["commune_code"] == "13055"} == {
        (marseille[0].lon, marseille[0].lat)}
    found = nearest_fabriques(rows, aurillac[0].lon, aurillac[0].lat, 3)
    assert [f.commune_name for f in found][0] == "Vic-sur-Cère"
    expected = WGS84.inv(aurillac[0].lon, aurillac[0].lat, found[0].lon, found[0].lat)[2]
    assert math.isclose(found[0].distance_m, expected, rel_tol=2e-3)
    assert [f.distance_m for f in found] == sorted(f.distance_m for f in found)


@pytest.mark.parametrize(("name", "said"), [
    ("Aurillac (15014)", "d'Aurillac (15014)"), ("Orléans (45234)", "d'Orléans (45234)"),
    ("Le Havre (76351)", "du Havre (76351)"), ("Les Ulis (91692)", "des Ulis (91692)"),
    ("La Rochelle (17300)", "de La Rochelle (17300)"), ("Marseille", "de Marseille"),
    ("2 rue de la Paix 75002 Paris", "de 2 rue de la Paix 75002 Paris")])
def test_a_place_after_de_is_written_as_french_does(name, said):
    """« Les Fabriques les plus proches de Aurillac » (an outside audit of the map)."""
    assert of_place(name) == said
