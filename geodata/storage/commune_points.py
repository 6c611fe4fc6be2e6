"""The communes of the loaded ``communes`` table, each with its point: the one definition of
« le centre de la commune » that the map's search measures from. It is where the map places
a Fabrique at commune precision: the point the published list of laureates gives the
commune (its « centroïde »), else a point inside the commune's contour
(``shapely.point_on_surface``, never outside a crescent-shaped commune), read from either
backend through the reference index; a commune without either has none. The search measured
from the point inside the contour while the Fabriques it listed sat at the list's point: a
Fabrique « au centre de la commune » of Marseille was 2,1 km from « the centre » of Marseille.
Kept until the set of dataset versions in service changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import Engine, select

from geodata.nearest import CommuneMatch, match_communes
from geodata.policy import DEFAULT_POLICY, load_policy
from geodata.storage.cache import versioned
from geodata.storage.models import Commune, Laureate
from geodata.storage.reference import reference_index

__all__ = ["CommunePoints", "commune_points", "find_communes"]


@dataclass(frozen=True)
class CommunePoints:
    """Current communes (code, name, département, population) and their point, in step."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    departements: tuple[str | None, ...]
    populations: tuple[int, ...]
    points: tuple[tuple[float, float] | None, ...]


@versioned
def commune_points(engine: Engine) -> CommunePoints:
    """Every current commune of the ``communes`` table with its point: the published list's
    point for the commune, else a point inside its contour."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Commune.code, Commune.name, Commune.departement_code, Commune.population)
            .where(Commune.kind == "commune-actuelle").order_by(Commune.code)).all()
        published = connection.execute(
            select(Laureate.commune_code, Laureate.geom)
            .where(Laureate.dossier_number.is_(None), Laureate.precision == "commune",
                   Laureate.geom.is_not(None)).order_by(Laureate.id.desc())).all()
    layer = reference_index(engine, load_policy(DEFAULT_POLICY).qpv_vintage).communes
    inside = shapely.point_on_surface(layer.geometries) if len(layer.codes) else np.array([])
    where = {str(code): (round(float(shapely.get_x(point)), 6),
                         round(float(shapely.get_y(point)), 6))
             for code, point in zip(layer.codes, inside, strict=True)}
    # rounded as ``laureate_table`` rounds them; the first of the list wins (ids descending)
    where |= {row.commune_code: (round(row.geom.x, 6), round(row.geom.y, 6))
              for row in published}
    return CommunePoints(
        codes=tuple(row.code for row in rows), names=tuple(row.name for row in rows),
        departements=tuple(row.departement_code for row in rows),
        populations=tuple(row.population or 0 for row in rows),
        points=tuple(where.get(row.code) for row in rows))


def find_communes(engine: Engine, text: str,
                  postcodes: Mapping[str, Sequence[str]] | None = None,
                  limit: int = 5) -> list[CommuneMatch]:
    """The communes ``text`` names (``geodata.nearest.match_communes``)."""
    communes = commune_points(engine)
    return match_communes(text, communes.codes, communes.names, communes.departements,
                          communes.populations, communes.points, postcodes, limit)
