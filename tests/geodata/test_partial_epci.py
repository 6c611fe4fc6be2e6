"""A commune that the loaded EPCI list places in no EPCI is in no *known* métropole, on both
backends (the engine and PostGIS's ``fabriques_classify``, migration 0018).

An operator's fault injection forced in an EPCI list without Toulouse Métropole (refused by
its official count, loaded as partial with ``--force``): the engine then answered « hors des
22 métropoles », so « hors des grands centres urbains » under the AMI 2019 rules, in the
middle of Toulouse. The files are the real shared ones, the EPCI list with that one entry
removed (synthetic alteration of real data) and the contours cut to the communes tested.
"""

from __future__ import annotations

import json

import pytest

from geodata.eligibility.columns import contract_columns
from geodata.eligibility.engine import FALSE, TRUE, UNKNOWN, classify
from geodata.eligibility.verdict import verdict
from geodata.policy import load_policy
from geodata.storage.database import is_postgis
from geodata.storage.reference import ISLANDS_OUTSIDE_EPCI, reference_index
from geodata.storage.sql_classification import classify_sql
from loaders.pipeline import load_source
from tests.loaders.common import load, write_json
from tests.loaders.conftest import CONTOURS
from tests.loaders.test_territory import EPCI, records

pytestmark = pytest.mark.shared_data

# (commune, a point inside it): Toulouse, Blagnac (both Toulouse Métropole), Saint-Gaudens
# (a communauté de communes), L'Île-d'Yeu (in no EPCI, by law), Lyon (the Métropole de Lyon).
POINTS = {"31555": (1.4442, 43.6045), "31069": (1.3897, 43.6372),
          "31483": (0.7233, 43.1083), "85113": (-2.3480, 46.7230),
          "69123": (4.8357, 45.7640)}


@pytest.fixture
def without_toulouse(engine, data_dir, tmp_path):
    """The communes, their contours (those of ``POINTS``), and the EPCI list without
    Toulouse Métropole, forced in."""
    document = json.loads((data_dir / CONTOURS).read_text(encoding="utf-8"))
    document["features"] = [f for f in document["features"]
                            if f["properties"]["code"] in POINTS]
    assert len(document["features"]) == len(POINTS)
    load(engine, "communes", data_dir)
    load(engine, "commune-contours", path=write_json(tmp_path / "contours.geojson", document))
    kept = [e for e in records(data_dir, EPCI) if e["nom"] != "Toulouse Métropole"]
    load_source(engine, "epci", str(write_json(tmp_path / "epci.json", kept)), force=True,
                progress=False)
    return engine


def test_a_commune_the_epci_list_leaves_out_has_no_known_metropole(without_toulouse):
    policy = load_policy("ami-2019")  # outside large urban centres: outside the métropoles
    index = reference_index(without_toulouse, policy.qpv_vintage)
    lons, lats = zip(*POINTS.values(), strict=True)

    result = classify(index, policy, lons, lats)

    communes = [str(index.communes.codes[row]) for row in result.commune]
    assert communes == list(POINTS)
    assert list(result.metropole) == [UNKNOWN, UNKNOWN, FALSE, FALSE, TRUE]
    assert list(result.outside) == [UNKNOWN, UNKNOWN, TRUE, TRUE, FALSE]
    toulouse = verdict(result, 0).row
    assert "dans aucun EPCI de la liste chargée (liste incomplète) : métropole inconnue" \
        in toulouse["explanation"]
    assert "Commune hors des 22 métropoles" not in toulouse["explanation"]
    assert ("Grand centre urbain ou non : indéterminé, sa métropole est inconnue (grand "
            "centre urbain : commune membre d'une des 22 métropoles)") in toulouse["explanation"]
    assert "Commune hors des 22 métropoles." in verdict(result, 3).row["explanation"]
    assert "Commune membre de Métropole de Lyon." in verdict(result, 4).row["explanation"]
    short = contract_columns(result, short=True)["explanation"]
    assert "Toulouse (31555), dans aucun EPCI de la liste chargée" in short[0]
    if is_postgis(without_toulouse):  # and fabriques_classify answers the same
        rows = classify_sql(without_toulouse, policy, lons, lats)
        assert [row["commune_code"] for row in rows] == list(POINTS)
        assert [row["metropole"] for row in rows] == [None, None, False, False, True]
        assert [row["outside_large_urban_centre"] for row in rows] == [
            None, None, True, True, False]




def test_the_islands_are_those_the_shared_list_leaves_out(data_dir):
    """The four islands exempted by law are the communes of the territories covered that the
    complete EPCI list (COG 2026) places in no EPCI: no more, no fewer."""
    members = {m["code"] for e in records(data_dir, EPCI) for m in e["membres"]}
    communes = records(data_dir, "communes/communes_cog2026_decoupage_administratif.json")
    covered = [c["code"] for c in communes if c["type"] == "commune-actuelle"
               and not c["code"].startswith(("975", "977", "978", "98"))]
    assert {code for code in covered if code not in members} == ISLANDS_OUTSIDE_EPCI


def test_without_the_density_grid_the_urban_half_says_what_is_missing(without_toulouse):
    """No density grid loaded (the fixture loads none): today's rules cannot tell a large
    urban centre, and the explanation says the commune has no level, not « faute de
    données (commune de niveau 1 …) », which read as if that level were the missing data."""
    policy = load_policy("current")
    index = reference_index(without_toulouse, policy.qpv_vintage)
    result = classify(index, policy, *zip(*POINTS.values(), strict=True))

    assert list(result.outside) == [UNKNOWN] * len(POINTS)
    said = verdict(result, 2).row["explanation"]
    assert ("Grand centre urbain ou non : indéterminé, la commune n'a pas de niveau dans la "
            "grille communale de densité chargée (grand centre urbain : commune de niveau 1 "
            "de la grille communale de densité de l'INSEE).") in said
