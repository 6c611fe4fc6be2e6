"""Coverage of the territory by the Fabriques, on the real communes, contours and laureates.

Distances are checked against a brute-force computation (every Fabrique of the territory,
projected independently with pyproj); the counts against the département totals. One test
uses made-up squares, and says so: a territory without any Fabrique does not occur in the
real data.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import select

from geodata.coverage import (
    CommuneDistances,
    CoverageError,
    by_departement,
    check_threshold_km,
    nearest_distances,
    totals,
    uncovered,
)
from geodata.storage.models import CommuneContour, Laureate
from geodata.storage.networks import commune_distances
from geodata.territories import TERRITORIES
from loaders.pipeline import load_source
from tests.support import contours_of

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def contour(reference_engine):
    return commune_distances(reference_engine, "contour")


@pytest.fixture(scope="module")
def point(reference_engine):
    return commune_distances(reference_engine, "point")


@pytest.fixture(scope="module")
def real(reference_engine):
    with reference_engine.connect() as connection:
        contours = dict(connection.execute(select(CommuneContour.code, CommuneContour.geom)
                                           .where(CommuneContour.kind == "COM")).all())
        laureates = connection.execute(select(Laureate.id, Laureate.territory, Laureate.geom)
                                       .where(Laureate.geom.is_not(None))).all()
        unlocated = connection.execute(select(Laureate.id, Laureate.commune_code)
                                       .where(Laureate.geom.is_(None))).all()
    return contours, laureates, unlocated


def project(geometries, epsg):
    """Independent projection with pyproj (one transformer per call)."""
    to = Transformer.from_crs(4326, epsg, always_xy=True)
    return shapely.transform(geometries, lambda xy: np.column_stack(to.transform(xy[:, 0],
                                                                                 xy[:, 1])))


def test_every_commune_with_a_contour_has_a_distance(contour):
    known = ~np.isnan(contour.distances)
    assert len(contour) > 34_800
    assert known.sum() == len(contour) - 10  # 10 communes without contour in the shared data
    assert np.isfinite(contour.distances[known]).all()  # every territory has a Fabrique
    assert (contour.distances[known] >= 0).all()


def test_a_commune_containing_a_fabrique_is_at_distance_zero(contour, real):
    contours, laureates, _ = real
    codes = np.array(list(contours), dtype=object)
    outlines = np.array(list(contours.values()), dtype=object)
    position = {code: i for i, code in enumerate(contour.codes)}
    hosting = {code for row in laureates for code in codes[shapely.covers(outlines, row.geom)]}
    assert len(hosting) > 300
    for code in hosting:
        assert contour.distances[position[code]] == 0.0, code


def test_distances_match_a_brute_force_computation(contour, point, real):
    """Located Fabriques at their point, the others at their commune's contour."""
    contours, laureates, unlocated = real
    rng = np.random.default_rng(2019)
    position = {code: i for i, code in enumerate(contour.codes)}
    codes = rng.choice(sorted(contours), size=300, replace=False)
    places = [row.geom for row in laureates] + [contours[row.commune_code] for row in unlocated
                                                if row.commune_code in contours]

    def territory_of(shape):
        return next(t for t in TERRITORIES.values()
                    if t.contains_lonlat(*shape.representative_point().coords[0]))

    fabriques = {t.code: project(np.array([shape for shape in places
                                           if territory_of(shape) is t], dtype=object), t.epsg)
                 for t in TERRITORIES.values()}
    for code in codes:
        geometry = contours[code]
        territory = next(t for t in TERRITORIES.values()
                         if t.contains_lonlat(*geometry.representative_point().coords[0]))
        projected = project(geometry, territory.epsg)
        own = fabriques[territory.code]
        expected = shapely.distance(projected, own).min()
        assert contour.distances[position[code]] == pytest.approx(expected, abs=0.01), code
        inside = shapely.point_on_surface(projected)
        assert point.distances[position[code]] == pytest.approx(
            shapely.distance(inside, own).min(), abs=0.01), code


