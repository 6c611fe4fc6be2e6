"""What a Fabrique documents and shares (its deliverables): a title, a link (http or https)
and a licence from a short list; and the CSV file an instructor imports them from
(``fabrique_id,titre,url,licence``), read whole: a file with any bad row is refused with
every bad row's line and reason, so that nothing of it is stored.

Pure domain code (``geodata.storage.deliverables`` stores them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from geodata.french import agreed

__all__ = [
    "COLUMNS",
    "LICENCES",
    "MAX_TITLE",
    "MAX_URL",
    "DeliverableError",
    "DeliverableInput",
    "ImportRefused",
    "check_deliverable",
    "check_url",
    "licence_code",
    "read_deliverables",
]

LICENCES = {
    "etalab-2.0": "Licence Ouverte 2.0",
    "cc-by-4.0": "CC BY 4.0",
    "cc-by-sa-4.0": "CC BY-SA 4.0",
    "cc0-1.0": "CC0",
    "autre": "autre ou inconnue",
}
"""The licences a deliverable may declare: code, then French label."""
LICENCE_URLS = {
    "etalab-2.0": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/deed.fr",
    "cc-by-sa-4.0": "https://creativecommons.org/licenses/by-sa/4.0/deed.fr",
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/deed.fr",
}
COLUMNS = ("fabrique_id", "titre", "url", "licence")
MAX_TITLE = 300
MAX_URL = 2000


class DeliverableError(ValueError):
    """A deliverable that cannot be recorded, with the field at fault."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


class ImportRefused(ValueError):
    """A deliverables file refused whole: ``errors`` holds « ligne N : raison »."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} {agreed('ligne(s)', len(errors))} en erreur : "
                         "rien n'est enregistré")
        self.errors = errors


@dataclass(frozen=True)
class DeliverableInput:
    """A deliverable to record for the Fabrique ``fabrique_id``."""

    fabrique_id: str
    title: str
    url: str
    licence: str


def check_url(text: str) -> str:
    """An absolute http or https address with a host, without spaces."""
    url = (text or "").strip()
    if not url:
        raise DeliverableError("adresse (URL) manquante", "url")
    if len(url) > MAX_URL:
        raise DeliverableError(f"adresse trop longue : {MAX_URL} caractères au plus", "url")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise DeliverableError("adresse invalide : elle doit commencer par http:// ou "
                               "https://", "url")
    if not parts.hostname or any(c.isspace() for c in url):
        raise DeliverableError("adresse invalide : un nom de site est attendu après "
                               "https://, sans espace", "url")
    return url


def licence_code(text: str | None) -> str:
    """A licence of ``LICENCES``, by code or French label (case ignored); empty: « autre »."""
    value = (text or "").strip().casefold()
    if not value:
        return "autre"
    for code, label in LICENCES.items():
        if value in (code, label.casefold()):
            return code
    raise DeliverableError(f"licence inconnue : {text!r} (attendues : "
                           f"{', '.join(LICENCES)})", "licence")


def check_deliverable(fabrique_id: str, title: str, url: str, licence: str | None,
                      known: Collection[str]) -> DeliverableInput:
    """A deliverable whose Fabrique exists (``known`` ids), title, URL and licence checked."""
    if fabrique_id not in known:
        raise DeliverableError(f"Fabrique inconnue : {fabrique_id!r}", "fabrique_id")
    title = " ".join((title or "").split())
    if not title:
        raise DeliverableError("titre manquant", "titre")
    if len(title) > MAX_TITLE:
        raise DeliverableError(f"titre trop long : {MAX_TITLE} caractères au plus", "titre")
    return DeliverableInput(fabrique_id, title, check_url(url), licence_code(licence))


def read_deliverables(text: str, known: Collection[str]) -> list[DeliverableInput]:
    """The deliverables of a CSV file (``,`` or ``;``, header ``fabrique_id,titre,url,
    licence``); raises ``ImportRefused`` naming every bad row, or the missing columns."""
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        absent = agreed("colonne(s) absente(s)", len(missing))
        raise ImportRefused([f"ligne 1 : {absent} : {', '.join(missing)} "
                             f"(attendues : {','.join(COLUMNS)})"])
    position = {name: header.index(name) for name in COLUMNS}
    items, errors = [], []
    for values in reader:
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            errors.append(f"ligne {line} : {len(values)} {agreed('valeur(s)', len(values))} "
                          f"pour {len(header)} {agreed('colonne(s)', len(header))}")
            continue
        cell = {name: values[position[name]].strip() for name in COLUMNS}
        try:
            items.append(check_deliverable(cell["fabrique_id"], cell["titre"], cell["url"],
                                           cell["licence"], known))
        except DeliverableError as error:
            errors.append(f"ligne {line} : {error}")
    if errors:
        raise ImportRefused(errors)
    if not items:
        raise ImportRefused(["fichier sans aucun livrable"])
    return items
