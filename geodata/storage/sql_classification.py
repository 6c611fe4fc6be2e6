"""The eligibility classification computed by PostGIS: ``fabriques_classify`` (migrations 0002,
0005 and 0010).

The SQL function mirrors ``geodata.eligibility.classify`` for exact points (precision
"point"), so that analysts connected with QGIS or psql see the service's answers; this module
calls it from Python, mainly to check that both agree. The Python engine stays the reference:
commune-precision locations are classified there only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from geodata.policy import Policy
from geodata.storage.database import DatabaseError, DatabaseUnreachable, is_postgis

__all__ = ["SQL_COLUMNS", "classify_sql", "prepare_sql_classification", "sql_parameters"]

SQL_COLUMNS = (
    "ord", "territory", "commune_code", "density_level", "metropole", "in_qpv", "qpv_code",
    "nearest_qpv_code", "distance_to_qpv_m", "near_qpv", "outside_large_urban_centre",
    "category",
)
"""Columns of ``fabriques_classify``, in order; ``ord`` is the 1-based input position."""

_SIGNATURE = "fabriques_classify(float8[], float8[], text, float8, float8, text, int[], text)"
_CLASSIFY = text(
    "SELECT * FROM fabriques_classify(CAST(:lons AS float8[]), CAST(:lats AS float8[]), "
    ":vintage, :proximity_m, :search_radius_m, :urban_definition, "
    "CAST(:density_levels AS int[]), :precedence) ORDER BY ord"
)


def _as_floats(values: Sequence[float]) -> list[float | None]:
    """Plain floats for the driver; NaN and None become NULL (classified "à vérifier")."""
    floats = []
    for value in values:
        number = None if value is None else float(value)
        floats.append(None if number is None or number != number else number)
    return floats


def classify_sql(engine: Engine, policy: Policy, lons: Sequence[float],
                 lats: Sequence[float]) -> list[dict]:
    """Classify exact points (WGS84 lon/lat) with the database's ``fabriques_classify``.

    Returns one dict per point, in input order, with the keys of ``SQL_COLUMNS``: three-valued
    answers are True, False or None (unknown). The call may store the complete areas of the
    QPV sources in the database's cache, hence its own committed transaction.
    """
    if not is_postgis(engine):
        raise DatabaseError(
            "la classification SQL demande PostGIS : la base embarquée (SQLite) classe avec "
            "le moteur Python seulement"
        )
    if len(lons) != len(lats):
        raise ValueError(f"{len(lons)} longitude(s) pour {len(lats)} latitude(s)")
    with engine.begin() as connection:
        if connection.scalar(text("SELECT to_regprocedure(:s)"), {"s": _SIGNATURE}) is None:
            raise DatabaseError(
                "la fonction fabriques_classify manque dans la base : mettez le schéma à jour "
                "(fabriques db upgrade)"
            )
        rows = connection.execute(_CLASSIFY, sql_parameters(policy, lons, lats)).mappings().all()
    return [dict(row) for row in rows]


def sql_parameters(policy: Policy, lons: Sequence[float], lats: Sequence[float]) -> dict:
    """The bound parameters of a ``fabriques_classify`` call (lons, lats, the policy's
    vintage and rules) under the names of ``classify_sql``'s statement."""
    return {
        "lons": _as_floats(lons),
        "lats": _as_floats(lats),
        "vintage": policy.qpv_vintage,
        "proximity_m": float(policy.proximity_m),
        "search_radius_m": float(policy.search_radius_m),
        "urban_definition": policy.urban_definition,
        "density_levels": [int(level) for level in policy.density_levels],
        "precedence": policy.precedence,
    }


def prepare_sql_classification(engine: Engine) -> list[tuple[str, float]]:
    """Compute what ``fabriques_classify`` caches for each QPV vintage loaded (complete areas,
    projected pieces, cells: seconds per vintage after a load, nothing when up to date), so
    that analysts, read-only roles included, find it ready; then vacuum the cells, so that
    their probes read the covering keys alone (migration 0014) without waiting for
    autovacuum. (vintage, seconds) in order.

    A statement PostgreSQL refuses or cuts short (timeout, lock, disk full) raises a
    ``DatabaseError`` with its reason; a server out of reach, ``DatabaseUnreachable``."""
    if not is_postgis(engine):
        raise DatabaseError(
            "la classification SQL demande PostGIS : la base embarquée (SQLite) classe avec "
            "le moteur Python seulement"
        )
    try:
        return _prepare(engine)
    except DatabaseUnreachable:
        raise
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise DatabaseError("PostgreSQL a refusé le calcul du cache de fabriques_classify : "
                            f"{reason}") from error


def _prepare(engine: Engine) -> list[tuple[str, float]]:
    with engine.connect() as connection:
        vintages = connection.scalars(text("SELECT DISTINCT vintage FROM dataset_versions "
                                           "WHERE current AND dataset = 'qpv' ORDER BY 1")).all()
    done = []
    for vintage in vintages:
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(text("SELECT count(*) FROM fabriques_qpv_complete_areas(:v)"),
                               {"v": vintage})
        done.append((vintage, time.perf_counter() - started))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        cells = connection.scalars(text(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
            "WHERE schemaname = 'fabriques_internal' AND tablename LIKE 'cells\\_%' "
            "ORDER BY 1")).all()
        if cells:
            connection.execute(text(f"VACUUM (ANALYZE) {', '.join(cells)}"))
    return done
