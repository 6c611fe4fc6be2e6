"""Numbers as French readers write them, for every template, through ``geodata.french``
(Babel): ``|nombre`` (1 234 567), ``|decimal`` (81,8), ``|pourcentage`` (15,5 % for 0.155),
``|distance`` (81,8 m), ``|euros`` (120 000 €), ``|taille`` (20 Mo), ``|coordonnee`` (5,40340:
a longitude or a latitude, the same digits as the explanations). A Fabrique's name as pages
show it (``geodata.display``): ``|nom_decode`` (``&amp;`` as ``&``), ``|nom_court`` (a
554-character description cut to its first words); ``|accord(n)``, words agreeing with a count
(``"dossier(s) lu(s)"|accord(1)``: « dossier lu »); ``|de``, a place's name after « de »
(« d'Aurillac », « du Havre »); ``|phrase``, a message shown as a sentence (its first
letter upper-cased: the API's « politique inconnue : … » begins a page's alert);
``|heure_paris``, a stored time (UTC) as read in Paris (« 06/12/2026 22:17 »; a pattern
argument for the date only: ``|heure_paris("%d/%m/%Y")``). A value a
template prints as it is prints nothing when it is None: never the word « None » on a French
page.

French quotes hold their words, and « : ; ! ? » stay with the word before them, on a narrow
phone too (``french_spacing``: a no-break space after « and before », before :, a narrow
no-break space before ; ! ?, where the text had a space): in the templates' own text
(``FrenchQuotes``, when a template is read; not in its tags, ``<script>``, ``<style>``,
``<code>``, ``<pre>``, ``<textarea>``), in messages (``|phrase``) and explanations
(``|guillemets``) the code wrote. Never in what a person typed and a form sends back (a
motivation, a search): that is printed as typed; nor in JSON or CSV, which no template
writes. A sign without a space before it is left alone: ``https://``, « 11:05 », ``a:b``,
``!=``."""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from jinja2.ext import Extension
from markupsafe import Markup

from geodata.display import decoded, of_place, short_name
from geodata.dossiers.records import KINDS
from geodata.eligibility.sentences import PRECISION_LABELS
from geodata.french import (
    PARIS,
    agreed,
    coordinate,
    decimal,
    distance,
    euros,
    in_paris,
    number,
    percent,
    size,
)

__all__ = ["FILTERS", "PARIS", "FrenchQuotes", "french_spacing", "init_app", "number",
           "paris_time", "sentence", "size"]


_OPENING, _CLOSING = re.compile(r"«[ \t\r\n]+"), re.compile(r"[ \t\r\n]+»")
_BEFORE_SIGN = re.compile(r"[ \t\r\n]+([:;!?])(?!=)")
_SPACE_BEFORE = {":": "\u00a0", ";": "\u202f", "!": "\u202f", "?": "\u202f"}
_CODE = re.compile(  # what markup holds that is not French text: elements of code, and tags
    r"<(script|style|pre|code|textarea)\b.*?</\1\s*>|<[a-zA-Z/!](?:\{\{.*?\}\}|\{%.*?%\}|[^>])*>",
    re.DOTALL | re.IGNORECASE)


def french_spacing(text) -> str:
    """``text`` with its quotes holding their words and « : ; ! ? » held to the word before
    (the spaces there made one no-break space); None as nothing; in markup, its text only."""
    if isinstance(text, Markup):
        return Markup(_text_only(str(text)))
    text = "" if text is None else str(text)
    if "«" in text or "»" in text:
        text = _CLOSING.sub("\u00a0»", _OPENING.sub("«\u00a0", text))
    return _BEFORE_SIGN.sub(lambda sign: _SPACE_BEFORE[sign[1]] + sign[1], text)


def _text_only(markup: str) -> str:
    """``french_spacing`` on the text of ``markup``, its tags and code left as they are."""
    kept, done = 0, []
    for code in _CODE.finditer(markup):
        done += [french_spacing(markup[kept:code.start()]), code[0]]
        kept = code.end()
    return "".join([*done, french_spacing(markup[kept:])])


class FrenchQuotes(Extension):
    """The templates' own French text spaced as French is (``french_spacing``), read as markup."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _text_only(source)


def sentence(text) -> str:
    """``text`` with its first letter upper-cased, spaced as French is (``french_spacing``)."""
    text = french_spacing("" if text is None else str(text))
    return text[:1].upper() + text[1:]


def paris_time(moment: datetime, pattern: str = "%d/%m/%Y %H:%M") -> str:
    """A stored time (aware, UTC) as a reader in France reads it: in Paris time."""
    return in_paris(moment).strftime(pattern)


FILTERS = {"nombre": number, "decimal": decimal, "pourcentage": percent,
           "distance": distance, "euros": euros, "taille": size, "coordonnee": coordinate,
           "nom_decode": decoded, "nom_court": short_name, "de": of_place, "accord": agreed,
           "phrase": sentence,
           "guillemets": french_spacing,  # named when it did only the quotes
           "heure_paris": paris_time,
           "precision": lambda code: PRECISION_LABELS.get(code, code),  # as the checker
           "type_fabrique": lambda code: KINDS.get(code, code)}  # FT, FNT said in words


def init_app(app: Flask) -> None:
    """Register the filters, and print None as nothing."""
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
    app.jinja_env.finalize = _nothing_for_none
    app.jinja_env.add_extension(FrenchQuotes)


def _nothing_for_none(value):
    """What ``{{ value }}`` prints: the value, or "" for None (a missing name, an empty
    field); a page says « inconnu » itself where the reader must know."""
    return "" if value is None else value
