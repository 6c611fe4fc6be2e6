"""A verdict: named components (what was measured, against what, from which data) and its
explanation in French, plus the flat row of the ``check`` / ``classify`` contract.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geodata.eligibility.engine import (
    COARSE_PRECISIONS,
    FALSE,
    HOSTING_TOLERANCE_M,
    TRUE,
    Classification,
)
from geodata.policy import CATEGORIES, CATEGORY_QPV
from geodata.territories import TERRITORIES

__all__ = ["COLUMNS", "Component", "Verdict", "rows", "verdict"]

COLUMNS = (
    "id", "lon", "lat", "precision", "commune_code", "commune_name", "density_level",
    "density_label", "metropole", "in_qpv", "qpv_code", "qpv_name", "nearest_qpv_code",
    "distance_to_qpv_m", "near_qpv", "outside_large_urban_centre", "category", "policy",
    "qpv_vintage", "explanation", "error",
)
"""Output columns of ``fabriques classify`` and keys of ``fabriques check --json``."""

PRECISION_LABELS = {
    "point": "coordonnées exactes", "address": "adresse", "street": "rue",
    "locality": "lieu-dit", "commune": "commune", "municipality": "commune",
}


@dataclass(frozen=True)
class Component:
    """One named part of a verdict: its value, what was measured, threshold and data used."""

    name: str
    value: object
    measured: str
    threshold: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The classification of one location, with its components and explanation."""

    row: dict
    components: tuple[Component, ...]

    @property
    def explanation(self) -> str:
        return self.row["explanation"]

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)


def _tristate(value) -> bool | None:
    return True if value == TRUE else False if value == FALSE else None


def _sources(names) -> str:
    return ", ".join(names) if names else "aucune source chargée"


def verdict(result: Classification, i: int, identifier=None) -> Verdict:
    """The verdict of location ``i`` of a classification."""
    index, policy = result.index, result.policy
    communes = index.communes
    lon, lat = float(result.lon[i]), float(result.lat[i])
    precision = result.precision[i]
    territory = result.territory[i]
    row = dict.fromkeys(COLUMNS)
    row.update(id=identifier, lon=lon, lat=lat, precision=precision, policy=policy.name,
               qpv_vintage=policy.qpv_vintage, category=result.category[i])
    if territory is None:
        row["error"] = (f"({lon:.5f}, {lat:.5f}) n'est dans aucun territoire couvert "
                        "(métropole, Guadeloupe, Martinique, Guyane, La Réunion, Mayotte, "
                        "Saint-Martin, Saint-Barthélemy)")
        row["category"] = None
        row["explanation"] = row["error"]
        return Verdict(row, ())

    components: list[Component] = []
    sentences = [f"Lieu ({lon:.5f}, {lat:.5f}), précision : "
                 f"{PRECISION_LABELS.get(precision, precision)}, "
                 f"{TERRITORIES[territory].name} (distances mesurées en EPSG:"
                 f"{TERRITORIES[territory].epsg})."]

    commune = result.commune[i]
    code = name = None
    if commune >= 0:
        code, name = str(communes.codes[commune]), str(communes.names[commune])
        row.update(commune_code=code, commune_name=name)
        sentences.append(f"Commune : {name} ({code}).")
    else:
        sentences.append("Commune inconnue : le point n'est dans aucun contour communal chargé.")
    components.append(Component("commune", code, "commune dont le contour contient le lieu",
                                source=_sources(communes.sources)))

    sentences.append(_qpv_sentence(result, i, row, components, code, name))
    sentences.append(_urban_sentence(result, i, row, components))

    category = row["category"]
    label = CATEGORIES[category]
    if (row["in_qpv"] or row["near_qpv"]) and row["outside_large_urban_centre"]:
        kept = "la catégorie QPV" if category == CATEGORY_QPV else \
            "la catégorie hors des grands centres urbains"
        sentences.append(f"Les deux conditions sont remplies ; la politique retient {kept}.")
    sentences.append(f"Catégorie : {label} (politique « {policy.name} » : {policy.title}).")
    components.append(Component("category", category, "catégorie de quota",
                                threshold=f"priorité : {policy.precedence}"))
    row["explanation"] = " ".join(sentences)
    return Verdict(row, tuple(components))


