"""What several test packages share: the CI rule for a missing requirement, the app built
from a test mapping (never the instance file nor the environment), and extracts of the real
commune outlines, and what every GeoJSON the service writes must be (RFC 7946)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import shapely
from flask import Flask
from shapely.geometry import shape
from sqlalchemy import delete

from app import create_app
from app.access import create_user
from app.db import EXTENSION, GEOCODER
from geodata.storage.models import User

__all__ = ["IN_CI", "PASSWORD", "assert_rfc7946", "close_app", "contours_of", "make_app",
           "temporary_account", "unavailable"]

PASSWORD = "un mot de passe de test"

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str):
    """Skip the test locally; in CI a missing requirement is a failure."""
    if IN_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def make_app(database_url: str, instance: Path, data_dir: Path, **settings) -> Flask:
    """The application on ``database_url``, its own instance folder, ``settings`` on top."""
    return create_app({"TESTING": True, "INSTANCE_PATH": str(instance),
                       "DATABASE_URL": database_url, "DATA_DIR": str(data_dir), **settings})


def close_app(app: Flask) -> None:
    """Release the app's database connections and geocoder session."""
    app.extensions[EXTENSION].dispose()
    app.extensions[GEOCODER].close()


CONTOURS = "communes/communes_contours_datafrance.geojson"


def contours_of(data_dir: Path, departements: Iterable[str], target: Path,
                leave_out: Iterable[str] = ()) -> Path:
    """The real commune outlines of some départements (by the codes' first two characters),
    but those of ``leave_out``, written to ``target``: loads in seconds, not minutes."""
    wanted, left = set(departements), set(leave_out)
    document = json.loads((data_dir / CONTOURS).read_text(encoding="utf-8"))
    document["features"] = [f for f in document["features"]
                            if f["properties"]["code"][:2] in wanted
                            and f["properties"]["code"] not in left]
    target.write_text(json.dumps(document), encoding="utf-8")
    return target


@contextmanager
def temporary_account(engine, role: str, prefix: str,
                      departements: list[str] | None = None) -> Iterator[str]:
    """An account of ``role`` (its email, ``PASSWORD``) for the time of the block, then
    removed: the session's shared databases keep no account of a test."""
    user = create_user(engine, f"{prefix}-{uuid.uuid4().hex[:12]}@exemple.gouv.fr", PASSWORD,
                       role, departements=departements)
    try:
        yield user.email
    finally:
        with engine.begin() as connection:
            connection.execute(delete(User).where(User.id == user.id))


def assert_rfc7946(document: dict, polygons: str | None = None) -> None:
    """A FeatureCollection of WGS84 lon/lat geometries, valid, polygons' exterior rings
    counter-clockwise (right-hand rule) and holes clockwise, no ``crs`` member; with
    ``polygons`` (a geometry type), every polygonal geometry of that one type."""
    assert document["type"] == "FeatureCollection" and "crs" not in document
    for feature in document["features"]:
        assert feature["type"] == "Feature" and set(feature) >= {"geometry", "properties"}
        if feature["geometry"] is None:
            continue
        geometry = shape(feature["geometry"])
        assert geometry.is_valid, feature.get("id", feature["properties"])
        coordinates = shapely.get_coordinates(geometry)
        assert ((-180 <= coordinates[:, 0]) & (coordinates[:, 0] <= 180)).all()
        assert ((-90 <= coordinates[:, 1]) & (coordinates[:, 1] <= 90)).all()
        for polygon in getattr(geometry, "geoms", [geometry]):
            if polygon.geom_type == "Polygon":
                assert polygon.exterior.is_ccw and not any(r.is_ccw for r in polygon.interiors)
        if polygons and geometry.geom_type in ("Polygon", "MultiPolygon"):
            assert geometry.geom_type == polygons, feature["properties"]
