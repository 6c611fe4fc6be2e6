"""The contract's columns for many locations at once, explanations included.

Locations that share every fact an explanation depends on (precision, territory, commune,
containing and nearest QPV, the engine's answers) share its wording: the sentences are built
once per group (``geodata.eligibility.sentences``), and only the coordinates and the distance
are formatted per location. A single check uses the same code on one position: there is one
way to explain a verdict.

The columns come in two forms from the same facts (``_Facts``): Python values
(``contract_columns``: a single check, JSON) and a polars frame (``contract_frame``: CSV
files), where the explanations are joined from their group's sentences in polars instead of
a million Python strings.

Either form takes ``short``: the explanation is then the one line of
``geodata.eligibility.short_sentences`` (the condition that decided, about 150 bytes) instead
of the paragraph (about a kilobyte), for big files (``fabriques classify``). Its pieces are
grouped their own way (the QPV half, then a suffix: the urban half and the category), so
that a million rows make thousands of distinct pieces, not hundreds of thousands.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from geodata.eligibility.engine import FALSE, TRUE, UNKNOWN, Classification
from geodata.eligibility.sentences import PRECISION_LABELS, explanation_parts, sources_text
from geodata.eligibility.short_sentences import short_parts
from geodata.french import decimals, lonlats
from geodata.territories import coordinate_hint

if TYPE_CHECKING:  # polars is imported where a batch needs it: a single
    import polars as pl  # check (``fabriques check``, one API call) starts without it

__all__ = ["COLUMNS", "PRECISION_LABELS", "contract_columns", "contract_frame", "sources_text"]

COLUMNS = (
    "id", "lon", "lat", "precision", "commune_code", "commune_name", "density_level",
    "density_label", "metropole", "in_qpv", "qpv_code", "qpv_name", "nearest_qpv_code",
    "distance_to_qpv_m", "near_qpv", "outside_large_urban_centre", "category", "policy",
    "qpv_vintage", "explanation", "error",
)
"""Output columns of ``fabriques classify`` and keys of ``fabriques check --json``."""

_TRISTATE = np.array([None, False, True], dtype=object)  # UNKNOWN, FALSE, TRUE, shifted by 1
assert (int(UNKNOWN), int(FALSE), int(TRUE)) == (-1, 0, 1)


@dataclass
class _Facts:
    """What the columns say about ``positions``, before it becomes Python values or a frame.

    ``tables``: columns read from a table (values, row per position, -1 for none);
    ``tristates``: TRUE / FALSE / UNKNOWN per position; ``errors``: the message of each
    position outside every territory (None elsewhere); ``located``: the other positions,
    whose explanation is ``Lieu (lon ; lat), `` (not in a short one) + head + (distance +
    tail, when the tail is not None) of their group, + (in a short one) the suffix of their
    suffix group.
    """

    count: int
    lon: np.ndarray
    lat: np.ndarray
    distance: np.ndarray  # rounded to 0.1 m by the engine, NaN when none
    density_level: np.ndarray  # 0 when unknown
    tables: dict[str, tuple[np.ndarray, np.ndarray]]
    tristates: dict[str, np.ndarray]
    errors: np.ndarray
    located: np.ndarray  # positions (0..count-1) with an explanation of their own
    group: np.ndarray  # per located position: its group
    heads: list[str]
    tails: list[str | None]
    suffix_group: np.ndarray | None = None  # short explanations: per located position
    suffixes: list[str] | None = None


def _rows_of(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, row of each value in them, -1 for None): values of a few kinds
    (precisions, categories), compared once per kind."""
    distinct = [value for value in dict.fromkeys(values.tolist()) if value is not None]
    rows = np.full(len(values), -1, dtype=np.int64)
    for row, value in enumerate(distinct):
        rows[values == value] = row
    return np.array(distinct, dtype=object), rows


