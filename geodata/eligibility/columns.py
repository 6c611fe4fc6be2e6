"""The contract's columns for many locations at once, explanations included.

Every sentence of an explanation depends on a few facts (the commune, the QPV, the case the
engine landed in), so each is built once per commune, per QPV or per case and assembled with
element-wise string operations. A single check uses the same code on one position: there is
one way to explain a verdict.
"""

from __future__ import annotations

import weakref

import numpy as np
import shapely

from geodata.eligibility.engine import (
    COARSE_PRECISIONS,
    FALSE,
    HOSTING_TOLERANCE_M,
    TRUE,
    UNKNOWN,
    Classification,
)
from geodata.policy import CATEGORIES, CATEGORY_QPV
from geodata.territories import TERRITORIES

__all__ = ["COLUMNS", "PRECISION_LABELS", "contract_columns", "sources_text"]

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


def sources_text(names) -> str:
    return ", ".join(names) if names else "aucune source chargée"


def _blank(count: int) -> np.ndarray:
    return np.full(count, "", dtype=object)


def _mapped(keys: np.ndarray, make, text: bool = False) -> np.ndarray:
    """``make(key)`` for each distinct key, spread back over the positions; with ``text``,
    the key is the value's ``str`` (None gives "None")."""
    values = keys.tolist()
    if text:
        made = {value: make(str(value)) for value in set(values)}
    else:
        made = {value: make(value) for value in set(values)}
    out = np.empty(len(values), dtype=object)
    out[:] = list(map(made.__getitem__, values))
    return out


_SENTENCES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Per index: sentences built for one policy and one key (commune...), kept across calls."""


def _remembered(result: Classification, kind: str, make):
    """``make`` memoised per index, policy and key: a sentence depends on nothing else."""
    try:
        per_index = _SENTENCES[result.index]
    except KeyError:
        per_index = _SENTENCES.setdefault(result.index, {})
    known = per_index.setdefault((kind, result.policy), {})

    def cached(key):
        try:
            return known[key]
        except KeyError:
            return known.setdefault(key, make(key))

    return cached


_TRISTATE = {int(TRUE): True, int(FALSE): False}


def _tristate(values: np.ndarray) -> list:
    return list(map(_TRISTATE.get, values.tolist()))


def _join(parts: list[np.ndarray]) -> list[str]:
    """Each row's sentences joined by a space, empty ones left out."""
    return [" ".join(filter(None, sentences)) for sentences in zip(*parts, strict=True)]


def _fill(count: int, mask: np.ndarray, make) -> np.ndarray:
    """Sentences for the rows of ``mask`` (``make`` gets their positions), "" elsewhere."""
    out = _blank(count)
    rows = np.flatnonzero(mask)
    if len(rows):
        out[rows] = make(rows)
    return out


def contract_columns(result: Classification, positions=None, identifiers=None) -> dict[str, list]:
    """Column name -> list of values (Python types), for ``positions`` (default: all)."""
    positions = np.arange(len(result)) if positions is None else np.asarray(positions, dtype=int)
    count = len(positions)
    policy, index = result.policy, result.index
    communes, layer = index.communes, index.qpv
    territory = result.territory[positions]
    located = territory != None  # noqa: E711 - element-wise
    commune = result.commune[positions]
    known_commune = commune >= 0
    safe_commune = np.where(known_commune, commune, 0)
    qpv, nearest = result.qpv[positions], result.nearest[positions]
    distance = result.distance[positions]
    lon, lat = result.lon[positions], result.lat[positions]

    commune_codes = np.where(known_commune, communes.codes[safe_commune] if len(communes.codes)
                             else None, None)
    commune_names = np.where(known_commune, communes.names[safe_commune] if len(communes.codes)
                             else None, None)
    levels = result.density_level[positions]
    labels = [communes.density_labels.get(code) if level else None
              for code, level in zip(commune_codes.tolist(), levels.tolist(), strict=True)]
    qpv_codes = np.where(qpv >= 0, layer.codes[np.maximum(qpv, 0)] if len(layer.codes)
                         else None, None)
    qpv_names = np.where(qpv >= 0, layer.names[np.maximum(qpv, 0)] if len(layer.codes)
                         else None, None)
    nearest_codes = np.where(nearest >= 0, layer.codes[np.maximum(nearest, 0)]
                             if len(layer.codes) else None, None)
    rounded = np.round(distance, 1)
    errors = _fill(count, ~located, lambda rows: [
        f"({x:.5f}, {y:.5f}) n'est dans aucun territoire couvert (métropole, Guadeloupe, "
        "Martinique, Guyane, La Réunion, Mayotte, Saint-Martin, Saint-Barthélemy)"
        for x, y in zip(lon[rows].tolist(), lat[rows].tolist(), strict=True)])
    errors[located] = None
    explanation = _explanations(result, positions, commune_codes, commune_names)
    explanation = np.where(located, explanation, errors)

    def located_only(values):
        return [v if ok else None for v, ok in zip(values, located.tolist(), strict=True)]

    return {
        "id": list(identifiers) if identifiers is not None else (positions + 1).tolist(),
        "lon": lon.tolist(),
        "lat": lat.tolist(),
        "precision": result.precision[positions].tolist(),
        "commune_code": commune_codes.tolist(),
        "commune_name": commune_names.tolist(),
        "density_level": [int(level) if level else None for level in levels.tolist()],
        "density_label": labels,
        "metropole": _tristate(result.metropole[positions]),
        "in_qpv": _tristate(result.in_qpv[positions]),
        "qpv_code": qpv_codes.tolist(),
        "qpv_name": qpv_names.tolist(),
        "nearest_qpv_code": nearest_codes.tolist(),
        "distance_to_qpv_m": [None if d != d else float(d) for d in rounded.tolist()],
        "near_qpv": _tristate(result.near_qpv[positions]),
        "outside_large_urban_centre": _tristate(result.outside[positions]),
        "category": located_only(result.category[positions].tolist()),
        "policy": [policy.name] * count,
        "qpv_vintage": [policy.qpv_vintage] * count,
        "explanation": explanation.tolist(),
        "error": errors.tolist(),
    }


