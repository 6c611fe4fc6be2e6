"""The map of the territories farther than X km from every Fabrique ("territoires non pourvus").

Data in, ``folium.Map`` out; no database, no request. Kept light: the national view draws
one circle per département (area proportional to its population farther than X km, colour
by its share of the département's population) and the Fabriques as dots; the detail of one
département draws the simplified contours of its uncovered communes, the Fabriques around
it and their X km radius. The tables beside the map give the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import folium
import shapely
from folium.utilities import JsCode

from geodata.coverage import DepartementCoverage
from geodata.networks import Member
from geodata.territories import TERRITORIES
from maps.base import AssetUrl, HtmlPopup, LocalMap, MapRegistry, base_map, layer_control
from maps.networks import TextTooltip, safe_text

__all__ = ["MAP_KEY", "SHARE_CLASSES", "coverage_map", "share_colour"]

MAP_KEY = "couverture"
SHARE_CLASSES = ((0.5, "#a5000b", "50 % ou plus"), (0.25, "#e1000f", "de 25 à 50 %"),
                 (0.1, "#f95c5e", "de 10 à 25 %"), (0.0, "#fcc0b4", "moins de 10 %"))
"""Share of the population farther than X km: lower bound, colour, legend (darkest first)."""
MAX_RADIUS_PX = 28.0
FABRIQUE_COLOUR = "#000091"
COMMUNE_TOOLTIP = JsCode(
    "function (feature, layer) { layer.bindTooltip(feature.properties.label, "
    "{sticky: true}); }")


def share_colour(share: float | None) -> str:
    """The fill colour of a share of population (0..1) farther than the threshold."""
    for lower, colour, _ in SHARE_CLASSES:
        if share is not None and share >= lower:
            return colour
    return SHARE_CLASSES[-1][1]


def _fabriques(m: LocalMap, fabriques: Sequence[Member], threshold_m: float,
               with_radius: bool) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=f"Fabriques ({len(fabriques)})").add_to(m)
    for fabrique in fabriques:
        if with_radius and threshold_m > 0:
            folium.Circle((fabrique.lat, fabrique.lon), radius=threshold_m, color=FABRIQUE_COLOUR,
                          weight=1, dash_array="4 4", fill=False,
                          class_name="fabriques-rayon").add_to(group)
        marker = folium.CircleMarker(
            (fabrique.lat, fabrique.lon), radius=3, color="#ffffff", weight=0.5, fill=True,
            fill_color=FABRIQUE_COLOUR, fill_opacity=1, class_name="fabriques-fabrique")
        TextTooltip(f"{fabrique.name} — {fabrique.commune_name or ''} "
                    f"({fabrique.external_id})").add_to(marker)
        marker.add_to(group)
    return group


def _national(m: LocalMap, rows: Sequence[DepartementCoverage], threshold_m: float,
              centres: Mapping[str, tuple[float, float]],
              detail_url: Callable[[str], str] | None) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="Départements : population à plus de "
                                     f"{threshold_m / 1000:g} km").add_to(m)
    largest = max((row.uncovered_population for row in rows), default=0) or 1
    for row in rows:
        if row.code not in centres or not row.uncovered_population:
            continue
        lon, lat = centres[row.code]
        radius = max(3.0, MAX_RADIUS_PX * math.sqrt(row.uncovered_population / largest))
        share = row.share or 0.0
        text = (f"{row.name} ({row.code}) : {row.uncovered_population:,} habitants, "
                f"{share:.0%} de la population, {row.uncovered_communes} communes à plus de "
                f"{threshold_m / 1000:g} km d'une Fabrique").replace(",", " ")
        marker = folium.CircleMarker(
            (lat, lon), radius=radius, color="#3a3a3a", weight=1, fill=True,
            fill_color=share_colour(row.share), fill_opacity=0.75,
            class_name="fabriques-departement")
        TextTooltip(text).add_to(marker)
        link = (f'<br><a href="{safe_text(detail_url(row.code))}">Voir les communes</a>'
                if detail_url else "")
        HtmlPopup(safe_text(text) + link).add_to(marker)
        marker.add_to(group)
    return group


def _communes(m: LocalMap, communes: Sequence[Mapping], outlines: Mapping[str, object],
              threshold_m: float) -> folium.GeoJson:
    features = []
    for commune in communes:
        geometry = outlines.get(commune["code"])
        if geometry is None:
            continue
        distance = commune["distance_m"]
        far = "aucune Fabrique dans le territoire" if distance is None \
            else f"{distance / 1000:.1f} km de la Fabrique la plus proche"
        label = safe_text(f"{commune['name']} ({commune['code']}) : {commune['population']} "
                          f"habitants, {far}")
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(geometry),
                         "properties": {"code": safe_text(commune["code"]), "label": label}})
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=f"Communes à plus de {threshold_m / 1000:g} km ({len(features)})",
        style_function=lambda _: {"color": "#a5000b", "weight": 1, "fillColor": "#e1000f",
                                  "fillOpacity": 0.35, "className": "fabriques-commune"},
        on_each_feature=COMMUNE_TOOLTIP)
    layer.add_to(m)
    return layer


def _around(fabriques: Sequence[Member], bounds: tuple[float, float, float, float],
            margin_m: float) -> list[Member]:
    """Fabriques within the bounds widened by ``margin_m`` (approximate degrees: display)."""
    west, south, east, north = bounds
    dlat = margin_m / 111_000 + 0.01
    dlon = margin_m / (111_000 * max(0.2, math.cos(math.radians((south + north) / 2)))) + 0.01
    return [f for f in fabriques
            if west - dlon <= f.lon <= east + dlon and south - dlat <= f.lat <= north + dlat]


def _context(m: LocalMap, outlines: Mapping[str, object]) -> folium.GeoJson:
    """The département's other communes, thin grey outlines without fill, for orientation."""
    features = [{"type": "Feature", "geometry": shapely.geometry.mapping(geometry),
                 "properties": {"code": code}} for code, geometry in outlines.items()]
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name="Autres communes",
        style_function=lambda _: {"color": "#929292", "weight": 0.5, "fill": False,
                                  "className": "fabriques-contexte"},
        interactive=False)
    layer.add_to(m)
    return layer