def _facts(result: Classification, positions: np.ndarray, short: bool = False) -> _Facts:
    """The facts of the columns for ``positions``, explanations grouped (short ones with
    ``short``)."""
    index = result.index
    communes, layer = index.communes, index.qpv
    territory = result.territory[positions]
    located = territory != None  # noqa: E711 - element-wise
    commune = result.commune[positions]
    levels = result.density_level[positions]
    lon, lat = result.lon[positions], result.lat[positions]
    category = np.where(located, result.category[positions], None)
    tables = {
        "precision": _rows_of(result.precision[positions]),
        "commune_code": (communes.codes, commune),
        "commune_name": (communes.names, commune),
        "density_label": (index.density_label_of, np.where(levels != 0, commune, -1)),
        "qpv_code": (layer.codes, result.qpv[positions]),
        "qpv_name": (layer.names, result.qpv[positions]),
        "nearest_qpv_code": (layer.codes, result.nearest[positions]),
        "category": _rows_of(category),
    }
    errors = np.empty(len(positions), dtype=object)
    unlocated = np.flatnonzero(~located)
    errors[unlocated] = [
        f"({place}) n'est dans aucun territoire couvert (métropole, Guadeloupe, Martinique, "
        f"Guyane, La Réunion, Mayotte, Saint-Martin, Saint-Barthélemy){coordinate_hint(x, y)}"
        for place, x, y in zip(lonlats(lon[unlocated].tolist(), lat[unlocated].tolist()),
                               lon[unlocated].tolist(), lat[unlocated].tolist(), strict=True)]
    where = np.flatnonzero(located)
    if short:
        parts = short_parts(result, positions[where])
        group, heads, tails = parts.group, parts.heads, parts.tails
        suffix_group, suffixes = parts.suffix_group, parts.suffixes
    else:
        group, heads, tails = _explanation_groups(
            result, positions[where], _taken(*tables["commune_code"])[where],
            _taken(*tables["commune_name"])[where])
        suffix_group = suffixes = None
    return _Facts(
        count=len(positions), lon=lon, lat=lat,
        distance=result.distance[positions], density_level=levels,
        tables=tables,
        tristates={"metropole": result.metropole[positions], "in_qpv": result.in_qpv[positions],
                   "near_qpv": result.near_qpv[positions],
                   "outside_large_urban_centre": result.outside[positions]},
        errors=errors, located=where, group=group, heads=heads, tails=tails,
        suffix_group=suffix_group, suffixes=suffixes)


