"""The map of a network: its Fabrique, its places by kind, a line from the Fabrique to each.

Data in (a ``geodata.networks.NetworkView``), ``folium.Map`` out; no database, no request.
Every marker is an SVG circle whose class names its kind (``fabriques-lieu--<kind>``), and
``MapRegistry`` publishes the layers as ``window.fabriquesMaps.reseau`` so that a page
script, or a browser test, can compare what is drawn with the table beside the map.
"""

from __future__ import annotations

from html import escape

import folium
from branca.element import MacroElement
from folium.template import Template

from geodata.display import short_name
from geodata.networks import KIND_LABELS, Member, NetworkView
from maps.base import AssetUrl, HtmlPopup, LocalMap, MapRegistry, base_map, layer_control
from maps.basemap import Basemap
from maps.remote import RemoteGeoJson
from maps.tiles import TiledBasemap

__all__ = ["KIND_COLOURS", "MAP_KEY", "TextTooltip", "member_class", "network_map", "safe_text"]

MAP_KEY = "reseau"
KIND_COLOURS = {
    "fabrique": "#000091",  # DSFR blue France
    "tiers-lieu-cget-2019": "#c3992a",
    "tiers-lieu-france-tiers-lieux": "#009081",
    "manufacture-proximite": "#a558a0",
    "france-services": "#ce614a",
    "conseiller-numerique": "#417dc4",
}
"""Marker colours per place kind (DSFR illustrative colours)."""
OTHER_COLOUR = "#666666"
CENTRE_COLOUR = "#e1000f"  # DSFR red Marianne


def safe_text(text: str) -> str:
    """Text as HTML that neither a browser nor Jinja reads as markup: ``<>&"'`` escaped, and
    braces as entities (folium renders each piece of script again as a Jinja template, so a
    name holding ``{{ … }}`` would otherwise be evaluated on the server)."""
    return escape(text).replace("{", "&#123;").replace("}", "&#125;")


class TextTooltip(MacroElement):
    """A tooltip bound to its parent layer, showing plain text (escaped, passed as JSON).

    folium's own ``Tooltip`` puts its text in a JavaScript template literal, where a
    backquote or ``${`` in a place's name would break out of the string.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindTooltip({{ this.html|tojson }},
                {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, text: str, **options):
        super().__init__()
        self._name = "TextTooltip"
        self.html = safe_text(text)
        self.options = {"sticky": True, **options}


def member_class(kind: str) -> str:
    """The CSS class of a member's circle, naming its kind."""
    return f"fabriques-lieu fabriques-lieu--{kind}"


def _popup(member: Member) -> str:
    lines = [f"<strong>{safe_text(short_name(member.name))}</strong>",
             safe_text(member.kind_label)]
    if member.commune_name:
        lines.append(f"{safe_text(member.commune_name)} "
                     f"({safe_text(member.commune_code or '')})")
    if member.distance_m is not None:
        lines.append(f"{member.distance_m / 1000:.1f} km de la Fabrique")
    if member.role:
        lines.append(f"rôle : {safe_text(member.role)}")
    return "<br>".join(lines)


def _tooltip(member: Member) -> str:
    distance = "" if member.distance_m is None else f" — {member.distance_m / 1000:.1f} km"
    return f"{short_name(member.name)} ({member.kind_label}){distance}"


def _background(m: LocalMap, outlines_url: str, basemap: Basemap | None) -> None:
    """Under the points (a pane below Leaflet's overlays): the tiles of ``basemap``, or the
    outlines of the départements, which also replace the tiles when they fail."""
    outlines = RemoteGeoJson(outlines_url, "Départements", "departements", control=False,
                             show=basemap is None, z_index=200, interactive=False,
                             style={"color": "#929292", "weight": 0.8,
                                    "fillColor": "#ffffff", "fillOpacity": 1}).add_to(m)
    if basemap is not None:
        m.options["attributionControl"] = True
        m.add_child(TiledBasemap(basemap, [outlines]))


def network_map(view: NetworkView, asset_url: AssetUrl, *, height: str = "32rem",
                outlines_url: str | None = None, basemap: Basemap | None = None) -> LocalMap:
    """The Fabrique (red), its places (one layer per kind), and a line to each place; under
    them, in a pane of their own, the tiles of ``basemap`` or the outlines of the
    départements served at ``outlines_url`` (``/api/v1/couches/departements``)."""
    centre = view.centre
    label = (f"Carte du réseau « {short_name(view.name)} » : "
             f"{'la Fabrique, ' if centre else ''}{len(view.members)} lieu(x)"
             f"{' et un trait de la Fabrique vers chacun' if centre else ''}. "
             "Le tableau qui suit la carte en donne le contenu.")
    # the container's label is rendered by a template again: no braces from the data
    label = label.replace("{", "(").replace("}", ")")
    m = base_map(asset_url, label=label, height=height, zoom_snap=0.25, zoom_delta=0.5)
    layers: dict[str, folium.FeatureGroup] = {}
    objects = {}
    if outlines_url is not None:
        _background(m, outlines_url, basemap)
    if centre is not None and view.members:
        links = folium.FeatureGroup(name="Liens avec la Fabrique").add_to(m)
        for member in view.members:
            folium.PolyLine([(centre.lat, centre.lon), (member.lat, member.lon)],
                            color="#929292", weight=1, opacity=0.8,
                            class_name="fabriques-lien").add_to(links)
        layers["liens"] = links
    for kind in sorted({m_.kind for m_ in view.members},
                       key=lambda k: (list(KIND_LABELS).index(k) if k in KIND_LABELS
                                      else len(KIND_LABELS), k)):
        members = [member for member in view.members if member.kind == kind]
        group = folium.FeatureGroup(name=f"{members[0].kind_label} ({len(members)})").add_to(m)
        colour = KIND_COLOURS.get(kind, OTHER_COLOUR)
        for member in members:
            marker = folium.CircleMarker(
                (member.lat, member.lon), radius=6, color="#ffffff", weight=1,
                fill=True, fill_color=colour, fill_opacity=0.9,
                class_name=member_class(kind))
            TextTooltip(_tooltip(member)).add_to(marker)
            HtmlPopup(_popup(member)).add_to(marker)
            marker.add_to(group)
        layers[kind] = group
    points = [(member.lat, member.lon) for member in view.members]
    if centre is not None:
        marker = folium.CircleMarker(
            (centre.lat, centre.lon), radius=10, color="#ffffff", weight=2, fill=True,
            fill_color=CENTRE_COLOUR, fill_opacity=1, class_name="fabriques-centre")
        TextTooltip(f"{short_name(centre.name)} (Fabrique de Territoire, lieu ressource)"
                    ).add_to(marker)
        HtmlPopup(_popup(centre) + "<br>lieu ressource du réseau").add_to(marker)
        marker.add_to(m)
        objects["fabrique"] = marker
        points.append((centre.lat, centre.lon))
    if points:
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        m.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))], padding=(20, 20),
                     max_zoom=14)
    if layers:
        layer_control().add_to(m)
    MapRegistry(MAP_KEY, layers=layers, objects=objects).add_to(m)
    return m
