"""What an import or a verification changed in a dossier, in words, for its history
(« montant 1re année : « 40 000 » → « 50 000 » »)."""

from __future__ import annotations

from datetime import datetime

from geodata.dossiers.records import DS_STATES
from geodata.dossiers.selection import CHECKS
from geodata.french import PARIS, number
from geodata.policy import SHORT_CATEGORIES, policy_title
from geodata.storage.dossiers import FIELD_LABELS

__all__ = ["changes"]

SHOWN_VALUE_CHARS = 120
"""A value changed by an import longer than this is named, not quoted, in the history."""


def changes(event) -> list[str]:
    """What an import or a verification changed, for the history: each field in words, with
    its value before and after when it is a short text or a number (« montant 1re année :
    « 40 000 » → « 50 000 » »): the fields alone did not say whether an avis came before
    the new amount."""
    details = event.details or {}
    before, after = details.get("avant") or {}, details.get("apres") or {}
    said = []
    for name in details.get("champs") or []:
        label = FIELD_LABELS.get(name, name)
        if name == "checks" and (told := _checks_changed(before.get(name), after.get(name))):
            said.extend(told)  # which check went from what to what, not « vérifications »
            continue
        values = [_worded(name, v) for v in (before.get(name), after.get(name))]
        if all(v is None or (isinstance(v, str | int | float) and not isinstance(v, bool)
                             and len(str(v)) <= SHOWN_VALUE_CHARS) for v in values):
            said.append(f"{label} : « {_value(values[0])} » → « {_value(values[1])} »")
        else:
            said.append(label)
    return said


def _checks_changed(before, after) -> list[str]:
    """The automatic checks whose answer changed (« financement : « oui » → « à vérifier »
    »), from the stored checks before and after; [] when only their reasons or the
    territory's details changed (the category says the territory's answer)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    answers = {True: "oui", False: "non", None: "à vérifier"}
    said = []
    for name, title in CHECKS.items():
        old, new = ((side.get(name) or {}) for side in (before, after))
        if "value" in old and "value" in new and old["value"] != new["value"]:
            said.append(f"{title} : « {answers[old['value']]} » → « {answers[new['value']]} »")
    return said


def _worded(field: str, value):
    """A stored code as the pages say it: a state on Démarches Simplifiées, a category
    (« à vérifier », not « a-verifier »), rules by their title (not « current »), a filing
    date in Paris (« 24/10/2019 11:05 », not « 2019-10-24T09:05:12+00:00 »)."""
    if field == "filed_at" and isinstance(value, str):
        try:
            return datetime.fromisoformat(value).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
        except ValueError:
            return value
    if field == "ds_state":
        return DS_STATES.get(value, value)
    if field == "category":
        return SHORT_CATEGORIES.get(value, value)
    if field == "policy" and isinstance(value, str):
        return policy_title(value) or value
    return value


def _value(value) -> str:
    if value is None or value == "":
        return "vide"
    if isinstance(value, float):
        return repr(value).replace(".", ",")  # a coordinate keeps all its decimals
    return number(value) if isinstance(value, int) else value
