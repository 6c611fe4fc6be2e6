"""The communes of the official list (COG) as a directory to look names up in, and a
commune's point: what a check falls back to when the address service cannot be reached."""

from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy import Engine, select

from geodata.commune_lookup import CommuneDirectory, CommuneEntry
from geodata.eligibility.layers import projector
from geodata.storage.cache import versioned
from geodata.storage.models import Commune, CommuneContour, Departement
from geodata.territories import TERRITORIES

__all__ = ["commune_directory", "commune_point"]


@versioned
def commune_directory(engine: Engine) -> CommuneDirectory:
    """The current communes (not arrondissements nor delegated communes) with their
    département's name, by code and by normalised name."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Commune.code, Commune.name, Commune.departement_code, Departement.name)
            .outerjoin(Departement, Departement.code == Commune.departement_code)
            .where(Commune.kind == "commune-actuelle").order_by(Commune.code)).all()
    return CommuneDirectory([CommuneEntry(*row) for row in rows])


def commune_point(engine: Engine, code: str) -> tuple[float, float] | None:
    """(lon, lat) WGS84 of a point inside the commune's contour (its representative point,
    computed in metres in its territory's CRS), None when the commune has no contour."""
    with engine.connect() as connection:
        row = connection.execute(select(CommuneContour.geom, CommuneContour.territory)
                                 .where(CommuneContour.code == code)).first()
    if row is None:
        return None
    there = projector(TERRITORIES[row.territory].epsg)
    projected = shapely.transform(row.geom, lambda c: np.column_stack(
        there.transform(c[:, 0], c[:, 1])))
    point = shapely.point_on_surface(projected)
    lon, lat = there.transform(point.x, point.y, direction="INVERSE")
    return float(lon), float(lat)
