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


def test_the_list_of_moves_says_which_states_are_only_steps_back():
    """« Lauréat » and « Avis de la préfecture rendu » were offered among the moves, always
    refused after the motivation was typed, but for a step back."""
    rules = workflow()
    labels = dict((state, rules.target_label(state)) for state in rules.instruction_targets)
    assert labels["laureat"] == "Lauréat (retour depuis « Conventionné »)"
    assert labels["avis-rendu"] == ("Avis de la préfecture rendu (retour depuis « Transmis au "
                                    "jury »)")
    assert labels["recevable"] == "Recevable"
