"""The sentences of an explanation, built for one representative location per group of
locations that share every fact the wording depends on.

A location's explanation reads ``Lieu (lon ; lat), `` then a *head* and, when a distance to
the nearest QPV is said, that distance and a *tail*: only the coordinates and the distance
differ inside a group (``geodata.eligibility.columns`` formats them per location). Every
sentence depends on a few facts (the commune, the QPV, the case the engine landed in) and
those that need a lookup or a geometry are remembered per index, policy and key.
"""

from __future__ import annotations

import weakref

import numpy as np
import shapely

from geodata.eligibility.engine import HOSTING_TOLERANCE_M, Classification, coarse
from geodata.eligibility.layers import projector
from geodata.eligibility.plain_layers import FALSE, TRUE, UNKNOWN
from geodata.eligibility.provenance import covers, missing_outlines
from geodata.french import NBSP, agreed, metres
from geodata.policy import CATEGORY_PHRASES, CATEGORY_QPV
from geodata.territories import TERRITORIES

__all__ = ["PRECISION_LABELS", "explanation_parts", "outlines_here", "per_commune", "sources_text"]

PRECISION_LABELS = {
    "point": "coordonnées exactes", "address": "adresse", "street": "rue",
    "locality": "lieu-dit", "commune": "commune",
}


def sources_text(names) -> str:
    """The sources' labels joined by « ; » (titles hold commas), or "aucune source chargée"."""
    return " ; ".join(names) if names else "aucune source chargée"


def _blank(count: int) -> np.ndarray:
    out = np.empty(count, dtype=object)
    out.fill("")
    return out


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


def per_commune(result: Classification, kind: str, communes: np.ndarray, make) -> np.ndarray:
    """``make(commune)`` for each position's commune (-1: unknown), built once per index,
    policy and commune and kept in an array indexed by commune."""
    try:
        per_index = _SENTENCES[result.index]
    except KeyError:
        per_index = _SENTENCES.setdefault(result.index, {})
    count = len(result.index.communes.codes)
    made = per_index.get((kind, result.policy))
    if made is None:
        made = per_index.setdefault((kind, result.policy), np.empty(count + 1, dtype=object))
    slot = np.where(communes >= 0, communes, count)
    missing = slot[made[slot] == None]  # noqa: E711 - element-wise
    for position in (np.unique(missing).tolist() if len(missing) else ()):
        made[position] = make(position if position < count else -1)
    return made[slot]


def _fill(count: int, mask: np.ndarray, make) -> np.ndarray:
    """Sentences for the rows of ``mask`` (``make`` gets their positions), "" elsewhere."""
    out = _blank(count)
    rows = np.flatnonzero(mask)
    if len(rows):
        out[rows] = make(rows)
    return out


def explanation_parts(result: Classification, positions: np.ndarray, commune_codes: np.ndarray,
                      commune_names: np.ndarray) -> tuple[list[str], list[str | None]]:
    """For each position: the text after ``Lieu (lon ; lat), ``, up to the distance to the
    nearest QPV when one is said (then the text after that distance), else all of it (and
    None)."""
    territory = result.territory[positions]
    precision = result.precision[positions]
    commune = result.commune[positions]

    def place(key):
        return (f"{TERRITORIES[key].name} (distances mesurées {TERRITORIES[key].measured_in})."
                if key else " (distances mesurées en mètres).")

    keys = list(zip(precision.tolist(), territory.tolist(), strict=True))
    made = {(p, t): f"précision : {PRECISION_LABELS.get(str(p), str(p))}, {place(t)}"
            for p, t in set(keys)}
    location = list(map(made.__getitem__, keys))
    communes = result.index.communes

    def commune_text(commune: int) -> str:
        if commune < 0:
            return ("Commune inconnue : le point n'est dans aucun contour communal chargé (il "
                    "peut être en mer, hors de France, sur un rivage que les contours "
                    "simplifiés ne suivent pas, ou dans une commune dont le contour n'est pas "
                    "chargé).")
        return f"Commune : {communes.names[commune]!s} ({communes.codes[commune]!s})."

    commune_sentence = per_commune(result, "commune", commune, commune_text)
    inside, closest_head, closest_tail, undecided, listed, conclusion = _qpv_sentences(
        result, positions, commune_codes, commune_names)
    urban = per_commune(result, "urban", commune, lambda c: _urban_sentence(result, c))
    both, final = _category_sentences(result, positions)
    heads, tails = [], []
    for parts in zip(location, commune_sentence.tolist(), inside.tolist(),
                     closest_head.tolist(), closest_tail.tolist(), undecided.tolist(),
                     listed.tolist(), conclusion.tolist(), urban.tolist(), both.tolist(),
                     final.tolist(), strict=True):
        tail = parts[4]
        if tail is None:  # no distance: the closest sentence, if any, is whole in the head
            heads.append(" ".join(filter(None, parts[:4] + parts[5:])))
        else:  # the location and the commune are never empty, the urban half neither
            heads.append(" ".join(filter(None, parts[:4])))
            tails.append(tail + " " + " ".join(filter(None, parts[5:])))
            continue
        tails.append(None)
    return heads, tails


