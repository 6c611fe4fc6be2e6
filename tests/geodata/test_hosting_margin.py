"""The margin the official list of communes with a QPV is read with
(``HOSTING_TOLERANCE_M``): the commune contours are generalised, and a QPV reaches out of
them. Measured on the real QPV 2024 outlines (PACA, complete) against the real contours of
the communes the list names, then the place an outside auditor found answered « no » 279 m
from a QPV whose outline was not loaded."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geodata.eligibility import classify
from geodata.eligibility.engine import FALSE, HOSTING_TOLERANCE_M, TRUE
from geodata.eligibility.layers import ReferenceIndex
from geodata.policy import load_policy
from geodata.storage.reference import reference_index

pytestmark = pytest.mark.shared_data

TO_L93 = Transformer.from_crs(4326, 2154, always_xy=True)
OLLIOULES = (5.8813425923802605, 43.12589739758341)  # 279 m from QN08310M (Toulon)


@pytest.fixture(scope="module")
def current(reference_engine):
    policy = load_policy("current")
    return policy, reference_index(reference_engine, policy.qpv_vintage)


def in_lambert_93(geometries):
    return shapely.transform(np.asarray(geometries), lambda xy: np.column_stack(
        TO_L93.transform(xy[:, 0], xy[:, 1])))


def test_every_qpv_outline_lies_within_the_margin_of_the_listed_communes(current):
    _, index = current
    communes, qpv = index.communes, index.qpv
    hosting = shapely.union_all(in_lambert_93(
        communes.geometries[np.isin(communes.codes, list(qpv.hosting_communes))]))
    metropolitan = qpv.geometries[qpv.territories == "metropole"]
    assert len(metropolitan) == 135  # PACA's, the 2024 outlines loaded
    farthest = {code: shapely.distance(hosting, shapely.points(shapely.get_coordinates(
        outline))).max() for code, outline in zip(
            qpv.codes[qpv.territories == "metropole"], in_lambert_93(metropolitan),
            strict=True)}
    worst = max(farthest, key=farthest.get)
    print(f"\nle plus loin hors des communes à QPV : {worst}, {farthest[worst]:.0f} m "
          f"(marge {HOSTING_TOLERANCE_M:.0f} m)")
    assert farthest[worst] > 100  # the margin of old would not cover it
    assert farthest[worst] <= HOSTING_TOLERANCE_M


def test_near_a_qpv_outside_its_commune_contour_the_list_does_not_say_no(current):
    """Without La Beaucaire's outline, and the PACA outlines no longer complete (as everywhere
    but PACA: only the list), a place 279 m from it and 406 m from Toulon's generalised
    contour was « ni en QPV ni à proximité »."""
    policy, index = current
    with_outlines = classify(index, policy, [OLLIOULES[0]], [OLLIOULES[1]])
    assert with_outlines.near_qpv[0] == TRUE
    assert index.qpv.codes[with_outlines.nearest[0]] == "QN08310M"
    qpv = index.qpv
    kept = qpv.codes != "QN08310M"
    list_only = ReferenceIndex(replace(
        qpv, complete_for=(), codes=qpv.codes[kept], names=qpv.names[kept],
        territories=qpv.territories[kept], geometries=qpv.geometries[kept],
        row_sources=None if qpv.row_sources is None else qpv.row_sources[kept]),
        index.communes)
    answer = classify(list_only, policy, [OLLIOULES[0]], [OLLIOULES[1]])
    assert answer.near_qpv[0] != FALSE and answer.category[0] == "a-verifier"
