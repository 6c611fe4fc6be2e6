"""Which rules a page's categories and quotas were computed under, said in French.

A dossier's category is the one its import computed, under the rules it was checked with
(``Dossier.policy``); a wave's jury counts its quotas under the wave's rules (the calendar's
``politique``). A list or the jury page names them, as a dossier's page does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from flask import current_app

from app.db import wave_policy
from geodata.french import agreed
from geodata.policy import policy_title

__all__ = ["categories_rules", "quota_rules", "rules_name", "wave_categories_rules"]


def rules_name(policy: str) -> str:
    """A policy as a sentence names it: its title in guillemets (its name when it is no
    longer shipped)."""
    return f"« {policy_title(policy) or policy} »"


def categories_rules(policies: Iterable[str | None], wave: str | None = None,
                     wave_rules: str | None = None) -> str:
    """The sentence above a list of dossiers (``policies``: each one's rules) saying which
    rules its « Catégorie » column follows: the wave's (``wave_rules``), or others, or
    those of each dossier when they differ; empty for no dossier."""
    used = Counter(policy for policy in policies if policy)
    if not used:
        return ""
    if len(used) > 1:
        each = ", ".join(f"{rules_name(policy)} pour {n} {agreed('dossier(s)', n)}"
                         for policy, n in sorted(used.items()))
        return (f"Catégories selon les règles avec lesquelles chaque dossier a été vérifié "
                f"({each}) : la page d'un dossier dit les siennes.")
    policy = next(iter(used))
    if wave is None or wave_rules is None:
        return f"Catégories selon les règles {rules_name(policy)}."
    if policy == wave_rules:
        return f"Catégories selon les règles de la vague {wave}, {rules_name(policy)}."
    return (f"Catégories selon les règles {rules_name(policy)}, celles de l'import de ces "
            f"dossiers, et non celles de la vague {wave}, {rules_name(wave_rules)}.")


def wave_categories_rules(dossiers: Iterable, wave: str | None) -> str:
    """``categories_rules`` of ``dossiers``, of ``wave`` (None: without a wave), against the
    rules the waves' calendar gives it."""
    return categories_rules((d.policy for d in dossiers), wave,
                            wave_policy(current_app, wave) if wave is not None else None)


def quota_rules(policy: str, wave: str, wave_rules: str) -> str:
    """Which rules a wave's quota table counts under: the wave's, or those an open session
    was opened with (a session opened before the waves had their rules)."""
    if policy == wave_rules:
        return f"selon les règles de la vague {wave}, {rules_name(policy)}"
    return f"selon les règles de la session ouverte, {rules_name(policy)}"