def _qpv_sentences(result: Classification, positions: np.ndarray, commune_codes: np.ndarray,
                   commune_names: np.ndarray) -> tuple[np.ndarray, ...]:
    """The QPV half, one array per sentence: in a QPV, the nearest QPV (up to its distance,
    and the tail after it, None when no distance is said), what stays undecided, what the
    official list rules out, and the conclusion."""
    rough = coarse(result.precision[positions])
    fine = ~rough
    in_qpv, near = result.in_qpv[positions], result.near_qpv[positions]
    inside, closest, tail = _position_sentences(result, positions, in_qpv, fine)
    undecided = _undecided_sentences(result, positions, in_qpv, near, fine)
    _commune_precision_sentences(result, positions, rough, commune_codes, commune_names,
                                 undecided)
    return (inside, closest, tail, undecided, _listed_sentences(result, positions, fine),
            _conclusions(result.policy, in_qpv, near))


def _qpv_labels(result: Classification) -> np.ndarray:
    """``code « name »`` of every QPV of the index's layer, built once per index."""
    per_index = _SENTENCES.setdefault(result.index, {})
    if "qpv labels" not in per_index:
        layer = result.index.qpv
        per_index["qpv labels"] = np.array(
            [f"{code} « {name} »" for code, name in zip(layer.codes, layer.names, strict=True)]
            or [""], dtype=object)
    return per_index["qpv labels"]


