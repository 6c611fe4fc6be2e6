"""The public map of the Fabriques, ``/carte``: the map (``maps.fabriques``), filters, the
accessible list of what the map shows (server-rendered from the query string, so it works
without JavaScript), downloads of the current selection; ``static/carte.js`` keeps filters,
list and URL in sync and reads the layers from ``app.carte.api``.
"""

from __future__ import annotations

import math
from dataclasses import replace

from flask import Blueprint, current_app, render_template, request, url_for

from app.carte.forms import PAGE_SIZE, CarteForm
from app.carte.layers import TOGGLEABLE
from app.carte.search import (
    Choice,
    Found,
    PlaceChoice,
    SearchError,
    departement_view,
    nearest_to,
    search_place,
)
from app.db import get_engine
from app.security import basemap
from geodata.display import decoded, short_name
from geodata.dossiers.calendar import wave_order
from geodata.fabriques import FNT_VALUES, UNKNOWN, Selection
from geodata.french import name_key
from geodata.policy import (
    CATEGORIES,
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
    DEFAULT_POLICY,
    qpv_vintages,
)
from geodata.storage.laureates import laureate_table
from geodata.storage.map_layers import COMMUNE_OUTLINES, LAYERS
from geodata.storage.reference import density_levels, place_names, qpv_outlines_coverage
from geodata.territories import TERRITORIES
from maps.base import map_parts
from maps.fabriques import CATEGORY_MARKS, DENSITY_COLORS, Overlay, fabriques_map

__all__ = ["bp"]

bp = Blueprint("carte", __name__, template_folder="templates")

SHORT_LABELS = {CATEGORY_QPV: "QPV ou proximité", CATEGORY_OUTSIDE: "hors grands centres urbains",
                CATEGORY_NOT_ELIGIBLE: "non éligible", CATEGORY_UNDETERMINED: "à vérifier"}
"""Category labels short enough for a table cell."""


def _page_url(fabrique_id: str) -> str:
    """A Fabrique's public page (``app.fabriques``)."""
    return url_for("fabriques.fabrique", fabrique_id=fabrique_id)


def _choice_url(choice: Choice) -> str:
    """The map for a place a search may mean, the rest of the page's state kept: the
    nearest Fabriques of a commune, or a département's Fabriques and its view."""
    kept = {key: value for key, value in request.args.items()
            if key not in ("recherche", "page", "z", "lat", "lon", "region", "departement")}
    if choice.kind == "commune":
        return url_for("carte.carte", **kept, recherche=choice.label)
    view = departement_view(choice.code)
    where = {} if view is None else {"z": view.zoom, "lat": view.lat, "lon": view.lon}
    return url_for("carte.carte", **kept, departement=choice.code, **where)


def _search(text: str, policy) -> tuple[Found | None, str | None, list, Choice | None]:
    """What a search gave: the place and its nearest Fabriques, or the error, or the places
    to choose from (choice, link), or the one département it names."""
    if not text:
        return None, None, [], None
    try:
        return nearest_to(search_place(text), policy, 5, ties=True), None, [], None
    except PlaceChoice as choice:
        if len(choice.choices) == 1 and choice.choices[0].kind == "departement":
            return None, None, [], choice.choices[0]
        return None, None, [(item, _choice_url(item)) for item in choice.choices], None
    except SearchError as error:
        return None, str(error), [], None


def _on_departement(state: dict, selection: Selection, code: str) -> tuple[dict, Selection]:
    """The page for a département named in the search (« Guadeloupe »): its Fabriques, the
    map on it, the search field emptied (the département filter now says it)."""
    view = departement_view(code)
    return ({**state, "search": "", "view": view or state["view"]},
            replace(selection, region=None, departement=code))


@bp.get("/carte")
def carte():
    """The public map of the Fabriques, its filters, its list and its downloads."""
    engine = get_engine()
    form = CarteForm(place_names(engine))
    form.validate()
    state, selection, errors = form.state(), form.selection(), form.messages()
    policy = state["policy"]
    rows = laureate_table(engine, policy)
    overlays = [Overlay("departements", url_for("carte_api.couche", layer="departements")),
                Overlay("communes", url_for("carte_api.couche", layer=COMMUNE_OUTLINES),
                        min_zoom=LAYERS[COMMUNE_OUTLINES].min_zoom)]
    overlays += [Overlay(key, url_for("carte_api.couche", layer=key),
                         min_zoom=LAYERS[key].min_zoom,
                         params={"vintage": state["vintage"]} if key == "qpv" else {},
                         show=key in state["layers"]) for key in TOGGLEABLE]
    found, search_error, choices, area = _search(state["search"], policy)
    if area is not None:
        state, selection = _on_departement(state, selection, area.code)
    figure = fabriques_map(
        lambda path: url_for("static", filename=path), rows, overlays, state["view"],
        page_url=_page_url, basemap=basemap(current_app),
        searched=None if found is None else (found.lat, found.lon, found.label),
        near=[] if found is None else [(f.lat, f.lon) for f in found.fabriques])
    shown = [selection.matches(row) for row in rows]
    matching = [i for i, ok in enumerate(shown) if ok]
    pages = max(1, math.ceil(len(matching) / PAGE_SIZE))
    page = min(state["page"], pages)
    on_page = set(matching[(page - 1) * PAGE_SIZE:page * PAGE_SIZE])
    downloads = {kind: url_for("carte_api.fabriques", policy=policy.name, format=kind,
                               **selection.as_params()) for kind in ("csv", "geojson")}
    regions = sorted({(row["region_code"], row["region_name"] or row["region_code"])
                      for row in rows if row["region_code"]}, key=lambda item: name_key(item[1]))
    departements = [(code, f"{code} {name}", {"region": region}) for code, name, region in sorted(
        {(row["departement_code"], row["departement_name"] or "", row["region_code"] or "")
         for row in rows if row["departement_code"]})]
    return render_template(
        "carte.html", parts=map_parts(figure), rows=rows, shown=shown, count=sum(shown),
        on_page=on_page, page=page, pages=pages, page_size=PAGE_SIZE,
        page_link=lambda number: url_for("carte.carte", **{
            **{key: value for key, value in request.args.items() if key != "page"},
            "page": number}),
        found=found, search_error=search_error, choices=choices, area=area, decoded=decoded,
        short_name=short_name,
        basemap=basemap(current_app), default_policy=DEFAULT_POLICY,
        selection=selection, state=state, errors=errors, downloads=downloads,
        vintages=[(vintage, f"QPV {vintage}") for vintage in qpv_vintages()],
        waves=sorted({row["wave"] for row in rows if row["wave"]}, key=wave_order), regions=regions,
        departements=departements, categories=CATEGORIES, short_labels=SHORT_LABELS,
        marks=CATEGORY_MARKS,
        density_colors=DENSITY_COLORS, density_levels=density_levels(engine),
        toggleable=TOGGLEABLE, layer_specs=LAYERS,
        territories=TERRITORIES, unknown=UNKNOWN, fnt_values=FNT_VALUES,
        unplaced=sum(1 for row, ok in zip(rows, shown, strict=True)
                     if ok and row["lon"] is None),
        qpv_coverage=qpv_outlines_coverage(engine, state["vintage"]),
    ), 400 if errors else 200