def coverage_map(rows: Sequence[DepartementCoverage], threshold_m: float,
                 asset_url: AssetUrl, *, centres: Mapping[str, tuple[float, float]],
                 fabriques: Sequence[Member], communes: Sequence[Mapping] | None = None,
                 outlines: Mapping[str, object] | None = None,
                 bounds: tuple[float, float, float, float] | None = None,
                 detail_url: Callable[[str], str] | None = None,
                 height: str = "36rem") -> LocalMap:
    """National view (``communes`` None) or one département's uncovered communes.

    ``communes``: dicts with ``code``, ``name``, ``population``, ``distance_m``;
    ``outlines``: simplified contours (EPSG:4326) by code, of those communes and of the
    département's others (drawn grey, for orientation); ``bounds`` (W, S, E, N): the view
    (metropolitan France by default).
    """
    km = f"{threshold_m / 1000:g}"
    if communes is None:
        label = (f"Carte des départements : population à plus de {km} km d'une Fabrique "
                 "(cercles) et Fabriques (points). Le tableau qui suit en donne les chiffres.")
    else:
        label = (f"Carte des {len(communes)} communes à plus de {km} km d'une Fabrique, et des "
                 "Fabriques voisines avec leur rayon. Le tableau qui suit en donne la liste.")
    m = base_map(asset_url, label=label, height=height, zoom_snap=0.25, zoom_delta=0.5)
    layers = {}
    if communes is None:
        layers["departements"] = _national(m, rows, threshold_m, centres, detail_url)
    else:
        far = {commune["code"] for commune in communes}
        outlines = outlines or {}
        _context(m, {code: g for code, g in outlines.items() if code not in far})
        layers["communes"] = _communes(m, communes, outlines, threshold_m)
    west, south, east, north = bounds or TERRITORIES["metropole"].bbox
    if communes is not None:
        fabriques = _around(fabriques, (west, south, east, north), threshold_m)
    layers["fabriques"] = _fabriques(m, fabriques, threshold_m, communes is not None)
    m.fit_bounds([(south, west), (north, east)])
    layer_control().add_to(m)
    MapRegistry(MAP_KEY, layers=layers).add_to(m)
    return m
