"""Which QPV sources decided a location's verdict: only those whose coverage includes it.

A source of QPV outlines claims completeness for the whole country, some régions or some
départements (``QpvLayer.complete_for``), or for nowhere (a partial extract). A location is
judged against the sources complete where it lies; a source complete elsewhere, or a partial
extract, counts only when it holds the QPV found in or near the location. Where no complete
source covers the location, the verdict says so in one sentence naming its région, never the
sources loaded elsewhere.
"""

from __future__ import annotations

from geodata.territories import region_wording

__all__ = ["ProvenanceError", "covers", "missing_outlines", "qpv_sources_at"]


class ProvenanceError(ValueError):
    """A completeness claim of an unknown scope."""


def covers(scope: str, codes, region: str | None, departement: str | None) -> bool:
    """True when a source complete for ``(scope, codes)`` covers this région/département."""
    if scope == "country":
        return True
    if scope == "regions":
        return region is not None and region in codes
    if scope == "departements":
        return departement is not None and departement in codes
    if scope == "none":
        return False
    raise ProvenanceError(f"portée de complétude inconnue : {scope!r}")


def region_label(region: str | None, region_names: dict[str, str]) -> str:
    """"Occitanie (région 76)", "la région 76" without its name, or "ce lieu"
    (``geodata.territories.region_wording``)."""
    if not region:
        return "ce lieu (région inconnue)"
    return region_wording(region, region_names.get(region))


def missing_outlines(vintage: str, region: str | None, region_names: dict[str, str]) -> str:
    """The sentence for a location no complete source of outlines covers: true whether
    none is loaded there or some only (a partial extract, a file forced in as partial)."""
    return (f"les contours des QPV {vintage} ne sont pas tous chargés pour "
            f"{region_label(region, region_names)}")


def qpv_sources_at(layer, region: str | None, departement: str | None,
                   region_names: dict[str, str], measured_rows=()) -> tuple[list[int], str | None]:
    """(positions in ``layer.sources`` of the outline sources that decided, the missing-layer
    sentence or None).

    ``layer`` is a ``QpvLayer`` (``complete_for`` and ``sources`` go pairwise);
    ``measured_rows``: the outlines found in or near the location, whose partial sources
    count too (``layer.row_sources``).
    """
    holding = set()
    if layer.row_sources is not None:
        holding = {int(layer.row_sources[row]) for row in measured_rows if row >= 0}
    complete, partial = [], []
    for position, (scope, codes) in enumerate(layer.complete_for):
        if covers(scope, codes, region, departement):
            complete.append(position)
        elif position in holding:
            partial.append(position)
    missing = None if complete else missing_outlines(layer.vintage, region, region_names)
    return complete + partial, missing
