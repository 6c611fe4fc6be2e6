"""Which wave the dossiers' pages show: a wave asked is one the account sees dossiers of, or
one the service knows (a wave of its calendar, or of dossiers of other départements) where
the account has none, shown as an empty list that says so; only a wave nobody knows is
« inconnue » (404)."""

from __future__ import annotations

from flask import current_app

from app.db import calendar_waves, get_engine
from geodata.dossiers.calendar import wave_order
from geodata.storage.dossiers import NO_WAVE, dossier_waves

__all__ = ["unknown_wave", "waves_shown"]


def unknown_wave(wave: str, waves: list[str]) -> str:
    """Why a wave asked shows nothing: no dossier of it (the waves that have some)."""
    return f"Aucun dossier dans la vague « {wave} » (vagues des dossiers : " \
        f"{', '.join(waves) or 'aucune'})."


def waves_shown(waves: list[str], wave: str | None) -> list[str]:
    """The waves of the page's choice (``waves``: those the account has dossiers of), with
    ``wave``, the one asked, when the service knows it: a wave of the calendar, or of the
    dossiers of any département. A prefecture asking for a wave without dossiers of its
    départements has an empty list, not « Vague inconnue »."""
    if wave is None or wave in waves or wave == NO_WAVE:
        return waves
    known = {w.number for w in calendar_waves(current_app)} | set(dossier_waves(get_engine()))
    if wave not in known:
        return waves
    return sorted([*waves, wave], key=lambda w: (w == NO_WAVE, wave_order(w)))