def _taken(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]``, None where a row is -1 (also when ``values`` is empty)."""
    out = np.empty(len(rows), dtype=object)
    present = rows >= 0
    if len(values):
        out[present] = values[rows[present]]
    return out


def _without_nan(values: np.ndarray) -> list:
    """Floats as a list, None for NaN."""
    out = values.astype(object)
    out[np.isnan(values)] = None
    return out.tolist()


def contract_columns(result: Classification, positions=None, identifiers=None, *,
                     short: bool = False) -> dict[str, list]:
    """Column name -> list of values (Python types), for ``positions`` (default: all);
    ``short``: the one-line explanation instead of the paragraph."""
    positions = np.arange(len(result)) if positions is None else np.asarray(positions, dtype=int)
    facts = _facts(result, positions, short)
    policy = result.policy
    explanation = facts.errors.copy()
    located = facts.located
    places = [""] * len(located) if short else \
        [f"Lieu ({p}), " for p in lonlats(facts.lon[located].tolist(),
                                          facts.lat[located].tolist())]
    distances = result.distance[positions[located]].tolist()
    head = np.array(facts.heads, dtype=object)[facts.group].tolist()
    tail = np.array(facts.tails, dtype=object)[facts.group].tolist()
    shown = decimals(distances)
    ends = [""] * len(located) if facts.suffixes is None else \
        np.array(facts.suffixes, dtype=object)[facts.suffix_group].tolist()
    explanation[located] = [
        f"{p}{h}{e}" if t is None else f"{p}{h}{d}{t}{e}"
        for p, h, t, d, e in zip(places, head, tail, shown, ends, strict=True)]
    density = facts.density_level.astype(object)
    density[facts.density_level == 0] = None
    columns = {name: _taken(*table).tolist() for name, table in facts.tables.items()}
    columns.update({name: _TRISTATE[values.astype(np.int64) + 1].tolist()
                    for name, values in facts.tristates.items()})
    columns.update(
        id=list(identifiers) if identifiers is not None else (positions + 1).tolist(),
        lon=facts.lon.tolist(), lat=facts.lat.tolist(),
        density_level=[None if level is None else int(level) for level in density.tolist()],
        distance_to_qpv_m=_without_nan(facts.distance),
        policy=[policy.name] * facts.count, qpv_vintage=[policy.qpv_vintage] * facts.count,
        explanation=explanation.tolist(), error=facts.errors.tolist())
    return {name: columns[name] for name in COLUMNS}


def contract_frame(result: Classification, identifiers, *, short: bool = False
                   ) -> pl.DataFrame:
    """The same columns as ``contract_columns`` for every location, as a polars frame (text,
    floats, integers and booleans, null for None), ready for ``DataFrame.write_csv``."""
    import polars as pl

    facts = _facts(result, np.arange(len(result)), short)
    count, policy = facts.count, result.policy
    columns = {name: _gathered(*table) for name, table in facts.tables.items()}
    columns.update({name: pl.Series(values).replace_strict(
        {int(TRUE): True, int(FALSE): False}, default=None, return_dtype=pl.Boolean)
        for name, values in facts.tristates.items()})
    columns.update(
        id=pl.Series(list(identifiers), dtype=pl.String),
        lon=pl.Series(facts.lon, dtype=pl.Float64), lat=pl.Series(facts.lat, dtype=pl.Float64),
        density_level=pl.Series(facts.density_level, dtype=pl.Int64).replace(0, None),
        distance_to_qpv_m=pl.Series(facts.distance, dtype=pl.Float64).fill_nan(None),
        policy=pl.repeat(policy.name, count, dtype=pl.String, eager=True),
        qpv_vintage=pl.repeat(policy.qpv_vintage, count, dtype=pl.String, eager=True),
        error=pl.Series(facts.errors.tolist(), dtype=pl.String),
        explanation=_frame_explanations(facts, result.distance, short))
    return pl.DataFrame({name: columns[name].alias(name) for name in COLUMNS})


def _gathered(values: np.ndarray, rows: np.ndarray) -> pl.Series:
    """``_taken`` in polars: ``values[rows]``, null where a row is -1."""
    import polars as pl

    taken = _text_series(values).gather(np.maximum(rows, 0))
    return pl.select(pl.when(pl.Series(rows >= 0)).then(taken)).to_series()


_KEPT_SERIES: dict[int, tuple[weakref.ref, pl.Series]] = {}
"""The index's tables (commune codes and names, QPV codes and names...) as polars text
series, by the identity of their array: made once, not for every chunk of a batch."""
KEPT_FROM = 100
"""Tables of this many values or more are kept (a chunk's own few precisions are not)."""


def _text_series(values: np.ndarray) -> pl.Series:
    """``values`` as a polars text series (one null for an empty table)."""
    import polars as pl

    kept = _KEPT_SERIES.get(id(values))
    if kept is not None and kept[0]() is values:
        return kept[1]
    series = pl.Series(values.tolist() if len(values) else [None], dtype=pl.String)
    if len(values) >= KEPT_FROM:
        key = id(values)
        _KEPT_SERIES[key] = (weakref.ref(values, lambda _: _KEPT_SERIES.pop(key, None)),
                             series)
    return series


def _frame_explanations(facts: _Facts, distance: np.ndarray, short: bool) -> pl.Series:
    """Each location's explanation, joined in polars from its group's sentences (the same
    text as ``contract_columns``: the numbers are formatted by Python)."""
    import polars as pl

    located = facts.located
    tails = pl.Series(facts.tails, dtype=pl.String).gather(facts.group)
    said = np.flatnonzero(tails.is_not_null().to_numpy())
    number = np.full(len(located), None, dtype=object)
    number[said] = decimals(distance[located[said]].tolist())
    parts = pl.DataFrame({
        "head": pl.Series(facts.heads, dtype=pl.String).gather(facts.group),
        "number": pl.Series(number.tolist(), dtype=pl.String),
        "tail": tails,
    })
    said = ["head", pl.concat_str(["number", "tail"])]
    if facts.suffixes is not None:
        parts = parts.with_columns(suffix=pl.Series(facts.suffixes, dtype=pl.String)
                                   .gather(facts.suffix_group))
        said.append("suffix")
    if not short:
        parts = parts.with_columns(place=pl.Series(
            lonlats(facts.lon[located].tolist(), facts.lat[located].tolist()), dtype=pl.String))
        said = [pl.lit("Lieu ("), "place", pl.lit("), "), *said]
    joined = parts.select(pl.concat_str(said, ignore_nulls=True)).to_series()
    if len(located) == facts.count:  # every location in a territory: nothing to scatter
        return joined
    out = pl.Series(facts.errors.tolist(), dtype=pl.String)
    return out.scatter(located, joined) if len(located) else out


def _codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense codes (0..k-1) of integers, or of objects of a few kinds (None one of them),
    and k."""
    if values.dtype != object:
        distinct, codes = np.unique(values, return_inverse=True)
        return codes.reshape(-1).astype(np.int64), max(len(distinct), 1)
    distinct = list(dict.fromkeys(values.tolist()))
    codes = np.zeros(len(values), dtype=np.int64)
    for code, value in enumerate(distinct[1:], start=1):
        codes[values == value] = code
    return codes, max(len(distinct), 1)


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


def _explanation_groups(result: Classification, positions: np.ndarray,
                        commune_codes: np.ndarray, commune_names: np.ndarray
                        ) -> tuple[np.ndarray, list[str], list[str | None]]:
    """The group of each located position, and each group's sentences: the text after
    ``Lieu (lon ; lat), `` up to the distance when one is said (head), and after it (tail,
    None when no distance is said)."""
    count = len(positions)
    if not count:
        return np.zeros(0, dtype=np.int64), [], []
    group, first = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    if count > 1:  # a single check is one group: nothing to compare
        group, first = _explanation_keys(result, positions)
    heads, tails = explanation_parts(result, positions[first], commune_codes[first],
                                     commune_names[first])
    return group, heads, tails


def _explanation_keys(result: Classification, positions: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``_groups`` of the facts an explanation says, for ``positions``."""
    index = result.index

    def shifted(values: np.ndarray, size: int) -> tuple[np.ndarray, int]:
        return values.astype(np.int64) + 1, size + 1  # -1 (none, unknown) becomes 0

    return _groups([
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
        (result.near_unoutlined[positions].astype(np.int64), 2),
        _codes(result.category[positions]),
    ], len(positions))