def _explanations(result: Classification, positions: np.ndarray, commune_codes: np.ndarray,
                  commune_names: np.ndarray) -> np.ndarray:
    count = len(positions)
    territory = result.territory[positions]
    precision = result.precision[positions]
    lons, lats = result.lon[positions].tolist(), result.lat[positions].tolist()

    def place(key):
        name, epsg = (TERRITORIES[key].name, TERRITORIES[key].epsg) if key else ("", "")
        return f"{name} (distances mesurées en EPSG:{epsg})."

    precision_text = _mapped(precision, lambda p: PRECISION_LABELS.get(p, p), text=True)
    place_text = _mapped(territory, lambda t: place(t if t != "None" else None), text=True)
    location = np.array([
        f"Lieu ({x:.5f}, {y:.5f}), précision : {p}, {t}"
        for x, y, p, t in zip(lons, lats, precision_text, place_text, strict=True)
    ], dtype=object)
    communes = result.index.communes

    def commune_text(commune: int) -> str:
        if commune < 0:
            return "Commune inconnue : le point n'est dans aucun contour communal chargé."
        return f"Commune : {communes.names[commune]!s} ({communes.codes[commune]!s})."

    commune_sentence = _mapped(result.commune[positions], commune_text)
    parts = [location, commune_sentence, *_qpv_sentences(result, positions, commune_codes,
                                                          commune_names)]
    parts.append(_mapped(result.commune[positions], _remembered(
        result, "urban", lambda c: _urban_sentence(result, c))))
    parts.extend(_category_sentences(result, positions))
    return np.array(_join(parts), dtype=object) if count else _blank(0)


def _qpv_sentences(result: Classification, positions, commune_codes, commune_names):
    policy, layer = result.policy, result.index.qpv
    vintage, radius, proximity = policy.qpv_vintage, policy.search_radius_m, policy.proximity_m
    count = len(positions)
    qpv, nearest = result.qpv[positions], result.nearest[positions]
    in_qpv, near = result.in_qpv[positions], result.near_qpv[positions]
    known = result.nearest_known[positions]
    coarse = np.isin(result.precision[positions], list(COARSE_PRECISIONS))
    fine = ~coarse
    labels = np.array([f"{code} « {name} »" for code, name in zip(layer.codes, layer.names,
                                                                   strict=True)] or [""],
                      dtype=object)

    inside = _fill(count, qpv >= 0, lambda rows: [
        f"Le lieu est dans le QPV {labels[q]} (liste {vintage}, limite comprise)."
        for q in qpv[rows].tolist()])
    inside[(qpv < 0) & (in_qpv == FALSE) & fine] = \
        f"Le lieu n'est dans aucun QPV de la liste {vintage}."
    distance = result.distance[positions]
    caveat = " ; un QPV plus proche pourrait exister là où les contours ne sont pas chargés"
    closest = _fill(count, (nearest >= 0) & (qpv < 0), lambda rows: [
        f"Le QPV le plus proche, {labels[q]}, est à {d:.1f} m{'' if k else caveat}."
        for q, d, k in zip(nearest[rows].tolist(), distance[rows].tolist(),
                           known[rows].tolist(), strict=True)])
    closest[(nearest < 0) & fine & known] = \
        f"Aucun QPV (liste {vintage}) à moins de {radius:.0f} m."
    closest[(nearest < 0) & fine & ~known] = (
        f"Aucun QPV chargé à moins de {radius:.0f} m, mais les contours ne sont pas complets "
        "dans ce rayon : le plus proche reste inconnu.")

    undecided = _blank(count)
    open_question = fine & ((in_qpv == UNKNOWN) | (near == UNKNOWN))
    if open_question.any():
        hosting = _mapped(commune_codes, text=True, make=_remembered(
            result, "hosting", lambda c: _hosting_sentence(
                layer, None if c == "None" else c, _name_of(result, c))))
        undecided = np.where(open_question, f"Appartenance ou proximité à un QPV indéterminée : "
                             f"contours {vintage} non chargés ici (sources : "
                             f"{sources_text(layer.sources)}). " + hosting, "").astype(object)
    for j in np.flatnonzero(coarse):
        code = commune_codes[j]
        undecided[j] = _coarse_sentence(result, int(positions[j]), code, commune_names[j])
    listed = _blank(count)
    listed[result.no_hosting_commune[positions] & fine] = (
        f"D'après la liste officielle des QPV {vintage} ({layer.hosting_source}), aucune "
        f"commune à moins de {proximity + HOSTING_TOLERANCE_M:.0f} m du lieu (distance de "
        f"proximité plus {HOSTING_TOLERANCE_M:.0f} m de marge pour les contours communaux "
        "généralisés) ne compte de QPV.")
    conclusion = _blank(count)
    conclusion[(near == TRUE) & (in_qpv != TRUE)] = (
        f"Il est donc à moins de {proximity:.0f} m d'un QPV : à sa proximité immédiate selon "
        "la politique.")
    conclusion[near == FALSE] = \
        f"Il n'est donc ni dans un QPV ni à moins de {proximity:.0f} m d'un QPV."
    return [inside, closest, undecided, listed, conclusion]


