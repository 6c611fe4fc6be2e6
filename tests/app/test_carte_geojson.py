"""The map's layers as RFC 7946 and a GIS overlay want them, on both backends.

Every polygon layer of ``/api/v1/couches`` (départements, QPV of each vintage loaded, the
communes of the density grid, métropoles), at zooms 5, 9, 12 and 15, over metropolitan
France at the low zoom and over Marseille, Toulouse and La Réunion at the high ones: every
geometry read back from the JSON is valid, not empty, a MultiPolygon (one type per layer),
exterior rings counter-clockwise and holes clockwise. And the features of a view still
form a coverage, as the outlines they were simplified from (no overlaps, shared edges shared
vertex for vertex); the communes of the density grid are simplified by département, so
there it holds within each département, and between two the rounding to the zoom may leave
an overlap, smaller than a pixel. The real sources are loaded afresh into SQLite and into
PostGIS.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from app.db import EXTENSION
from geodata.territories import territory_of_lonlat
from loaders.pipeline import load_source
from maps.vector import PIXEL_FRACTION, tolerance_m
from tests.support import make_app

pytestmark = pytest.mark.shared_data

SOURCES = ("regions", "departements", "communes", "epci", "commune-contours", "densite",
           "qpv2015-occitanie", "qpv2015-ile-de-france-extrait", "qpv2015-ille-et-vilaine",
           "qpv2024-paca", "qpv2024-communes")
LAYERS = (("departements", None), ("qpv", "2024"), ("qpv", "2015"), ("densite", None),
          ("metropoles", None))
METROPOLE = (-5.5, 41.2, 9.8, 51.3)
VIEWS = {
    5: [METROPOLE],
    9: [(4.2, 42.9, 7.8, 45.2), (0.0, 42.3, 4.9, 45.1), (55.1, -21.5, 55.9, -20.8)],
    12: [(5.30, 43.25, 5.50, 43.40), (1.33, 43.54, 1.53, 43.67), (55.38, -20.95, 55.55, -20.85)],
    15: [(5.34, 43.28, 5.45, 43.35), (1.40, 43.57, 1.47, 43.62), (55.43, -20.91, 55.50, -20.87)],
}
"""Zoom -> views (W, S, E, N): metropolitan France; PACA, Occitanie and La Réunion; then
Marseille, Toulouse and Saint-Denis de La Réunion closer."""


def geometry_problems(geometry) -> list[str]:
    """What RFC 7946 or an overlay would object to in one geometry (empty list: nothing)."""
    if geometry.is_empty:
        return ["vide"]
    problems = [] if geometry.is_valid else ["invalide"]
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.geom_type != "Polygon":
            problems.append(f"partie {polygon.geom_type}")
        elif not shapely.is_ccw(polygon.exterior):
            problems.append("extérieur horaire")
        elif any(shapely.is_ccw(ring) for ring in polygon.interiors):
            problems.append("trou antihoraire")
    return sorted(set(problems))


def overlay_problems(layer: str, features: list[dict], bbox, zoom: int) -> list[str]:
    """What an overlay would object to in a view: features that do not form a coverage
    (within each département for the density grid), an overlap larger than a pixel."""
    units = defaultdict(list)
    for feature in features:
        code = feature["properties"]["code"]
        units[(code[:3] if code.startswith("97") else code[:2]) if layer == "densite"
              else ""].append(shape(feature["geometry"]))
    problems = ["pas une couverture" for unit in units.values()
                if not shapely.coverage_is_valid(unit)]
    territory = territory_of_lonlat((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2)
    metres = Transformer.from_crs(4326, territory.epsg, always_xy=True)
    geometries = shapely.transform([g for unit in units.values() for g in unit if g.is_valid],
                                   lambda xy: np.column_stack(metres.transform(*xy.T)))
    geometries = geometries[shapely.is_valid(geometries)]  # the invalid: reported apart
    first, second = shapely.STRtree(geometries).query(geometries, predicate="overlaps")
    overlaps = shapely.area(shapely.intersection(geometries[first], geometries[second]))
    pixel = (tolerance_m(territory.code, zoom) / PIXEL_FRACTION) ** 2
    return problems + (["chevauchement de plus d'un pixel"] if (overlaps > pixel).any() else [])


def test_every_layer_is_valid_counter_clockwise_and_of_one_type(engine, backend, tmp_path,
                                                               data_dir):
    for name in SOURCES:
        load_source(engine, name, data_dir=data_dir, progress=False)
    app = make_app(engine.url.render_as_string(hide_password=False), tmp_path / "instance",
                   data_dir, RATELIMIT="off")
    client = app.test_client()
    problems, types, served = Counter(), {}, Counter()
    try:
        for layer, vintage in LAYERS:
            for zoom, views in VIEWS.items():
                if layer == "densite" and zoom < 9:
                    continue  # refused: the grid needs a close zoom
                for bbox in views:
                    answer = client.get(f"/api/v1/couches/{layer}", query_string={
                        "bbox": ",".join(map(str, bbox)), "zoom": zoom,
                        **({"vintage": vintage} if vintage else {})})
                    assert answer.status_code == 200, answer.text
                    features = answer.json["features"]
                    for problem in overlay_problems(layer, features, bbox, zoom):
                        problems[layer, vintage, zoom, problem] += 1
                    for geometry in (shape(f["geometry"]) for f in features):
                        served[layer, vintage, zoom] += 1
                        types.setdefault((layer, vintage), set()).add(geometry.geom_type)
                        for problem in geometry_problems(geometry):
                            problems[layer, vintage, zoom, problem] += 1
    finally:
        app.extensions[EXTENSION].dispose()

    assert not problems, "\n".join(f"{layer} {vintage or ''} zoom {zoom} : {count} {problem}"
                                   for (layer, vintage, zoom, problem), count
                                   in sorted(problems.items(), key=str))
    assert types == {key: {"MultiPolygon"} for key in LAYERS}
    assert all(served[layer, vintage, zoom] for layer, vintage in LAYERS for zoom in VIEWS
               if layer != "densite" or zoom >= 9), served
