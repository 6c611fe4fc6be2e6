"""A measure of ``bench/http.py``: a bare Flask endpoint doing the plain geometric lookups.

It answers the same URL as the service (``/api/v1/eligibility``) with the facts a plain
shapely classifier finds for the point, as ``bench/shapely_baseline.py`` does for a file,
with the same layers (``bench/plain_trees.py``): the metropolitan commune contours and the
QPV outlines of each policy's vintage, read from the instance's embedded database and
projected to Lambert-93 (EPSG:2154) in STRtrees; per request, the point projected, the QPV
that holds it, the nearest QPV within the policies' search radius and its distance, the
commune that holds it. No completeness logic, no three-valued answers, no explanation, no
overseas territory, no extension: it does less than the service, with the same libraries, so
its speed follows the machine's as the service's does. A measure only, never served.
"""

from __future__ import annotations

import os

import numpy as np
import shapely
from flask import Flask, jsonify, request

from bench.plain_trees import TO_LAMBERT93, metropolitan_tree
from geodata.policy import available_policies, load_policy
from geodata.storage.database import embedded_url, make_engine
from geodata.storage.reference import read_commune_layer, read_qpv_layer


def _layers() -> dict:
    """Per policy: (QPV tree, QPV codes, search radius); and the communes' tree and codes."""
    engine = make_engine(embedded_url(os.environ["FABRIQUES_INSTANCE_PATH"]))
    with engine.connect() as connection:
        communes = read_commune_layer(connection)
        layers = {"communes": metropolitan_tree(communes.codes, communes.territories,
                                                communes.geometries)}
        for name in available_policies():
            policy = load_policy(name)
            qpv = read_qpv_layer(connection, policy.qpv_vintage)
            layers[name] = (*metropolitan_tree(qpv.codes, qpv.territories, qpv.geometries),
                            policy.search_radius_m)
    engine.dispose()
    return layers


LAYERS = _layers()
app = Flask(__name__)


def _first(tree: shapely.STRtree, codes: np.ndarray, point) -> str | None:
    found = tree.query(point, predicate="intersects")
    return str(codes[found.min()]) if len(found) else None


@app.get("/api/v1/eligibility")
def eligibility():
    policy = request.args.get("policy", "current")
    qpv_tree, qpv_codes, radius = LAYERS[policy]
    point = shapely.Point(TO_LAMBERT93.transform(float(request.args["lon"]),
                                                 float(request.args["lat"])))
    nearest, distance = qpv_tree.query_nearest(point, max_distance=radius,
                                               return_distance=True)
    return jsonify(
        policy=policy, commune_code=_first(*LAYERS["communes"], point),
        qpv_code=_first(qpv_tree, qpv_codes, point),
        nearest_qpv_code=str(qpv_codes[nearest[0]]) if len(nearest) else None,
        distance_to_qpv_m=round(float(distance[0]), 1) if len(distance) else None)


@app.get("/sante")
def health():
    return jsonify(statut="ok")
