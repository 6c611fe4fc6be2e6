"""The contract's columns for many locations at once, explanations included.

Locations that share every fact an explanation depends on (precision, territory, commune,
containing and nearest QPV, the engine's answers) share its wording: the sentences are built
once per group (``geodata.eligibility.sentences``), and only the coordinates and the distance
are formatted per location. A single check uses the same code on one position: there is one
way to explain a verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.eligibility.engine import FALSE, TRUE, UNKNOWN, Classification
from geodata.eligibility.sentences import PRECISION_LABELS, explanation_parts, sources_text

__all__ = ["COLUMNS", "PRECISION_LABELS", "contract_columns", "sources_text"]

COLUMNS = (
    "id", "lon", "lat", "precision", "commune_code", "commune_name", "density_level",
    "density_label", "metropole", "in_qpv", "qpv_code", "qpv_name", "nearest_qpv_code",
    "distance_to_qpv_m", "near_qpv", "outside_large_urban_centre", "category", "policy",
    "qpv_vintage", "explanation", "error",
)
"""Output columns of ``fabriques classify`` and keys of ``fabriques check --json``."""

_TRISTATE = np.array([None, False, True], dtype=object)  # UNKNOWN, FALSE, TRUE, shifted by 1
assert (int(UNKNOWN), int(FALSE), int(TRUE)) == (-1, 0, 1)


def _tristate(values: np.ndarray) -> list:
    return _TRISTATE[values.astype(np.int64) + 1].tolist()


def _taken(values: np.ndarray, positions: np.ndarray, present: np.ndarray) -> np.ndarray:
    """``values[positions]`` where ``present``, None elsewhere (also when ``values`` is
    empty)."""
    out = np.empty(len(positions), dtype=object)
    if len(values):
        out[present] = values[positions[present]]
    return out


def _without_nan(values: np.ndarray) -> list:
    """Floats as a list, None for NaN."""
    out = values.astype(object)
    out[np.isnan(values)] = None
    return out.tolist()


def contract_columns(result: Classification, positions=None, identifiers=None, *,
                     brief: bool = False) -> dict[str, list]:
    """Column name -> list of values (Python types), for ``positions`` (default: all); with
    ``brief``, explanations in the brief wording (``geodata.eligibility.sentences``)."""
    positions = np.arange(len(result)) if positions is None else np.asarray(positions, dtype=int)
    count = len(positions)
    policy, index = result.policy, result.index
    communes, layer = index.communes, index.qpv
    territory = result.territory[positions]
    located = territory != None  # noqa: E711 - element-wise
    commune = result.commune[positions]
    known_commune = commune >= 0
    qpv, nearest = result.qpv[positions], result.nearest[positions]
    lon, lat = result.lon[positions], result.lat[positions]

    commune_codes = _taken(communes.codes, commune, known_commune)
    commune_names = _taken(communes.names, commune, known_commune)
    levels = result.density_level[positions]
    labels = _taken(index.density_label_of, commune, known_commune & (levels != 0))
    qpv_codes = _taken(layer.codes, qpv, qpv >= 0)
    qpv_names = _taken(layer.names, qpv, qpv >= 0)
    nearest_codes = _taken(layer.codes, nearest, nearest >= 0)
    errors = np.empty(count, dtype=object)
    unlocated = np.flatnonzero(~located)
    errors[unlocated] = [
        f"({x:.5f}, {y:.5f}) n'est dans aucun territoire couvert (métropole, Guadeloupe, "
        "Martinique, Guyane, La Réunion, Mayotte, Saint-Martin, Saint-Barthélemy)"
        for x, y in zip(lon[unlocated].tolist(), lat[unlocated].tolist(), strict=True)]
    explanation = errors.copy()
    where = np.flatnonzero(located)
    explanation[where] = _explanations(result, positions[where], commune_codes[where],
                                       commune_names[where], brief)
    density = levels.astype(object)
    density[levels == 0] = None
    category = _taken(result.category, positions, located)

    return {
        "id": list(identifiers) if identifiers is not None else (positions + 1).tolist(),
        "lon": lon.tolist(),
        "lat": lat.tolist(),
        "precision": result.precision[positions].tolist(),
        "commune_code": commune_codes.tolist(),
        "commune_name": commune_names.tolist(),
        "density_level": [None if level is None else int(level) for level in density.tolist()],
        "density_label": labels.tolist(),
        "metropole": _tristate(result.metropole[positions]),
        "in_qpv": _tristate(result.in_qpv[positions]),
        "qpv_code": qpv_codes.tolist(),
        "qpv_name": qpv_names.tolist(),
        "nearest_qpv_code": nearest_codes.tolist(),
        "distance_to_qpv_m": _without_nan(np.round(result.distance[positions], 1)),
        "near_qpv": _tristate(result.near_qpv[positions]),
        "outside_large_urban_centre": _tristate(result.outside[positions]),
        "category": category.tolist(),
        "policy": [policy.name] * count,
        "qpv_vintage": [policy.qpv_vintage] * count,
        "explanation": explanation.tolist(),
        "error": errors.tolist(),
    }


def _codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense codes of any values (0..k-1), and k."""
    if len(values) <= 1:  # a single check: no grouping to do (and factorize costs ~0.1 ms)
        return np.zeros(len(values), dtype=np.int64), 1
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64), max(len(uniques), 1)


