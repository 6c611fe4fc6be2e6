"""What a source is: origin, licence, vintage, checksum, field mapping, completeness."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from geodata.territories import scope_wording

__all__ = [
    "COUNTRY",
    "GITHUB",
    "LICENCE_OUVERTE",
    "NOWHERE",
    "Completeness",
    "OfficialCount",
    "Source",
    "UnknownSourceError",
    "default_data_dir",
]


class UnknownSourceError(ValueError):
    """A source name that is not in the registry."""


@dataclass(frozen=True)
class Completeness:
    """Where a source lists everything there is: the country, régions, départements or nowhere."""

    scope: str  # "country", "regions", "departements", "none"
    codes: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"scope": self.scope, "codes": list(self.codes)}

    def describe(self, names: dict[str, dict[str, str]] | None = None) -> str:
        """French wording for reports and explanations, the régions and départements named
        when ``names`` holds them (``geodata.territories.scope_wording``)."""
        if self.scope == "none":
            return "partiel : complet nulle part"
        return f"complet pour {scope_wording(self.scope, self.codes, names)}"


@dataclass(frozen=True)
class OfficialCount:
    """A number an authority publishes for the source's vintage, independent of the file:
    ``what`` (French, plural) counted in the file's staged ``table``, the distinct values
    of ``distinct`` (a column, or a function of the row) or else the rows, only those
    ``keep`` keeps. The file must hold exactly that many (fewer is a cut file, more another
    or a padded one), or it cannot claim the source's completeness
    (``loaders.claims.official_counts_proof``)."""

    what: str
    count: int
    origin: str
    table: str
    distinct: str | Callable[[dict], object] | None = None
    keep: Callable[[dict], bool] | None = None


COUNTRY = Completeness("country")
NOWHERE = Completeness("none")
LICENCE_OUVERTE = "Licence Ouverte / Etalab 2.0"


@dataclass(frozen=True)
class Source:
    """A file we know how to load: origin, licence, vintage, mapping and completeness."""

    name: str
    dataset: str
    title: str
    vintage: str
    licence: str
    url: str
    path: str  # relative to the data folder (FABRIQUES_DATA_DIR)
    sha256: str | None
    fields: dict[str, str] = field(default_factory=dict)
    complete_for: Completeness = NOWHERE
    crs: str | None = None  # declared CRS when the file carries none (CSV lon/lat)
    options: dict = field(default_factory=dict)
    # The fewest records (loaded or skipped) a whole file of this source can hold: fewer is
    # a cut or partial file, refused (``loaders.claims``). Each entry says where it comes from.
    minimum_rows: int | None = None
    # Numbers published for the source's vintage (an official list's size): the file must
    # agree with each to claim its completeness; another vintage has none, so it cannot.
    official_counts: tuple[OfficialCount, ...] = ()

    def local_path(self, data_dir: str | Path) -> Path:
        return Path(data_dir) / self.path


def default_data_dir() -> Path:
    """``FABRIQUES_DATA_DIR``, else ``../shared/data`` beside the project's checkout."""
    configured = os.environ.get("FABRIQUES_DATA_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "shared" / "data"


GITHUB = "https://github.com/"
