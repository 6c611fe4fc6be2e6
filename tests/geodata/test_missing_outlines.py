"""A commune without outline never turns into "no QPV here" (engine and SQL).

The real layers, with chosen communes taken out of the outlines (as the shared contour file
lacks 8 communes: ``SOURCES.md``), are compared with the same layers complete: where the
complete layers answer "no" from the official list or from the complete area, the layers
without the commune must not, near it; far from it, the answers do not change.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geodata.eligibility import classify, verdict
from geodata.eligibility.engine import FALSE, UNKNOWN
from geodata.eligibility.layers import ReferenceIndex
from geodata.eligibility.missing import departement_of, missing_communes
from geodata.policy import load_policy
from geodata.storage.database import make_engine
from geodata.storage.reference import reference_index
from geodata.storage.sql_classification import classify_sql
from loaders import reference
from loaders.pipeline import load_source
from tests.support import contours_of

pytestmark = pytest.mark.shared_data

L93_TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)
ARRAYS = ("codes", "names", "territories", "geometries", "regions", "departements")


@pytest.fixture(scope="module")
def current(reference_engine):
    policy = load_policy("current")
    return policy, reference_index(reference_engine, policy.qpv_vintage)


def without_outlines(index: ReferenceIndex, codes: set[str], hosting: set[str] = frozenset(),
                     hosting_list: bool = True) -> ReferenceIndex:
    """The index with the outlines of ``codes`` taken out (kept in the official list), and
    ``hosting`` added to the official list of communes with a QPV (or no list at all)."""
    layer = index.communes
    keep = ~np.isin(layer.codes, list(codes))
    regions = dict(zip(layer.codes, layer.regions, strict=True))
    communes = replace(layer, **{name: getattr(layer, name)[keep] for name in ARRAYS},
                       without_outline={**layer.without_outline,
                                        **{code: regions[code] for code in codes}})
    qpv = replace(index.qpv, hosting_communes=index.qpv.hosting_communes | hosting
                  if hosting_list else None)
    return ReferenceIndex(qpv, communes)


def answers(policy, index, points):
    lon, lat = L93_TO_WGS84.transform(shapely.get_x(points), shapely.get_y(points))
    return classify(index, policy, lon, lat)


def outline(index, code):
    metro = index.territories["metropole"]
    return metro.commune_geometries[list(index.communes.codes[metro.commune_rows]).index(code)]


def test_the_zone_holds_the_commune_it_stands_for(current):
    """Each real commune of a few départements, taken out, lies in the zone computed for
    it from the others."""
    _, index = current
    metro = index.territories["metropole"]
    codes = index.communes.codes[metro.commune_rows]
    rng = np.random.default_rng(8)
    for code in rng.choice([c for c in codes if departement_of(c) in {"15", "13", "29"}], 40):
        others = codes != code
        missing = missing_communes([code], "metropole", codes[others],
                                   metro.commune_geometries[others])
        assert missing.codes == (code,) and not missing.everywhere
        assert shapely.contains(missing.zone, outline(index, code)), code


def test_a_departement_without_any_outline_is_everywhere(current):
    _, index = current
    metro = index.territories["metropole"]
    codes = index.communes.codes[metro.commune_rows]
    others = np.array([departement_of(c) != "48" for c in codes])
    missing = missing_communes(["48095"], "metropole", codes[others],
                               metro.commune_geometries[others])
    assert missing.everywhere and missing.zone is None
    assert not missing_communes(["97801", "99999", "bad"], "metropole", codes,
                                metro.commune_geometries)


def test_a_hosting_commune_without_outline_leaves_its_neighbourhood_undetermined(current):
    """Charbonnières-les-Vieilles (63093) has no QPV and none is near: the official list
    decides "no" there. Listed as hosting a QPV and without its outline, it may lie
    anywhere in the Puy-de-Dôme's zone: "no" is no longer said near it, but still far
    from it (Hautes-Alpes)."""
    policy, index = current
    rural = outline(index, "63093")
    far = outline(index, "05101")  # Vallouise-Pelvoux
    points = np.array([rural.representative_point(), rural.centroid.buffer(4000).exterior
                       .interpolate(0.3, normalized=True), far.representative_point()])
    before = answers(policy, index, points)
    assert list(before.in_qpv) == [FALSE, FALSE, FALSE]
    assert list(before.near_qpv) == [FALSE, FALSE, FALSE]

    changed = without_outlines(index, {"63093"}, hosting={"63093"})
    after = answers(policy, changed, points)

    assert list(after.in_qpv[:2]) == [UNKNOWN, UNKNOWN]
    assert list(after.near_qpv[:2]) == [UNKNOWN, UNKNOWN]
    assert list(after.category[:2]) == ["a-verifier", "a-verifier"]
    assert after.in_qpv[2] == FALSE and after.near_qpv[2] == FALSE
    said = verdict(after, 1).row["explanation"]
    assert "63093" in said and "sans contour" in said
    assert changed.territories["metropole"].missing_hosting.codes == ("63093",)


def test_a_missing_neighbour_at_the_edge_of_the_complete_area(current):
    """PACA is complete for 2024. Take out the outline of the Drôme commune sharing the
    longest border with it: without the official list, a point 150 m inside PACA next to
    that border must stay undetermined, as it is with the commune's outline."""
    policy, index = current
    metro = index.territories["metropole"]
    area = metro.complete_area
    codes = index.communes.codes[metro.commune_rows]
    drome = [i for i, c in enumerate(codes) if departement_of(c) == "26"]
    shared = shapely.length(shapely.intersection(
        metro.commune_geometries[drome], shapely.buffer(area.boundary, 50)))
    neighbour = str(codes[drome[int(np.argmax(shared))]])
    border = shapely.intersection(area.boundary, outline(index, neighbour).buffer(50))
    anchor = shapely.line_interpolate_point(max(shapely.get_parts(border), key=len_of), 0.5,
                                            normalized=True)
    inner = area.buffer(-150).boundary
    point = shapely.ops.nearest_points(inner, anchor)[0]
    no_list = without_outlines(index, set(), hosting_list=False)
    before = answers(policy, no_list, np.array([point]))
    assert before.in_qpv[0] == FALSE and before.near_qpv[0] == UNKNOWN  # the frontier

    changed = without_outlines(index, {neighbour}, hosting_list=False)
    after = answers(policy, changed, np.array([point]))

    assert after.in_qpv[0] == FALSE and after.near_qpv[0] == UNKNOWN
    assert neighbour in changed.territories["metropole"].missing_neighbours.codes


