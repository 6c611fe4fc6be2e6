"""The reference layers as the storage gives them, in EPSG:4326, before the engine projects
and indexes them per territory (``geodata.eligibility.layers``, which re-exports them)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["FALSE", "TRUE", "UNKNOWN", "CommuneLayer", "QpvLayer"]

TRUE, FALSE, UNKNOWN = np.int8(1), np.int8(0), np.int8(-1)
"""The answers to a yes-or-no question, in the engine's arrays."""


@dataclass(frozen=True)
class QpvLayer:
    """The QPV outlines of one vintage, in EPSG:4326, and where their sources are complete.

    ``complete_for`` lists ``(scope, codes)`` pairs: ``("country", ())``,
    ``("regions", ("76",))``, ``("departements", (...))``. ``hosting_communes`` is the set of
    communes that contain at least one QPV of the vintage, when an official list complete
    for the whole country is loaded (the 2024 list), else None.
    """

    vintage: str
    codes: np.ndarray
    names: np.ndarray
    territories: np.ndarray
    geometries: np.ndarray
    complete_for: tuple[tuple[str, tuple[str, ...]], ...] = ()
    hosting_communes: frozenset[str] | None = None
    sources: tuple[str, ...] = ()
    hosting_source: str | None = None
    source_ids: tuple[int, ...] = ()  # the dataset version of each source, pairwise
    row_sources: np.ndarray | None = None  # each outline's position in ``sources``


@dataclass(frozen=True)
class CommuneLayer:
    """Commune contours (EPSG:4326) with their région, département and urban classes."""

    codes: np.ndarray
    names: np.ndarray
    territories: np.ndarray
    geometries: np.ndarray
    regions: np.ndarray
    departements: np.ndarray
    density_levels: dict[str, int] = field(default_factory=dict)
    density_labels: dict[str, str] = field(default_factory=dict)
    metropoles: dict[str, str] | None = None  # commune -> métropole; None: EPCI not loaded
    outside_metropoles: frozenset[str] = frozenset()  # communes known to be in no métropole
    without_outline: dict[str, str | None] = field(default_factory=dict)  # code -> région
    # what each criterion reads -> labels of the versions in service: "commune-contours",
    # "communes", "epci", and "densite" (the versions the density levels come from)
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    region_names: dict[str, str] = field(default_factory=dict)  # code -> name (COG)