def _qpv_sentence(result: Classification, i: int, row: dict, components: list,
                  code: str | None, name: str | None) -> str:
    index, policy = result.index, result.policy
    layer = index.qpv
    vintage, radius, proximity = policy.qpv_vintage, policy.search_radius_m, policy.proximity_m
    in_qpv, near = _tristate(result.in_qpv[i]), _tristate(result.near_qpv[i])
    row.update(in_qpv=in_qpv, near_qpv=near)
    source = _sources(layer.sources)
    coarse = result.precision[i] in COARSE_PRECISIONS
    parts = []
    if result.qpv[i] >= 0:
        q = result.qpv[i]
        row.update(qpv_code=str(layer.codes[q]), qpv_name=str(layer.names[q]))
        parts.append(f"Le lieu est dans le QPV {layer.codes[q]} « {layer.names[q]} » "
                     f"(liste {vintage}, limite comprise).")
    elif in_qpv is False and not coarse:
        parts.append(f"Le lieu n'est dans aucun QPV de la liste {vintage}.")
    distance = result.distance[i]
    if result.nearest[i] >= 0:
        q = result.nearest[i]
        row.update(nearest_qpv_code=str(layer.codes[q]),
                   distance_to_qpv_m=round(float(distance), 1))
        if result.qpv[i] < 0:
            caveat = "" if result.nearest_known[i] else (
                " ; un QPV plus proche pourrait exister là où les contours ne sont pas chargés")
            parts.append(f"Le QPV le plus proche, {layer.codes[q]} « {layer.names[q]} », est à "
                         f"{distance:.1f} m{caveat}.")
    elif not coarse:
        if result.nearest_known[i]:
            parts.append(f"Aucun QPV (liste {vintage}) à moins de {radius:.0f} m.")
        else:
            parts.append(f"Aucun QPV chargé à moins de {radius:.0f} m, mais les contours ne "
                         "sont pas complets dans ce rayon : le plus proche reste inconnu.")
    if coarse:
        parts.append(_coarse_sentence(result, i, code, name))
    elif in_qpv is None or near is None:
        parts.append(f"Appartenance ou proximité à un QPV indéterminée : contours {vintage} "
                     f"non chargés ici (sources : {source}).")
        parts.append(_hosting_sentence(layer, code, name))
    if result.no_hosting_commune[i] and not coarse:
        parts.append(f"D'après la liste officielle des QPV {vintage} ({layer.hosting_source}), "
                     f"aucune commune à moins de {proximity + HOSTING_TOLERANCE_M:.0f} m du lieu "
                     f"(distance de proximité plus {HOSTING_TOLERANCE_M:.0f} m de marge pour les "
                     "contours communaux généralisés) ne compte de QPV.")
    if near is True and in_qpv is not True:
        parts.append(f"Il est donc à moins de {proximity:.0f} m d'un QPV : à sa proximité "
                     "immédiate selon la politique.")
    elif near is False:
        parts.append(f"Il n'est donc ni dans un QPV ni à moins de {proximity:.0f} m d'un QPV.")
    components.append(Component("in_qpv", in_qpv, "le lieu est dans un contour de QPV",
                                threshold="limite comprise", source=source))
    components.append(Component("nearest_qpv", row["nearest_qpv_code"],
                                "distance au QPV le plus proche (m)",
                                threshold=f"recherche dans un rayon de {radius:.0f} m",
                                source=source))
    components.append(Component("near_qpv", near, "distance au QPV le plus proche",
                                threshold=f"≤ {proximity:.0f} m", source=source))
    return " ".join(parts)