def test_the_point_measure_is_never_below_the_contour_measure(contour, point):
    known = ~np.isnan(contour.distances)
    assert (point.distances[known] >= contour.distances[known] - 1e-6).all()
    assert (point.distances[known] > contour.distances[known]).sum() > 30_000


@pytest.mark.parametrize("km", [0, 5, 20, 50])
def test_counts_add_up_to_the_departement_totals(contour, km):
    rows = by_departement(contour, km * 1000.0)
    total = totals(rows)
    assert total.communes == len(contour)
    assert total.population == int(contour.populations.sum())
    assert total.uncovered_communes == int(contour.uncovered_mask(km * 1000.0).sum())
    assert total.unknown_communes == int(np.isnan(contour.distances).sum())
    for row in rows:
        own = contour.departements == row.code
        assert row.communes == own.sum()
        assert row.population == contour.populations[own].sum()
        assert row.uncovered_communes + row.unknown_communes <= row.communes
        far = uncovered(contour, km * 1000.0, row.code)
        assert len(far) == row.uncovered_communes
        assert contour.populations[far].sum() == row.uncovered_population
        assert all(contour.distances[far] > km * 1000.0)
        if row.population:
            assert 0 <= row.share <= 1


def test_a_larger_threshold_never_uncovers_more(contour):
    previous = None
    for km in (0, 1, 5, 10, 20, 40, 80, 200):
        far = set(uncovered(contour, km * 1000.0))
        if previous is not None:
            assert far <= previous
        previous = far
    assert previous == set()  # every commune is within 200 km of a Fabrique of its territory


def test_uncovered_communes_come_farthest_first(contour):
    far = uncovered(contour, 20_000.0, "15")
    distances = contour.distances[far]
    assert len(far) > 0 and list(distances) == sorted(distances, reverse=True)
    assert set(contour.departements[far]) == {"15"}


def test_a_territory_without_fabrique_is_infinitely_far():
    """Synthetic squares (metres): no territory of the real data lacks a Fabrique."""
    squares = shapely.box([0, 10_000], [0, 0], [1_000, 11_000], [1_000, 1_000])
    distances, nearest = nearest_distances(squares, np.array([], dtype=object))
    assert np.isinf(distances).all() and (nearest == -1).all()
    distances, nearest = nearest_distances(squares, shapely.points([[500, 500]]), "contour")
    assert list(distances) == [0.0, 9_500.0] and list(nearest) == [0, 0]
    distances, _ = nearest_distances(squares, shapely.points([[500, 500]]), "point")
    assert distances[0] == pytest.approx(0, abs=1) and distances[1] == pytest.approx(10_000,
                                                                                     abs=1)
    far = CommuneDistances(np.array(["a", "b"], dtype=object), np.array(["A", "B"], dtype=object),
                           np.array(["99", "99"], dtype=object), np.array([10, 5]),
                           np.array([np.inf, np.nan]), np.array([None, None], dtype=object))
    assert by_departement(far, 1e9)[0].uncovered_communes == 1
    assert by_departement(far, 1e9)[0].unknown_communes == 1


def test_a_fabrique_placed_nowhere_is_named_and_never_uncovers(contour, real):
    """The real list places fabt-364 (Saint-Martin, 97801) nowhere, and the shared contours
    have no Saint-Martin: it is named, and Saint-Martin is unknown, not "non pourvue"."""
    _, laureates, unlocated = real
    assert [(row.id, row.commune_code) for row in unlocated] == [("fabt-364", "97801")]
    assert contour.unlocated == ("fabt-364",)
    assert contour.fabriques == len(laureates) + 1
    for at in np.flatnonzero(contour.codes == "97801"):
        assert contour.unknown_mask(0.0)[at] and not contour.uncovered_mask(0.0)[at]


