"""Click's own words in French, for every command of ``fabriques`` (the project's and Flask's):
« Utilisation : », « Affiche cette aide et quitte. », « [obligatoire] », « Erreur — il manque
l'option '--lon'. », « Pour l'aide, tapez « fabriques check --help ». »…

Click passes each of its messages through ``gettext``; ``CATALOGUE`` holds their French
(``locale/fr/LC_MESSAGES/click.po``, read by Babel and compiled in memory on first use).
``install`` hands it to Click's modules as their ``_`` and ``ngettext``: Click asks the global
default gettext domain, whose language comes from the environment (``LANGUAGE``, ``LANG``…),
so a server in the C locale would still speak English; the catalogue given directly is French
whatever the locale, and leaves the process's gettext domain to others.

Some words are not messages: the type names Click prints as metavars (``--lon FLOAT``) and in
« 'abc' n'est pas un nombre valide. » are renamed (``TYPE_NAMES``), a range is said in words
(« entre 1 et 32 », not ``1<=x<=32``), and a group's usage line says ``SUBCOMMAND_METAVAR``
(``app.cli`` sets it on the project's groups).
"""

from __future__ import annotations

import gettext
import io
import pkgutil
from functools import cache
from importlib import import_module
from pathlib import Path

import click
import click.types

__all__ = ["CATALOGUE", "SUBCOMMAND_METAVAR", "TYPE_NAMES", "ClickMessageError", "install",
           "translations"]

CATALOGUE = Path(__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "click.po"
"""Click's messages (msgid, word for word) and their French (msgstr)."""
SUBCOMMAND_METAVAR = "COMMANDE [ARGUMENTS]..."
"""A group's usage line: ``fabriques dossiers [OPTIONS] COMMANDE [ARGUMENTS]...``."""
TYPE_NAMES = {
    click.types.StringParamType: "texte", click.types.UnprocessedParamType: "texte",
    click.types.IntParamType: "entier", click.types.FloatParamType: "nombre",
    click.types.IntRange: "entier", click.types.FloatRange: "nombre",
    click.types.BoolParamType: "booléen", click.types.File: "fichier",
}
"""Click's parameter types and their French names: the metavar is the name in capitals
(``--lon NOMBRE``). A ``click.Path`` names itself through the catalogue (« fichier »)."""


class ClickMessageError(ValueError):
    """The French catalogue of Click's messages cannot be read."""


@cache
def translations() -> gettext.GNUTranslations:
    """The French catalogue of Click's messages, compiled from its ``.po`` file once."""
    from babel.messages.mofile import write_mo  # only when a message is asked for
    from babel.messages.pofile import read_po

    try:
        with CATALOGUE.open("rb") as po:
            catalogue = read_po(po, locale="fr", domain="click")
    except (OSError, ValueError) as error:
        raise ClickMessageError(f"{CATALOGUE} : {error}") from error
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _gettext(message: str) -> str:
    return translations().gettext(message)


def _ngettext(singular: str, plural: str, count: int) -> str:
    return translations().ngettext(singular, plural, count)


def install() -> None:
    """Make Click speak French: its modules' ``_``/``ngettext``, and its type names.

    Idempotent. Call it before commands are built: a ``click.Path`` names its kind
    (« fichier ») when it is made.
    """
    for info in pkgutil.iter_modules(click.__path__):
        try:
            module = import_module(f"click.{info.name}")
        except (ImportError, AssertionError):  # click._winconsole away from Windows
            continue
        if vars(module).get("_") in (gettext.gettext, _gettext):
            module._ = _gettext
        if vars(module).get("ngettext") in (gettext.ngettext, _ngettext):
            module.ngettext = _ngettext
    for kind, name in TYPE_NAMES.items():
        kind.name = name
    click.types._NumberRangeBase._describe_range = _describe_range


def _describe_range(self) -> str:
    """A range in words, in help texts and errors (« entre 1 et 32 », Click's « 1<=x<=32 »)."""
    low = None if self.min is None else (
        f"supérieur à {self.min}" if self.min_open else f"supérieur ou égal à {self.min}")
    high = None if self.max is None else (
        f"inférieur à {self.max}" if self.max_open else f"inférieur ou égal à {self.max}")
    if low and high and not (self.min_open or self.max_open):
        return f"entre {self.min} et {self.max}"
    return " et ".join(part for part in (low, high) if part)
