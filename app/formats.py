"""Numbers as French readers write them, for every template, through ``geodata.french``
(Babel): ``|nombre`` (1 234 567), ``|decimal`` (81,8), ``|pourcentage`` (15,5 % for 0.155),
``|distance`` (81,8 m), ``|euros`` (120 000 €), ``|taille`` (20 Mo), ``|coordonnee`` (5,40340:
a longitude or a latitude, the same digits as the explanations). A Fabrique's name as pages
show it (``geodata.display``): ``|nom_decode`` (``&amp;`` as ``&``), ``|nom_court`` (a
554-character description cut to its first words); ``|accord(n)``, words agreeing with a count
(``"dossier(s) lu(s)"|accord(1)``: « dossier lu »); ``|de``, a place's name after « de »
(« d'Aurillac », « du Havre »); ``|phrase``, a message shown as a sentence (its first
letter upper-cased: the API's « politique inconnue : … » begins a page's alert). A value a
template prints as it is prints nothing when it is None: never the word « None » on a French
page.

French quotes hold their words with no-break spaces, on a narrow phone too: in the
templates' own text (``FrenchQuotes``, when a template is read), in messages (``|phrase``)
and explanations (``|guillemets``) the code wrote. Never in what a person typed and a form
sends back (a motivation, a search): that is printed as typed."""

from __future__ import annotations

import re

from flask import Flask
from jinja2.ext import Extension
from markupsafe import Markup

from geodata.display import decoded, of_place, short_name
from geodata.french import agreed, coordinate, decimal, distance, euros, number, percent, size

__all__ = ["FILTERS", "FrenchQuotes", "guillemets", "init_app", "number", "sentence", "size"]

_OPENING, _CLOSING = re.compile(r"«[ \t\r\n]+"), re.compile(r"[ \t\r\n]+»")


def guillemets(text) -> str:
    """``text`` with a no-break space after each « and before each » (spaces and line
    breaks there made one); None as nothing; markup stays markup."""
    if isinstance(text, Markup):
        return Markup(guillemets(str(text)))
    text = "" if text is None else str(text)
    if "«" not in text and "»" not in text:
        return text
    return _CLOSING.sub("\u00a0»", _OPENING.sub("«\u00a0", text))


class FrenchQuotes(Extension):
    """The templates' French quotes hold their words (``guillemets`` on their source)."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return guillemets(source)


def sentence(text) -> str:
    """``text`` with its first letter upper-cased, its quotes holding their words."""
    text = guillemets("" if text is None else str(text))
    return text[:1].upper() + text[1:]


FILTERS = {"nombre": number, "decimal": decimal, "pourcentage": percent,
           "distance": distance, "euros": euros, "taille": size, "coordonnee": coordinate,
           "nom_decode": decoded, "nom_court": short_name, "de": of_place, "accord": agreed,
           "phrase": sentence, "guillemets": guillemets}


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
