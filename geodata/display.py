"""A Fabrique's name as a page shows it: its HTML entities decoded, and short; a place's name
after « de » as French writes it (``of_place``: « d'Aurillac », « du Havre »).

The list the ANCT published (January 2024) holds HTML entities in three names (``&amp;``,
as in ``Vert&amp;Co``) and, for a few Fabriques, a whole description in place of a name (up
to 554 characters: the carrier, its members, the consortium). The stored data keep what the
source says; pages decode the entities and show a short name, with the full text folded.
"""

from __future__ import annotations

import html
import re

__all__ = ["SHORT_NAME_CHARS", "decoded", "of_place", "short_name"]

SHORT_NAME_CHARS = 70
"""A name longer than this is cut for a popup, a list or a search result."""
MIN_CUT_CHARS = 20
"""A cut at a separator keeps at least this many characters (``Nom du consortium`` alone
says nothing)."""
_SEPARATORS = re.compile(r"\s+:\s+|,\s+|\s+\(|\.\s+|\s+[-–—]\s+")


def decoded(text: str | None) -> str:
    """``text`` with its HTML entities decoded (``&amp;`` -> ``&``); empty for None."""
    return html.unescape(text or "")


def short_name(name: str | None, limit: int = SHORT_NAME_CHARS) -> str:
    """The name decoded, cut at its first separator (`` : ``, ``, ``, `` (``, ``. ``, `` - ``)
    that leaves between MIN_CUT_CHARS and ``limit`` characters, else at a word within
    ``limit`` characters with an ellipsis; unchanged when it is short enough."""
    text = " ".join(decoded(name).split())
    if len(text) <= limit:
        return text
    for separator in _SEPARATORS.finditer(text):
        if MIN_CUT_CHARS <= separator.start() <= limit:
            return text[:separator.start()].rstrip(" ,.:;-–—")
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,.:;-–—") + "…"


_ELIDED = re.compile(r"[aeiouyàâäéèêëîïôöùûüœæ]", re.IGNORECASE)


def of_place(name: str) -> str:
    """« de » and a place's name, as French writes it: « d'Aurillac », « d'Orléans », « du
    Havre », « des Ulis », « de La Rochelle », « de Marseille » (an initial h is left as it
    is: aspirated or not, no rule tells)."""
    if name[:3] == "Le ":
        return f"du {name[3:]}"
    if name[:4] == "Les ":
        return f"des {name[4:]}"
    return f"d'{name}" if _ELIDED.match(name) else f"de {name}"
