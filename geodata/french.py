"""Numbers as French readers write them, through Babel (CLDR ``fr_FR``): a decimal comma, a
narrow no-break space (U+202F) between groups of thousands, ``15,5 %``, ``81,8 m``,
``120 000 €``.

Every number a person reads (pages, command output, explanations, messages) goes through
here; nowhere else formats a number by hand. A spreadsheet cell is not text for a person but
a value a spreadsheet parses: ``geodata.spreadsheet`` writes it plainly (``81,8``, no group
separator).

``decimals`` formats many values at once (the explanations of a batch of a million rows): it
uses Babel's own symbols for the locale with Python's formatting, the same text as
``decimal`` and much faster than one Babel call per value.

A word's agreement with a count (``agreed``, the ``|accord`` filter of the pages) follows
CLDR's French rule through Babel: the singular for 0 and 1 (« 0 dossier », « 1 dossier »), the
plural from 2 (« 2 dossiers »).

A place's coordinates read ``5,40340 ; 43,33050`` (``lonlat``): longitude then latitude,
five decimals (about a metre), a semicolon between them since the comma is the decimal
symbol. ``coordinate`` (one value, the ``|coordonnee`` filter of the pages) and ``lonlats``
(many places: the explanations of a batch) write the same digits.

Names sort as a French reader looks them up (``name_key``): accents, case and ligatures
aside, « Île-de-France » among the I, before « Saint-Martin » (a plain ``sorted`` put it
after every ASCII letter).

Pure: Babel and the standard library only (no Flask, no database).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

__all__ = [
    "PARIS",
    "in_paris",
    "LOCALE",
    "NBSP",
    "TYPED_DECIMAL",
    "agreed",
    "coordinate",
    "decimal",
    "decimals",
    "distance",
    "euros",
    "lonlat",
    "lonlats",
    "metres",
    "name_key",
    "number",
    "percent",
    "size",
    "typed_number",
]

LOCALE = "fr_FR"
TYPED_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A number as typed or sent (a coordinate): ASCII digits, a decimal point or comma, an
exponent; ``float()`` also reads « 4_3.3 » and other scripts' digits, which this refuses."""


def typed_number(text: str) -> float:
    """A number as typed or sent (``TYPED_DECIMAL``, a decimal comma read as a point), else
    ValueError: « 4_3.3 » or « ５ », which ``float()`` reads, are refused."""
    if not TYPED_DECIMAL.fullmatch(text):
        raise ValueError(f"nombre illisible : {text[:40]!r}")
    return float(text.replace(",", "."))
NBSP = "\u00a0"
"""Between a number and its unit (``81,8 m``, ``12 €``): never broken across lines."""


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits else "")


@lru_cache(maxsize=4096)
def number(value: int | float) -> str:
    """``1 234 567``: a count or a whole amount, groups of thousands apart. Kept for the
    values written again and again (thresholds, radii: Babel takes some 40 µs a call)."""
    return format_decimal(value, format="#,##0.###", locale=LOCALE)


def decimal(value: float, digits: int = 1) -> str:
    """``81,8``, ``4 999,9``: a measure with ``digits`` decimals, always shown."""
    return format_decimal(value, format=_pattern(digits), locale=LOCALE,
                          decimal_quantization=True)


@cache
def _symbols() -> dict[str, str]:
    return {",": get_group_symbol(LOCALE), ".": get_decimal_symbol(LOCALE)}


def decimals(values: Iterable[float], digits: int = 1) -> list[str]:
    """``decimal`` of each value, for many values at once (Babel's symbols, Python's
    rounding: the same text as ``decimal`` for finite values)."""
    table = str.maketrans(_symbols())
    spec = f",.{digits}f"
    return [format(value, spec).translate(table) for value in values]


def coordinate(degrees: float) -> str:
    """``5,40340``: a longitude or a latitude, in degrees with five decimals."""
    return f"{degrees:.5f}".replace(".", _symbols()["."])


def lonlat(lon: float, lat: float) -> str:
    """``5,40340 ; 43,33050``: a place's longitude and latitude (WGS84)."""
    return lonlats([lon], [lat])[0]


def lonlats(lons: Iterable[float], lats: Iterable[float]) -> list[str]:
    """``lonlat`` of many places at once (Babel's decimal symbol, read once)."""
    comma = _symbols()["."]
    return [f"{x:.5f} ; {y:.5f}".replace(".", comma) for x, y in zip(lons, lats, strict=True)]


def percent(share: float, digits: int = 1) -> str:
    """``15,5 %`` for 0.155: a share as a percentage."""
    return decimal(share * 100, digits) + "\u202f%"


def distance(metres: float, digits: int = 1) -> str:
    """``81,8 m`` under a kilometre (``digits`` decimals), ``1,2 km`` beyond."""
    if abs(metres) < 1000:
        return f"{decimal(metres, digits) if digits else number(round(metres))}{NBSP}m"
    return f"{decimal(metres / 1000, 1)}{NBSP}km"


def metres(value: float) -> str:
    """``5 000 m``: a length in whole metres (a radius, a threshold)."""
    return f"{number(round(value))}{NBSP}m"


def euros(amount: int | float) -> str:
    """``120 000 €``: an amount in whole euros."""
    return f"{number(amount)}{NBSP}€"


def size(count: int) -> str:
    """``20 Mo``, ``8 Ko``, ``1,5 Mo``: a byte count as people read it (three significant
    digits at most)."""
    value, unit = (count / 1024 / 1024, "Mo") if count >= 1024 * 1024 else (count / 1024, "Ko")
    shown = float(f"{value:.3g}")
    return f"{format_decimal(shown, format='#,##0.##', locale=LOCALE)}{NBSP}{unit}"


PARIS = ZoneInfo("Europe/Paris")


def in_paris(moment: datetime) -> datetime:
    """A stored time (aware, UTC) as a reader in France reads it: a load at 23:30 UTC on the
    6th was made on the 7th in Paris."""
    return moment.astimezone(PARIS)


_AGREEMENT = re.compile(r"\((s|[^()|]*\|[^()|]*)\)")
_FRENCH = Locale.parse(LOCALE)


def agreed(text: str, count: int | None) -> str:
    """``text`` agreeing with ``count``: each « (s) » and each « (singular|plural) » (« (a|ont) »)
    made the form the count asks for; for a count unknown (None), ``text`` as written."""
    if count is None:
        return text
    one = _FRENCH.plural_form(abs(count)) == "one"
    return _AGREEMENT.sub(lambda mark: _form(mark[1], one), text)


def _form(mark: str, one: bool) -> str:
    singular, plural = mark.split("|") if "|" in mark else ("", mark)
    return singular if one else plural


def name_key(name: str) -> tuple[str, str]:
    """A French name's sort key: its letters without accents, case or ligatures (« Île » with
    the I, « Œuvre » with « Oeuvre »), then the name itself to order ties."""
    plain = unicodedata.normalize("NFKD", name.casefold().replace("œ", "oe").replace("æ", "ae"))
    return "".join(c for c in plain if not unicodedata.combining(c)), name
