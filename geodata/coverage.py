"""Coverage of the territory by the Fabriques: communes and population farther than X km.

For every commune, the distance in metres to the nearest Fabrique of its territory is
measured in the territory's projected CRS (Lambert-93, local UTM overseas), in one
vectorised STRtree query per territory (``query_nearest`` with ``return_distance``).

Two measures: from the commune's **contour** (default: 0 when a Fabrique lies in the
commune, otherwise the gap between its nearest edge and the Fabrique) or from its
**representative point** (a point inside the contour, ``point_on_surface``). The contour is
the default because the published list places each Fabrique at its commune's centroid, not
at its address: with the contour, a commune is called "non pourvue" only when no part of it
comes within X km of a Fabrique, a claim that the imprecise Fabrique points cannot
overturn, and a commune that hosts a Fabrique is always at distance 0. The point measure is
closer to where people live in large communes, and is offered beside it.

A commune without a contour has an unknown distance: it is counted apart, never as covered
or uncovered. A territory without any Fabrique has every commune at an infinite distance.
A Fabrique without a location never makes a commune "non pourvue": placed in its commune's
contour when that is known (the distance to the contour is a lower bound of the distance to
the Fabrique), otherwise it might lie anywhere in its territory (or anywhere, its territory
unknown), where every commune farther than the threshold from the located ones stays
unknown. With no Fabrique loaded at all, nothing is known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = [
    "DEFAULT_THRESHOLD_KM",
    "MAX_THRESHOLD_KM",
    "MEASURES",
    "CommuneDistances",
    "CoverageError",
    "DepartementCoverage",
    "UnknownDepartementError",
    "by_departement",
    "check_threshold_km",
    "nearest_distances",
    "totals",
    "uncovered",
]

DEFAULT_THRESHOLD_KM = 20.0
MAX_THRESHOLD_KM = 200.0
MEASURES = {"contour": "contour de la commune", "point": "point représentatif de la commune"}


class CoverageError(ValueError):
    """A coverage question that cannot be answered as asked; ``parameter`` names why."""

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


class UnknownDepartementError(CoverageError):
    """A département code that is not among the loaded communes."""


def nearest_distances(communes: np.ndarray, fabriques: np.ndarray, measure: str = "contour"
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Distance (metres) from each projected commune to the nearest projected Fabrique point,
    and that Fabrique's position; ``inf`` and -1 when there is no Fabrique."""
    if measure not in MEASURES:
        raise CoverageError(f"mesure inconnue : {measure!r} (contour ou point)", "measure")
    distances = np.full(len(communes), np.inf)
    nearest = np.full(len(communes), -1, dtype=np.int64)
    if not len(communes) or not len(fabriques):
        return distances, nearest
    queries = communes if measure == "contour" else shapely.point_on_surface(communes)
    (inputs, hits), found = shapely.STRtree(fabriques).query_nearest(
        queries, return_distance=True, all_matches=False)
    distances[inputs] = found
    nearest[inputs] = hits
    return distances, nearest


@dataclass(frozen=True)
class CommuneDistances:
    """Every commune with its population, département and distance to the nearest Fabrique
    (``nan`` when the commune has no contour)."""

    codes: np.ndarray
    names: np.ndarray
    departements: np.ndarray
    populations: np.ndarray  # int64, 0 when unknown
    distances: np.ndarray  # metres; inf: no Fabrique in the territory; nan: no contour
    nearest: np.ndarray  # id of the nearest Fabrique, or None
    measure: str = "contour"
    unsure: np.ndarray | None = None  # bool: a Fabrique without location may be nearer
    fabriques: int | None = None  # Fabriques loaded (None: not counted)
    unlocated: tuple[str, ...] = ()  # ids of the Fabriques placed nowhere, not even a commune

    def __len__(self) -> int:
        return len(self.codes)

    def uncovered_mask(self, threshold_m: float) -> np.ndarray:
        """Communes proven farther than ``threshold_m`` from every Fabrique."""
        with np.errstate(invalid="ignore"):
            far = self.distances > threshold_m
        return far if self.unsure is None else far & ~self.unsure

    def unknown_mask(self, threshold_m: float) -> np.ndarray:
        """Communes whose coverage is unknown: no contour, or farther than ``threshold_m``
        from the located Fabriques while one without location may be nearer."""
        unknown = np.isnan(self.distances)
        if self.unsure is not None:
            with np.errstate(invalid="ignore"):
                unknown |= self.unsure & (self.distances > threshold_m)
        return unknown


def check_threshold_km(threshold_km: float) -> float:
    """The threshold in metres, if it is a distance the service accepts."""
    if not 0 <= threshold_km <= MAX_THRESHOLD_KM:
        raise CoverageError(
            f"distance hors limites : {threshold_km:g} km (de 0 à {MAX_THRESHOLD_KM:g} km)",
            "distance_km")
    return threshold_km * 1000.0


@dataclass(frozen=True)
class DepartementCoverage:
    """One département: its communes and population, and those farther than the threshold."""

    code: str
    name: str
    communes: int
    population: int
    uncovered_communes: int
    uncovered_population: int
    unknown_communes: int  # without a contour: distance unknown

    @property
    def share(self) -> float | None:
        """Share of the département's population farther than the threshold (0..1)."""
        return self.uncovered_population / self.population if self.population else None


def by_departement(distances: CommuneDistances, threshold_m: float,
                   names: dict[str, str] | None = None) -> list[DepartementCoverage]:
    """Counts per département, vectorised (``np.unique`` + ``np.bincount``), by code."""
    names = names or {}
    departements = np.array([d or "?" for d in distances.departements], dtype=object)
    codes, group = np.unique(departements.astype(str), return_inverse=True)
    size = len(codes)
    population = distances.populations.astype(np.int64)
    far = distances.uncovered_mask(threshold_m)
    unknown = distances.unknown_mask(threshold_m)
    counts = np.bincount(group, minlength=size)
    people = np.bincount(group, weights=population, minlength=size)
    far_counts = np.bincount(group, weights=far, minlength=size)
    far_people = np.bincount(group, weights=population * far, minlength=size)
    unknown_counts = np.bincount(group, weights=unknown, minlength=size)
    return [
        DepartementCoverage(str(code), names.get(str(code), str(code)), int(counts[i]),
                            int(people[i]), int(far_counts[i]), int(far_people[i]),
                            int(unknown_counts[i]))
        for i, code in enumerate(codes)
    ]


def totals(rows: list[DepartementCoverage]) -> DepartementCoverage:
    """The sum of département rows, as one row named "Total"."""
    return DepartementCoverage(
        "", "Total", sum(r.communes for r in rows), sum(r.population for r in rows),
        sum(r.uncovered_communes for r in rows), sum(r.uncovered_population for r in rows),
        sum(r.unknown_communes for r in rows))


def uncovered(distances: CommuneDistances, threshold_m: float,
              departement: str | None = None) -> np.ndarray:
    """Positions of the communes farther than the threshold (of one département if given),
    farthest first."""
    mask = distances.uncovered_mask(threshold_m)
    if departement is not None:
        mask &= distances.departements == departement
    rows = np.flatnonzero(mask)
    return rows[np.lexsort((distances.codes[rows].astype(str), -distances.distances[rows]))]