def _groups(columns: list[tuple[np.ndarray, int]], count: int) -> tuple[np.ndarray, np.ndarray]:
    """The group of each row (rows equal in every column share one) and the first row of
    each group. Each column is (codes in 0..radix-1, radix)."""
    key = np.zeros(count, dtype=np.int64)
    size = 1
    for codes, radix in columns:
        if size * radix >= 2 ** 62:  # renumber densely before the key overflows
            key, size = _codes(key)
        key = key * radix + codes
        size *= radix
    group, groups = _codes(key)
    first = np.full(groups, count, dtype=np.int64)
    np.minimum.at(first, group, np.arange(count))
    return group, first


def _explanations(result: Classification, positions: np.ndarray, commune_codes: np.ndarray,
                  commune_names: np.ndarray, brief: bool) -> list[str]:
    """The explanation of each located position: its group's sentences around its numbers."""
    count = len(positions)
    if not count:
        return []
    index = result.index

    def shifted(values: np.ndarray, size: int) -> tuple[np.ndarray, int]:
        return values.astype(np.int64) + 1, size + 1  # -1 (none, unknown) becomes 0

    group, first = _groups([
        _codes(result.precision[positions]),
        _codes(result.territory[positions]),
        shifted(result.commune[positions], len(index.communes.codes)),
        shifted(result.qpv[positions], len(index.qpv.codes)),
        shifted(result.nearest[positions], len(index.qpv.codes)),
        (result.nearest_known[positions].astype(np.int64), 2),
        shifted(result.in_qpv[positions], 2),
        shifted(result.near_qpv[positions], 2),
        shifted(result.outside[positions], 2),
        (result.no_hosting_commune[positions].astype(np.int64), 2),
        _codes(result.category[positions]),
    ], count)
    heads, tails = explanation_parts(result, positions[first], commune_codes[first],
                                     commune_names[first], brief)
    head = np.array(heads, dtype=object)[group].tolist()
    tail = np.array(tails, dtype=object)[group].tolist()
    lons, lats = result.lon[positions].tolist(), result.lat[positions].tolist()
    distances = result.distance[positions].tolist()
    return [f"Lieu ({x:.5f}, {y:.5f}), {h}" if t is None else
            f"Lieu ({x:.5f}, {y:.5f}), {h}{d:.1f}{t}"
            for x, y, h, t, d in zip(lons, lats, head, tail, distances, strict=True)]
