"""A dossier as an application files it, and the verdict of one automatic check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from geodata.dossiers.selection import folded

__all__ = ["DS_CLOSED", "DS_STATES", "FNT", "FT", "KINDS", "MATCH_SAME", "MATCH_STATES",
           "DossierInput", "Finding", "ds_state_code"]

FT, FNT = "FT", "FNT"
KINDS = {FT: "Fabrique de Territoire", FNT: "Fabrique Numérique de Territoire"}
MATCH_SAME = "meme"
MATCH_STATES = (MATCH_SAME, "a-confirmer", "distinct")
"""How a laureate decided here stands to the published list: the same Fabrique (name and
commune, or SIRET, or confirmed by a person: counted and shown once, as the published one),
a possible match a person must confirm, or a distinct Fabrique."""


DS_STATES = {"en_construction": "en construction", "en_instruction": "en instruction",
             "accepte": "accepté", "refuse": "refusé", "sans_suite": "classé sans suite"}
"""A dossier's state on Démarches Simplifiées (the export's « État du dossier »), in words."""
DS_CLOSED = ("refuse", "sans_suite")
"""The states on Démarches Simplifiées of a dossier not to instruct: refused, or withdrawn."""


def _plain(text: str) -> str:
    """« Classé sans suite », « classé sans suite » and « classe_sans_suite » alike."""
    return folded(text.replace("_", " "))


_DS_CODES = {_plain(word): code for code, word in DS_STATES.items()} | {
    _plain(code): code for code in DS_STATES}


def ds_state_code(text: str | None) -> str | None:
    """The code of a state on Démarches Simplifiées as an export writes it: its label in a
    DS export (« Accepté », « Refusé », « Classé sans suite ») or its code (« accepte »);
    another text is kept as it is (shown as written)."""
    if text is None:
        return None
    return _DS_CODES.get(_plain(text), text)


@dataclass(frozen=True)
class DossierInput:
    """One application of a Démarches Simplifiées export; None where it says nothing."""

    number: int  # the DS dossier number ("ID")
    line: int  # where it starts in the file read (1: the header)
    filed_at: datetime | None  # None: not said (a checker's batch)
    wave: str | None = None
    wave_note: str | None = None  # why the wave is unknown
    email: str | None = None
    ds_state: str | None = None
    siret: str | None = None
    company_name: str | None = None
    legal_form: str | None = None
    legal_form_code: str | None = None
    project_name: str | None = None
    kind: str | None = None  # FT or FNT
    existing_place: bool | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    amounts: tuple[int | None, ...] = ()  # euros asked for each year
    fields: dict = field(default_factory=dict, compare=False)  # the row as read


@dataclass(frozen=True)
class Finding:
    """An automatic check: true, false or None (undetermined), and why, in French."""

    value: bool | None
    reason: str

    def as_dict(self) -> dict:
        return {"value": self.value, "reason": self.reason}
