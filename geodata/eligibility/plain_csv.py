"""Read a plain CSV of locations in polars: the fast path of ``reading.read_locations``.

A million-row file read cell by cell with the ``csv`` module takes seconds; polars reads it
in a fraction of one. It is used only where both readings are the same by construction: no
quote character (so every physical line is one record, and its line number is its position),
no lone carriage return, no control character (Python and polars agree on what whitespace
is), distinct column names, as many records as lines, and no cell longer than the ``csv``
module reads (``csv.field_size_limit()``). Anything else returns None and the ``csv`` module
reads the file (and refuses an over-long cell, naming its line).

Coordinates written as plain decimals (``-1.5``, ``43,25``) are parsed in polars; every other
cell (exponents, words, out of range, an unknown precision) goes through ``parse_point``, the
one definition of what a row means and of its error message.
"""

from __future__ import annotations

import csv
import re
from typing import NamedTuple

import numpy as np
import polars as pl

from geodata.eligibility.engine import PRECISIONS

__all__ = ["PlainRows", "read_plain"]

PLAIN_DECIMAL = r"^[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)$"
"""A number polars and Python's float() read alike (after a decimal comma becomes a point)."""
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class PlainRows(NamedTuple):
    """The records of a plain file; ``to_check`` lists the positions whose coordinates or
    precision are not plain (``lon``, ``lat`` and ``precision`` there are to be set)."""

    lines: list[int]
    ids: list[str]
    raw: list[tuple[str, str]]
    lon: np.ndarray
    lat: np.ndarray
    precision: np.ndarray
    given_precision: list[str | None]
    to_check: list[int]


def read_plain(text: str, delimiter: str, columns: list[str],
               first_line: int = 2) -> PlainRows | None:
    """The records of ``text`` (decoded, header first), or None when the file is not plain
    (see the module's docstring). ``first_line``: the line number of the record after the
    header (a later chunk of a file read by chunks, ``geodata.eligibility.chunks``)."""
    if '"' in text or text.startswith(("\n", "\r")) or CONTROL.search(text):
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    body = text.removesuffix("\n")
    if len(set(columns)) != len(columns) or "" in columns:
        return None
    try:
        frame = pl.read_csv(body.encode(), separator=delimiter, has_header=True,
                            infer_schema=False, quote_char=None, new_columns=columns)
    except (pl.exceptions.PolarsError, ValueError):
        return None
    if frame.height != body.count("\n") or frame.columns != columns:
        return None
    longest, found = _parsed(frame, columns, first_line)
    if longest is not None and longest > csv.field_size_limit():
        return None  # the csv module refuses such a file: it says which line
    return PlainRows(
        lines=found["line"].to_list(), ids=found["id"].to_list(),
        raw=list(zip(found["lon_text"].to_list(), found["lat_text"].to_list(), strict=True)),
        lon=found["lon"].to_numpy(writable=True), lat=found["lat"].to_numpy(writable=True),
        precision=np.array(found["precision"].to_list(), dtype=object),
        given_precision=found["given"].to_list(),
        to_check=np.flatnonzero(~found["plain"].to_numpy()).tolist())


def _parsed(frame: pl.DataFrame, columns: list[str], first_line: int
            ) -> tuple[int | None, pl.DataFrame]:
    """The length of the longest cell of ``frame`` (every cell text), and its non-blank
    records: line number, id, coordinates as given (stripped) and read, precision as given
    and as used, whether the row is plain. Polars runs both queries at once."""
    given = pl.col("precision") if "precision" in columns else pl.lit(None, dtype=pl.String)
    stripped = {name: pl.col(name).fill_null("").str.strip_chars()
                for name in ("id", "lon", "lat")}
    values = {name: stripped[name].str.replace(",", ".", literal=True)
              .cast(pl.Float64, strict=False) for name in ("lon", "lat")}
    precision = given.fill_null("").str.strip_chars().replace("", "point")
    plain = (stripped["lon"].str.contains(PLAIN_DECIMAL)
             & stripped["lat"].str.contains(PLAIN_DECIMAL)
             & values["lon"].is_between(-180, 180) & values["lat"].is_between(-90, 90)
             & precision.is_in(list(PRECISIONS))).fill_null(False)
    lazy = frame.lazy()
    longest, found = pl.collect_all([
        lazy.select(pl.max_horizontal(pl.all().str.len_chars().max())),
        lazy.with_row_index("line", offset=first_line)
        .filter(~pl.all_horizontal(pl.col(c).fill_null("").str.strip_chars() == ""
                                   for c in columns))
        .select("line", id=stripped["id"], lon_text=stripped["lon"], lat_text=stripped["lat"],
                lon=values["lon"].fill_null(np.nan), lat=values["lat"].fill_null(np.nan),
                precision=precision, given=given, plain=plain)])
    return longest.item(), found