def _hosting_sentence(layer, code: str | None, name: str | None) -> str:
    """What the official commune list says, when the outlines are missing."""
    if layer.hosting_communes is None or code is None:
        return "Aucune liste officielle des communes à QPV n'est chargée pour ce millésime."
    if code in layer.hosting_communes:
        return (f"D'après la liste officielle ({layer.hosting_source}), la commune {name} "
                "compte au moins un QPV : à vérifier sur place.")
    return (f"D'après la liste officielle ({layer.hosting_source}), la commune {name} ne compte "
            "aucun QPV, mais une commune voisine peut en avoir un à proximité.")


def _coarse_sentence(result: Classification, i: int, code: str | None, name: str | None) -> str:
    """Commune-precision location: list the QPVs within D of the commune's contour."""
    policy, index = result.policy, result.index
    head = ("Lieu connu seulement à la commune : l'appartenance et la proximité à un QPV sont "
            "à vérifier avec l'adresse précise.")
    if code is None:
        return head
    if result.in_qpv[i] == FALSE:
        return (f"Lieu connu seulement à la commune, mais aucun QPV ne se trouve dans la commune "
                f"ni à moins de {policy.proximity_m:.0f} m de son contour.")
    ti = index.territories[result.territory[i]]
    commune = result.commune[i]
    local = np.searchsorted(ti.commune_rows, commune)
    if local >= len(ti.commune_rows) or ti.commune_rows[local] != commune:
        return head
    contour = ti.commune_geometries[local]
    near = ti.qpv_tree.query(contour, predicate="dwithin", distance=policy.proximity_m)
    if not len(near):
        return head + " " + _hosting_sentence(index.qpv, code, name)
    listed = sorted(
        (float(shapely.distance(contour, ti.qpv_geometries[j])), str(index.qpv.codes[
            ti.qpv_rows[j]]), str(index.qpv.names[ti.qpv_rows[j]])) for j in near)
    items = ", ".join(f"{c} « {n} » ({d:.0f} m du contour)" for d, c, n in listed)
    return f"{head} QPV dans la commune {name} ou à moins de " \
           f"{policy.proximity_m:.0f} m de son contour : {items}."


def _urban_sentence(result: Classification, i: int, row: dict, components: list) -> str:
    policy, communes = result.policy, result.index.communes
    level = int(result.density_level[i])
    code = row["commune_code"]
    label = communes.density_labels.get(code) if level else None
    row.update(density_level=level or None, density_label=label,
               metropole=_tristate(result.metropole[i]),
               outside_large_urban_centre=_tristate(result.outside[i]))
    parts = []
    if level:
        parts.append(f"Grille communale de densité : niveau {level} (« {label} »).")
    if row["metropole"] is True:
        parts.append(f"Commune membre de {communes.metropoles[code]}.")
    elif row["metropole"] is False:
        parts.append("Commune hors des 22 métropoles.")
    outside = row["outside_large_urban_centre"]
    rule = policy.describe_urban_rule()
    if outside is True:
        parts.append(f"Hors des grands centres urbains (grand centre urbain : {rule}).")
    elif outside is False:
        parts.append(f"Dans un grand centre urbain ({rule}).")
    else:
        parts.append(f"Grand centre urbain ou non : indéterminé, faute de données ({rule}).")
    components.append(Component("density_level", row["density_level"],
                                "niveau de la grille communale de densité (INSEE)"))
    components.append(Component("metropole", row["metropole"], "membre d'une métropole"))
    components.append(Component("outside_large_urban_centre", outside,
                                "hors des grands centres urbains", threshold=rule,
                                source=_sources(communes.sources)))
    return " ".join(parts)


def rows(result: Classification, identifiers=None):
    """The contract's row for every location, in input order."""
    for i in range(len(result)):
        identifier = identifiers[i] if identifiers is not None else i + 1
        yield verdict(result, i, identifier).row

