"""The registry of sources: every file the service knows how to load, and what it is.

A source names its dataset, vintage, licence, origin URL, the SHA-256 of the file in the
shared data folder, its field mapping (our field -> the file's column) and the territory
where it is complete. "Complete" matters: outside that territory, the absence of a QPV in the
file says nothing about the ground. The sources are listed per area, in the order
``fabriques load demo`` loads them.
"""

from __future__ import annotations

from loaders.registry.places import PLACE_SOURCES
from loaders.registry.qpv import QPV_SOURCES
from loaders.registry.source import (
    Completeness,
    Source,
    UnknownSourceError,
    default_data_dir,
)
from loaders.registry.territory import TERRITORY_SOURCES

__all__ = [
    "SOURCES",
    "Completeness",
    "Source",
    "UnknownSourceError",
    "default_data_dir",
    "get_source",
]

SOURCES: dict[str, Source] = {
    source.name: source for source in (*TERRITORY_SOURCES, *QPV_SOURCES, *PLACE_SOURCES)
}


def get_source(name: str) -> Source:
    """The registered source of that name, or an error listing the known names."""
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(SOURCES)
        raise UnknownSourceError(
            f"source inconnue : {name!r}. Sources connues : {known}, ou « demo »"
        ) from None
