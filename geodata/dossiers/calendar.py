"""The AMI's calendar of waves (``vagues.toml``), extended by the instance's own file.

A dossier's wave is given by the instructor, or found from its filing date: the first wave,
in calendar order, whose deadline is on or after that date and which admits the dossier's
type (the first wave was for FNT only). Where no published deadline decides, the wave is
undetermined: it is said, never guessed.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from geodata.policy import available_policies

__all__ = ["CALENDAR_FILE", "Calendar", "CalendarError", "Wave", "load_calendar", "wave_order"]

CALENDAR_FILE = Path(__file__).with_name("vagues.toml")
NUMBERS = re.compile(r"([0-9]+)")
KINDS = {"FNT": "Fabriques Numériques de Territoire", "toutes": "tous types"}


class CalendarError(ValueError):
    """A calendar file that cannot be read as one."""


def wave_order(wave: str) -> tuple:
    """The sort key of a wave's name, its numbers read as numbers: « 2 » before « 10 »,
    then « 2020-1 », « 2023 », « 2024 »; names without a number after. Every list of waves
    (dossiers, jury, dashboard, map) sorts with it."""
    parts = tuple((0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part)
                  for part in NUMBERS.split(wave) if part)
    return parts, wave


@dataclass(frozen=True)
class Wave:
    """One wave of the AMI; None where the calendar does not say."""

    number: str
    kind: str  # "FNT" or "toutes"
    deadline: date | None = None
    announced: str | None = None  # "AAAA-MM"
    quota: int | None = None
    policy: str | None = None  # the rules its dossiers were instructed under

    def admits(self, fnt: bool | None) -> bool | None:
        """Whether a dossier of this type may be in the wave (None: type unknown)."""
        if self.kind == "toutes":
            return True
        return None if fnt is None else fnt


@dataclass(frozen=True)
class Calendar:
    opening: date
    waves: tuple[Wave, ...]

    def wave(self, number: str) -> Wave | None:
        return next((wave for wave in self.waves if wave.number == number), None)

    def wave_of(self, filed: date, fnt: bool | None) -> tuple[Wave | None, str | None]:
        """The wave of a dossier filed on ``filed``, or None with the reason."""
        if filed < self.opening:
            return None, f"déposé le {filed:%d/%m/%Y}, avant l'ouverture de l'AMI " \
                         f"({self.opening:%d/%m/%Y})"
        for wave in self.waves:
            if wave.deadline is None:
                break  # the next deadlines are not known: no later wave can be told
            if filed <= wave.deadline:
                admitted = wave.admits(fnt)
                if admitted:
                    return wave, None
                if admitted is None:
                    return None, f"type de Fabrique inconnu : vague {wave.number} (FNT " \
                                 "seulement) ou suivante"
        return None, (f"déposé le {filed:%d/%m/%Y}, après la dernière date limite connue "
                      "du calendrier : précisez la vague")


def load_calendar(extra: Path | None = None) -> Calendar:
    """The shipped calendar, with the waves of ``extra`` (if it exists) added or replacing
    those of the same number."""
    shipped = _read(CALENDAR_FILE)
    waves = {wave.number: wave for wave in shipped.waves}
    if extra is not None and extra.is_file():
        for wave in _read(extra, opening=shipped.opening).waves:
            waves[wave.number] = wave
    ordered = sorted(waves.values(), key=lambda wave: (wave.deadline is None,
                                                       wave.deadline or date.max))
    return Calendar(shipped.opening, tuple(ordered))


def _read(path: Path, opening: date | None = None) -> Calendar:
    """The calendar in ``path``, parsed again only when the file changed (its time of
    modification or its size): pages read the waves' rules on every request."""
    try:
        stat = path.stat()
    except OSError as error:
        raise CalendarError(f"{path} : calendrier des vagues illisible ({error})") from None
    return _parsed(path, stat.st_mtime_ns, stat.st_size, opening)


@functools.lru_cache(maxsize=16)
def _parsed(path: Path, mtime_ns: int, size: int, opening: date | None) -> Calendar:
    """``path`` parsed (the calendar is immutable: one object serves every caller); an
    error is raised each time, never kept."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        waves = tuple(_wave(entry) for entry in data.get("vague", ()))
        start = data.get("ouverture", opening)
        if not isinstance(start, date):
            raise ValueError("ouverture : une date AAAA-MM-JJ est attendue")
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
        raise CalendarError(f"{path} : calendrier des vagues illisible ({error})") from None
    return Calendar(start, waves)


def _wave(entry: dict) -> Wave:
    kind = entry["type"]
    if kind not in KINDS:
        raise ValueError(f"vague {entry.get('numero')!r} : type {kind!r} (FNT ou toutes)")
    deadline = entry.get("depot_limite")
    if deadline is not None and not isinstance(deadline, date):
        raise ValueError(f"vague {entry['numero']!r} : depot_limite doit être une date")
    quota, policy = entry.get("quota"), entry.get("politique")
    if policy is not None and policy not in available_policies():
        raise ValueError(f"vague {entry['numero']!r} : politique inconnue {policy!r} "
                         f"(connues : {', '.join(available_policies())})")
    return Wave(str(entry["numero"]), kind, deadline, entry.get("annonce"),
                None if quota is None else int(quota), policy)
