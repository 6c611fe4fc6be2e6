"""The moves the instruction allows, as ``Workflow.refusal`` says them (pure, no database)."""

from __future__ import annotations

from geodata.dossiers.states import workflow


def test_a_refusal_lists_only_the_moves_the_dossier_can_make():
    """A dossier waiting for an avis no prefecture gave was told « possibles : « Avis de la
    préfecture rendu », « Recevable » », then refused « Avis de la préfecture rendu »."""
    rules = workflow()
    waiting = rules.refusal("avis-demande", "transmis-au-jury", None, has_avis=False)
    assert "possibles : « Recevable »" in waiting
    assert "Avis de la préfecture rendu" not in waiting
    given = rules.refusal("avis-demande", "transmis-au-jury", None, has_avis=True)
    assert "« Avis de la préfecture rendu »" in given
    assert rules.refusal("avis-demande", "avis-rendu", None, has_avis=False).startswith(
        "« Avis de la préfecture rendu » suit l'avis de la préfecture")