def _name_of(result: Classification, code: str) -> str | None:
    position = result.index.commune_position(code)
    return None if position is None else str(result.index.communes.names[position])


def _hosting_sentence(layer, code: str | None, name: str | None) -> str:
    """What the official commune list says, when the outlines are missing."""
    if layer.hosting_communes is None or code is None:
        return "Aucune liste officielle des communes à QPV n'est chargée pour ce millésime."
    if code in layer.hosting_communes:
        return (f"D'après la liste officielle ({layer.hosting_source}), la commune {name} "
                "compte au moins un QPV : à vérifier sur place.")
    return (f"D'après la liste officielle ({layer.hosting_source}), la commune {name} ne compte "
            "aucun QPV, mais une commune voisine peut en avoir un à proximité.")


def _coarse_sentence(result: Classification, i: int, code, name) -> str:
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
        (float(shapely.distance(contour, ti.qpv_geometries[j])),
         str(index.qpv.codes[ti.qpv_rows[j]]), str(index.qpv.names[ti.qpv_rows[j]]))
        for j in near)
    items = ", ".join(f"{c} « {n} » ({d:.0f} m du contour)" for d, c, n in listed)
    return (f"{head} QPV dans la commune {name} ou à moins de {policy.proximity_m:.0f} m de son "
            f"contour : {items}.")


def _urban_sentence(result: Classification, commune: int) -> str:
    """The urban half for every location of one commune (or of no known commune)."""
    policy, index = result.policy, result.index
    communes = index.communes
    rule = policy.describe_urban_rule()
    parts = []
    if commune >= 0:
        code = communes.codes[commune]
        level = int(index.density_level_of[commune]) if len(index.density_level_of) else 0
        if level:
            parts.append(f"Grille communale de densité : niveau {level} "
                         f"(« {communes.density_labels.get(code)} »).")
        if index.metropole_of is not None:
            parts.append(f"Commune membre de {communes.metropoles[code]}."
                         if index.metropole_of[commune] else "Commune hors des 22 métropoles.")
        if policy.urban_definition == "metropole":
            outside = None if index.metropole_of is None else not index.metropole_of[commune]
        else:
            outside = None if not level else level not in policy.density_levels
    else:
        outside = None
    if outside is True:
        parts.append(f"Hors des grands centres urbains (grand centre urbain : {rule}).")
    elif outside is False:
        parts.append(f"Dans un grand centre urbain ({rule}).")
    else:
        parts.append(f"Grand centre urbain ou non : indéterminé, faute de données ({rule}).")
    return " ".join(parts)


def _category_sentences(result: Classification, positions: np.ndarray) -> list[np.ndarray]:
    policy = result.policy
    category = result.category[positions]
    qpv_half = (result.in_qpv[positions] == TRUE) | (result.near_qpv[positions] == TRUE)
    both = qpv_half & (result.outside[positions] == TRUE)
    both_sentence = _blank(len(positions))
    for kept_category, kept in ((True, "la catégorie QPV"),
                                (False, "la catégorie hors des grands centres urbains")):
        both_sentence[both & ((category == CATEGORY_QPV) == kept_category)] = (
            f"Les deux conditions sont remplies ; la politique retient {kept}.")
    final = _mapped(category, text=True, make=lambda c: (
        f"Catégorie : {CATEGORIES.get(c, c)} (politique « {policy.name} » : {policy.title})."))
    return [both_sentence, final]
