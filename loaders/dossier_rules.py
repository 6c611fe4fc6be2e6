"""The rules an import of dossiers checks them under, when it is asked for those of their
waves: the calendar gives each wave its rules (``vagues.toml``, key ``politique``)."""

from __future__ import annotations

from geodata.policy import DEFAULT_POLICY, policy_title
from loaders.errors import LoadError

__all__ = ["BY_WAVE", "rules_of_wave", "rules_of_waves"]

BY_WAVE = "selon-la-vague"
"""The rules asked as « those the calendar gives the file's waves » (``rules_of_waves``), on
the import page and the command line: a first import of a 2019 export was checked under
today's rules."""


def rules_of_wave(calendar, wave: str | None) -> str:
    """The rules the calendar gives ``wave`` (the current ones for a wave that names none,
    an unknown wave, or no wave)."""
    found = calendar.wave(wave) if wave else None
    return found.policy if found and found.policy else DEFAULT_POLICY


def rules_of_waves(dossiers, calendar, path) -> str:
    """The rules the calendar gives the waves of ``dossiers`` (the current ones for a wave
    that names none, or dossiers without a wave); a LoadError when they differ: one import
    checks its dossiers under one set of rules."""
    named: dict[str, set] = {}
    for dossier in dossiers:
        named.setdefault(rules_of_wave(calendar, dossier.wave), set()).add(dossier.wave)

    def whose(waves: set) -> str:
        numbered = sorted(w for w in waves if w)
        said = [("la vague " if len(numbered) == 1 else "les vagues ") + ", ".join(numbered)
                ] if numbered else []
        return " et ".join(said + (["les dossiers sans vague"] if None in waves else []))

    if len(named) > 1:
        said = " ; ".join(f"« {policy_title(name) or name} » pour {whose(waves)}"
                          for name, waves in sorted(named.items()))
        raise LoadError(f"les vagues de ce fichier ont été instruites selon des règles "
                        f"différentes ({said}) : choisissez les règles, ou importez chaque "
                        "vague à part", path=str(path))
    return next(iter(named), DEFAULT_POLICY)
