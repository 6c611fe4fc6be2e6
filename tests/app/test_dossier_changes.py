"""A dossier's history in words (``app.instruction.changes``): the values an import changed
as the pages say them, a filing date in Paris time (it showed « 2019-10-24T09:05:12+00:00 »
beside « 2019-10-01T10:00:00+02:00 »)."""

from __future__ import annotations

from types import SimpleNamespace

from app.instruction.changes import changes


def test_an_import_s_changes_are_said_in_words():
    event = SimpleNamespace(details={
        "champs": ["filed_at", "ds_state", "amount_1", "lon", "checks"],
        "avant": {"filed_at": "2019-10-24T09:05:12+00:00", "ds_state": "en_instruction",
                  "amount_1": 40000, "lon": 5.38391, "checks": {"vague": {}}},
        "apres": {"filed_at": "2019-10-01T10:00:00+02:00", "ds_state": "refuse",
                  "amount_1": None, "lon": 5.4005, "checks": {"vague": {"x": 1}}}})

    assert changes(event) == [
        "date de dépôt : « 24/10/2019 11:05 » → « 01/10/2019 10:00 »",
        "état sur Démarches Simplifiées : « en instruction » → « refusé »",
        "montant 1re année : « 40\u202f000 » → « vide »",
        "longitude : « 5,38391 » → « 5,4005 »",
        "vérifications"]


def test_a_check_whose_answer_changed_is_said_with_both_answers():
    """« vérifications » alone: the person could not tell that the financing check went
    from « oui » to « à vérifier » (an amount of 0, read as not given)."""
    checks = {"financement": {"value": True, "reason": "a"},
              "forme_juridique": {"value": True, "reason": "b"}}
    event = SimpleNamespace(details={
        "champs": ["amount_1", "checks"],
        "avant": {"amount_1": 50000, "checks": checks},
        "apres": {"amount_1": None, "checks": {**checks, "financement": {
            "value": None, "reason": "montant non renseigné"}}}})
    assert changes(event) == ["montant 1re année : « 50\u202f000 » → « vide »",
                              "financement : « oui » → « à vérifier »"]