def len_of(line) -> float:
    return shapely.length(line)


def test_the_shared_contours_lack_eight_communes_and_the_engine_knows(current):
    """SOURCES.md: 8 communes have no geometry in the shared contours; none hosts a 2024
    QPV, so the official list still decides around them."""
    _, index = current
    metro = index.territories["metropole"]
    assert metro.missing_neighbours.codes == (
        "12218", "14581", "15031", "15035", "15047", "15171", "49126", "69114")
    assert not metro.missing_hosting


def test_a_place_in_no_commune_is_explained_as_such(current):
    """Off the coast of Marseille, and in Saint-Martin (the shared contours have none): the
    explanation says where the point may be, and never that the official list of communes
    with a QPV is not loaded (it is, for all France: it says nothing of an unknown
    commune)."""
    policy, index = current
    result = classify(index, policy, [5.0, -63.08], [43.0, 18.07])
    sea, saint_martin = (verdict(result, i).explanation for i in range(2))
    for said in (sea, saint_martin):
        assert "Commune inconnue" in said and "en mer, hors de France" in said
        assert "Aucune liste officielle" not in said
        assert ("Grand centre urbain ou non : indéterminé, le lieu n'est dans aucune commune "
                "connue (grand centre urbain : commune de niveau 1 de la grille") in said
    assert "ne dit rien d'un lieu dont la commune est inconnue" in saint_martin


@pytest.mark.postgis
def test_sql_takes_the_same_zones(postgis_url, data_dir, tmp_path, monkeypatch):
    """The commune contours without Charbonnières-les-Vieilles, the 2024 list naming it (a
    made-up line: a real QPV of Clermont-Ferrand said to span it too, the list keeping the
    decree's 1,362 metropolitan codes): the SQL hosting area holds the same zone as the
    engine's, and both answer "à vérifier" at the commune. The registry's reference file
    is out of reach, as in production without the shared data: it would refuse the line."""
    monkeypatch.setattr(reference, "default_data_dir", lambda: tmp_path / "ailleurs")
    postgis_engine = make_engine(postgis_url)
    try:
        _sql_takes_the_same_zones(postgis_engine, data_dir, tmp_path)
    finally:
        postgis_engine.dispose()


def _sql_takes_the_same_zones(postgis_engine, data_dir, tmp_path):
    contours = contours_of(data_dir, ["63", "03", "15", "43"], tmp_path / "contours.geojson",
                           leave_out=["63093"])
    listed = (data_dir / "qpv/qpv2024_commune_membership_anct.csv").read_text()
    header = listed.splitlines()[0].split(",")
    extra = {"code_qp": "QN06301M", "lib_qp": "Saint-Jacques", "insee_com": "63093",
             "lib_com": "Charbonnières-les-Vieilles"}
    qpv_list = tmp_path / "qpv_communes.csv"
    qpv_list.write_text(listed.rstrip("\n") + "\n"
                        + ",".join(extra.get(column, "") for column in header) + "\n")
    for name in ("regions", "departements", "communes"):
        load_source(postgis_engine, name, data_dir=data_dir, progress=False)
    load_source(postgis_engine, "commune-contours", str(contours), progress=False)
    load_source(postgis_engine, "qpv2024-communes", str(qpv_list), progress=False)
    policy = load_policy("current")
    index = reference_index(postgis_engine, "2024")
    lon, lat = 3.0, 46.0  # in Charbonnières-les-Vieilles
    python = verdict(classify(index, policy, [lon], [lat]), 0).row
    sql = classify_sql(postgis_engine, policy, [lon], [lat])[0]
    assert python["in_qpv"] is None and python["category"] == "a-verifier"
    assert (sql["in_qpv"], sql["near_qpv"], sql["category"]) == (
        python["in_qpv"], python["near_qpv"], python["category"])
    assert "63093" in index.territories["metropole"].missing_hosting.codes


def test_an_explanation_names_only_the_communes_that_may_be_near(current):
    """Rennes' explanation named the eight communes without outline of all metropolitan
    France (Cantal, Aveyron, Rhône: 400 km away) as « peu(ven)t se trouver à moins de
    5 000 m »; only Orée d'Anjou's département box reaches that near."""
    policy, index = current
    metro = index.territories["metropole"]
    everyone = set(metro.missing_hosting.codes) | set(metro.missing_neighbours.codes)
    assert {"49126", "15031", "69114"} <= everyone  # the shared contours lack them
    result = classify(index, policy, [-1.68], [48.11])  # Rennes
    text = verdict(result, 0).row["explanation"]
    assert "Commune sans contour chargé (49126) : elle peut se trouver" in text