def _position_sentences(result: Classification, positions: np.ndarray, in_qpv: np.ndarray,
                        fine: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the location lies against the QPVs: inside one (or in none), and the nearest
    one up to its distance with the tail after it (None: no distance said), or none within
    the search radius."""
    vintage = result.policy.qpv_vintage
    radius = result.policy.search_radius_m
    count = len(positions)
    qpv, nearest = result.qpv[positions], result.nearest[positions]
    known = result.nearest_known[positions]
    labels = _qpv_labels(result)
    inside = _fill(count, qpv >= 0, lambda rows: [
        f"Le lieu est dans le QPV {labels[q]} (liste {vintage}, limite comprise)."
        for q in qpv[rows].tolist()])
    inside[(qpv < 0) & (in_qpv == FALSE) & fine] = \
        f"Le lieu n'est dans aucun QPV de la liste {vintage}."
    caveat = " ; un QPV plus proche pourrait exister là où les contours ne sont pas chargés"
    measured = (nearest >= 0) & (qpv < 0)
    closest = _fill(count, measured, lambda rows: [
        f"Le QPV le plus proche, {labels[q]}, est à " for q in nearest[rows].tolist()])
    tail = np.empty(count, dtype=object)  # None: no distance said
    tail[measured] = np.where(known[measured], f"{NBSP}m.", f"{NBSP}m{caveat}.")
    closest[(nearest < 0) & fine & known] = \
        f"Aucun QPV (liste {vintage}) à moins de {metres(radius)}."
    closest[(nearest < 0) & fine & ~known] = (
        f"Aucun QPV chargé à moins de {metres(radius)}, mais les contours ne sont pas complets "
        "dans ce rayon : le plus proche reste inconnu.")
    return inside, closest, tail


def _undecided_sentences(result: Classification, positions: np.ndarray, in_qpv: np.ndarray,
                         near: np.ndarray, fine: np.ndarray) -> np.ndarray:
    """Why the QPV half stays open for an exact location (no outline loaded there), with
    what the official commune list says of its commune; "" elsewhere."""
    open_question = fine & ((in_qpv == UNKNOWN) | (near == UNKNOWN))
    if not open_question.any():
        return _blank(len(positions))
    layer, communes = result.index.qpv, result.index.communes
    hosting = per_commune(result, "hosting", result.commune[positions], lambda c: (
        _hosting_sentence(layer, None, None) if c < 0 else _hosting_sentence(
            layer, str(communes.codes[c]), str(communes.names[c]))))
    where = per_commune(result, "outlines-here", result.commune[positions],
                         lambda c: outlines_here(result, c))
    said = np.where(open_question, "Appartenance ou proximité à un QPV indéterminée : "
                    + where + ". " + hosting, "").astype(object)
    unoutlined = np.flatnonzero(result.near_unoutlined[positions])
    territories = result.territory[positions]
    for j in unoutlined.tolist():
        row = positions[j]
        said[j] += " " + _unoutlined_sentence(result, territories[j], result.lon[row],
                                              result.lat[row])
    return said


def outlines_here(result: Classification, commune: int) -> str:
    """Why outlines are missing around a location of this commune: none loaded for its
    région (never naming sources complete elsewhere), or loaded but not all around it."""
    communes, vintage = result.index.communes, result.policy.qpv_vintage
    region = str(communes.regions[commune]) if commune >= 0 else None
    departement = str(communes.departements[commune]) if commune >= 0 else None
    if any(covers(scope, codes, region, departement)
           for scope, codes in result.index.qpv.complete_for):
        return (f"contours {vintage} chargés ici, mais pas partout à moins de "
                f"{metres(result.policy.search_radius_m)} du lieu")
    return missing_outlines(vintage, region, communes.region_names)


def _unoutlined_sentence(result: Classification, territory: str, lon, lat) -> str:
    """The communes without outline of the territory that may lie near the location."""
    ti = result.index.territories[territory]
    point = shapely.Point(projector(TERRITORIES[territory].epsg).transform(lon, lat))
    radius = result.policy.search_radius_m
    codes = sorted(set(ti.missing_hosting.within(point, radius))
                   | set(ti.missing_neighbours.within(point, radius)))
    shown = ", ".join(codes[:8]) + (" …" if len(codes) > 8 else "")
    return agreed("Commune(s) sans contour chargé ({}) : (elle peut|elles peuvent) se trouver à "
                  "moins de {}, et un QPV avec (elle|elles) ; le moteur ne conclut pas sur "
                  "(son|leur) absence.", len(codes)).format(shown, metres(radius))


def _commune_precision_sentences(result: Classification, positions: np.ndarray,
                                 coarse: np.ndarray, commune_codes: np.ndarray,
                                 commune_names: np.ndarray, undecided: np.ndarray) -> None:
    """Fill ``undecided`` for the locations known only to their commune."""
    coarse_sentence = _remembered(result, "coarse", lambda key: _coarse_sentence(result, *key))
    for j in np.flatnonzero(coarse):
        i = int(positions[j])
        undecided[j] = coarse_sentence((result.territory[i], int(result.commune[i]),
                                        bool(result.in_qpv[i] == FALSE), commune_codes[j],
                                        commune_names[j]))


def _listed_sentences(result: Classification, positions: np.ndarray,
                      fine: np.ndarray) -> np.ndarray:
    """Where the official commune list rules out any QPV within D plus the margin."""
    policy, layer = result.policy, result.index.qpv
    listed = _blank(len(positions))
    margin = (f"distance de proximité plus {metres(HOSTING_TOLERANCE_M)} de marge pour les "
              "contours communaux généralisés")
    listed[result.no_hosting_commune[positions] & fine] = (
        f"D'après la liste officielle des QPV {policy.qpv_vintage} ({layer.hosting_source}), "
        f"aucune commune à moins de {metres(policy.proximity_m + HOSTING_TOLERANCE_M)} du lieu "
        f"({margin}) ne compte de QPV.")
    return listed


def _conclusions(policy, in_qpv: np.ndarray, near: np.ndarray) -> np.ndarray:
    """Near a QPV (outside it), or neither in nor near one; "" when undecided or inside."""
    proximity = policy.proximity_m
    conclusion = _blank(len(in_qpv))
    conclusion[(near == TRUE) & (in_qpv != TRUE)] = (
        f"Il est donc à {metres(proximity)} ou moins d'un QPV : à sa proximité immédiate selon "
        "la politique.")
    conclusion[near == FALSE] = \
        f"Il n'est donc ni dans un QPV ni à moins de {metres(proximity)} d'un QPV."
    return conclusion


def _hosting_sentence(layer, code: str | None, name: str | None) -> str:
    """What the official commune list says of a commune, when the outlines are missing."""
    source = layer.hosting_source
    if layer.hosting_communes is None:
        return "Aucune liste officielle des communes à QPV n'est chargée pour ce millésime."
    if code is None:
        return ("La liste officielle des communes à QPV ne dit rien d'un lieu dont la "
                "commune est inconnue.")
    if code in layer.hosting_communes:
        return (f"D'après la liste officielle ({source}), la commune {name} "
                "compte au moins un QPV : à vérifier sur place.")
    return (f"D'après la liste officielle ({source}), la commune {name} ne compte "
            "aucun QPV, mais une commune voisine peut en avoir un à proximité.")


def _coarse_sentence(result: Classification, territory, commune: int, decided: bool, code,
                     name) -> str:
    """Commune-precision location: list the QPVs within D of the commune's contour."""
    policy, index = result.policy, result.index
    head = ("Lieu connu seulement à la commune : l'appartenance et la proximité à un QPV sont "
            "à vérifier avec l'adresse précise.")
    if code is None:
        return head
    if decided:
        return (f"Lieu connu seulement à la commune, mais aucun QPV ne se trouve dans la commune "
                f"ni à moins de {metres(policy.proximity_m)} de son contour.")
    ti = index.territories[territory]
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
    inside = ", ".join(f"{c} « {n} »" for d, c, n in listed if d == 0)  # it meets the commune
    around = ", ".join(f"{c} « {n} » ({metres(d)} du contour)" for d, c, n in listed if d > 0)
    parts = [*([f"dans la commune {name} : {inside}"] if inside else []), *(
        [f"à moins de {metres(policy.proximity_m)} de son contour : {around}"] if around else [])]
    return f"{head} QPV {' ; '.join(parts)}."


METROPOLE_SENTENCES = {
    TRUE: "Commune membre de {metropole}.",
    FALSE: "Commune hors des 22 métropoles.",
    UNKNOWN: "Commune dans aucun EPCI de la liste chargée (liste incomplète) : métropole "
             "inconnue.",
}


def _urban_sentence(result: Classification, commune: int) -> str:
    """The urban half for every location of one commune (or of no known commune)."""
    policy, index, communes = result.policy, result.index, result.index.communes
    rule = policy.describe_urban_rule()
    parts, outside, why_unknown = [], None, "le lieu n'est dans aucune commune connue"
    if commune >= 0:
        code = communes.codes[commune]
        level = int(index.density_level_of[commune]) if len(index.density_level_of) else 0
        if level:
            parts.append(f"Grille communale de densité : niveau {level} "
                         f"(« {communes.density_labels.get(code)} »).")
        member = UNKNOWN if index.metropole_of is None else index.metropole_of[commune]
        if index.metropole_of is not None:
            parts.append(METROPOLE_SENTENCES[member].format(
                metropole=communes.metropoles.get(code)))
        if policy.urban_definition == "metropole":
            outside = None if member == UNKNOWN else bool(member == FALSE)
            why_unknown = "sa métropole est inconnue"
        else:
            outside = None if not level else level not in policy.density_levels
            why_unknown = "la commune n'a pas de niveau dans la grille communale de densité chargée"
    if outside is True:
        parts.append(f"Hors des grands centres urbains (grand centre urbain : {rule}).")
    elif outside is False:
        parts.append(f"Dans un grand centre urbain ({rule}).")
    else:
        parts.append(f"Grand centre urbain ou non : indéterminé, {why_unknown} "
                     f"(grand centre urbain : {rule}).")
    return " ".join(parts)


def _category_sentences(result: Classification, positions: np.ndarray) -> list[np.ndarray]:
    """Which category wins when both conditions hold, and the category under the policy."""
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
        f"Catégorie : {CATEGORY_PHRASES.get(c, c)} (politique « {policy.title} »)."))
    return [both_sentence, final]