def test_a_fabrique_placed_nowhere_leaves_far_communes_unknown():
    """Synthetic: two communes, one 3 km from a Fabrique, one 30 km; a second Fabrique of
    the same territory has neither point nor commune (``unsure``)."""
    distances = CommuneDistances(
        np.array(["a", "b"], dtype=object), np.array(["A", "B"], dtype=object),
        np.array(["99", "99"], dtype=object), np.array([10, 5]), np.array([3_000.0, 30_000.0]),
        np.array(["f1", "f1"], dtype=object), unsure=np.array([True, True]), fabriques=2,
        unlocated=("f2",))
    row = by_departement(distances, 20_000.0)[0]
    assert (row.uncovered_communes, row.unknown_communes) == (0, 1)  # b: f2 may be near it
    assert list(uncovered(distances, 20_000.0)) == []
    row = by_departement(distances, 1_000.0)[0]
    assert (row.uncovered_communes, row.unknown_communes) == (0, 2)
    assert by_departement(distances, 50_000.0)[0].unknown_communes == 0  # both within 50 km


def test_bad_questions_are_refused():
    with pytest.raises(CoverageError) as error:
        check_threshold_km(201)
    assert error.value.parameter == "distance_km"
    with pytest.raises(CoverageError):
        check_threshold_km(-1)
    assert check_threshold_km(12.5) == 12_500.0
    with pytest.raises(CoverageError) as error:
        nearest_distances(np.array([], dtype=object), np.array([], dtype=object), "centroide")
    assert error.value.parameter == "measure"


def test_same_distances_on_both_backends(engine, data_dir, tmp_path, contour):
    """Real communes of two départements (a subset of the shared contours, written to
    tmp_path) and every laureate, on each backend."""
    subset = contours_of(data_dir, ["15", "43"], tmp_path / "contours.geojson")
    document = json.loads(subset.read_text(encoding="utf-8"))
    for name in ("departements", "communes", "laureates"):
        load_source(engine, name, data_dir=data_dir, progress=False)
    load_source(engine, "commune-contours", str(subset), progress=False)
    found = commune_distances(engine, "contour")
    position = {code: i for i, code in enumerate(contour.codes)}
    codes = [f["properties"]["code"] for f in document["features"]]
    mine = {code: i for i, code in enumerate(found.codes)}
    for code in codes:
        assert found.distances[mine[code]] == pytest.approx(
            contour.distances[position[code]], abs=0.01)
    rows = {row.code: row for row in by_departement(found, 20_000.0)}
    reference = {row.code: row for row in by_departement(contour, 20_000.0)}
    for code in ("15", "43"):
        assert rows[code] == reference[code]


def test_no_fabrique_loaded_makes_coverage_unknown(engine, data_dir, tmp_path):
    """Real communes of the Cantal, no laureate list: nothing is "non pourvu"."""
    subset = contours_of(data_dir, ["15"], tmp_path / "contours.geojson")
    for name in ("departements", "communes"):
        load_source(engine, name, data_dir=data_dir, progress=False)
    load_source(engine, "commune-contours", str(subset), progress=False)

    found = commune_distances(engine, "contour")

    assert found.fabriques == 0 and found.unsure.all()
    cantal = next(row for row in by_departement(found, 20_000.0) if row.code == "15")
    assert cantal.communes > 200
    assert (cantal.uncovered_communes, cantal.unknown_communes) == (0, cantal.communes)


def test_a_fabrique_without_point_counts_at_its_communes_contour(engine, data_dir, tmp_path):
    """The real list with Murat's Fabrique (fabt-303) stripped of its point, as the ANCT
    list does for Saint-Martin: it still covers its commune (distance 0 to the contour)."""
    contours = contours_of(data_dir, ["15"], tmp_path / "contours.geojson")
    listed = (data_dir / "laureates/fabriques_territoire_anct_202401_list.csv").read_text()
    murat = next(line for line in listed.splitlines() if line.startswith("fabt-303,"))
    laureates = tmp_path / "laureats.csv"
    laureates.write_text(listed.replace(murat, murat.rsplit(",", 2)[0] + ",,"))
    for name in ("departements", "communes"):
        load_source(engine, name, data_dir=data_dir, progress=False)
    load_source(engine, "commune-contours", str(contours), progress=False)
    load_source(engine, "laureates", str(laureates), progress=False)

    found = commune_distances(engine, "contour")

    at = list(found.codes).index("15138")
    assert found.distances[at] == 0.0 and found.nearest[at] == "fabt-303"
    assert "fabt-303" not in found.unlocated
