"""Write a validated load in one transaction: the previous version stays until it commits.

The rows of a source are replaced as a whole: in a single transaction the staged checks and
proofs run (``loaders.claims`` decides the completeness the version may record, or refuses
the file), the new ``dataset_versions`` row is added, the source's previous rows are deleted
and the new ones inserted (COPY on PostgreSQL, executemany on SQLite), then the transaction
commits. Until that commit, every reader keeps seeing the previous version; any error,
Ctrl-C included, rolls the whole of it back.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import shapely
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.engine import Connection
from tqdm import tqdm

from geodata.storage.database import is_postgis
from geodata.storage.locks import DatabaseBusy, lock_for_loading
from geodata.storage.models import DATA_TABLES, DatasetVersion
from geodata.storage.reference import coverage_names
from geodata.storage.types import Geometry
from loaders.claims import Decision, Proof, ProofCheck, decide
from loaders.errors import LoadError
from loaders.registry import Source

__all__ = ["Staged", "current_of_dataset", "current_version", "load_transaction",
           "write_staged"]

CHUNK = 5_000


@dataclass
class Staged:
    """Validated rows per table, ready to replace a source's previous load, with the checks
    to run against the database before writing (a clash with another source refuses the
    file) and the proofs of the source's completeness (``loaders.claims``)."""

    tables: dict[str, list[dict]] = field(default_factory=dict)
    checks: list[Callable[[Connection, set[int]], None]] = field(default_factory=list)
    proofs: list[ProofCheck] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


def current_version(connection: Connection, source_name: str) -> DatasetVersion | None:
    """The version of a source that is in use, if it was ever loaded."""
    row = connection.execute(
        select(DatasetVersion.__table__)
        .where(DatasetVersion.source == source_name, DatasetVersion.current.is_(True))
        .order_by(DatasetVersion.id.desc())
    ).first()
    return row


def current_of_dataset(connection: Connection, dataset: str, vintage: str | None = None):
    """The latest version in use of any source of ``dataset`` (of that vintage), if any."""
    query = select(DatasetVersion.__table__).where(DatasetVersion.dataset == dataset,
                                                   DatasetVersion.current.is_(True))
    if vintage is not None:
        query = query.where(DatasetVersion.vintage == vintage)
    return connection.execute(query.order_by(DatasetVersion.id.desc())).first()


@contextmanager
def load_transaction(engine: Engine, path: str | None = None) -> Iterator[Connection]:
    """A transaction holding the loads' lock (``geodata.storage.locks``): a load waits for
    the one in progress; a LoadError when that takes too long, nothing written."""
    with engine.begin() as connection:
        try:
            lock_for_loading(connection)
        except DatabaseBusy as error:
            raise LoadError(str(error), path=path) from None
        yield connection


def write_staged(
    engine: Engine,
    source: Source,
    staged: Staged,
    *,
    vintage: str,
    path: str,
    checksum: str,
    counts: dict,
    force: bool = False,
    progress: bool = True,
) -> tuple[int, Decision]:
    """Replace the source's rows with the staged ones; returns the new version id and the
    completeness decided for it. ``force`` loads a file that contradicts the facts, as
    partial (``loaders.claims.decide``)."""
    with load_transaction(engine, path) as connection:
        previous_ids = set(
            connection.scalars(
                select(DatasetVersion.id).where(DatasetVersion.source == source.name)
            )
        )
        for check in staged.checks:
            check(connection, previous_ids)
        proof = Proof()
        for prove in staged.proofs:
            proof.merge(prove(connection))
        decision = decide(source.complete_for, proof, force=force, path=path,
                          names=coverage_names(connection))
        counts = {**counts, **proof.record, "checks": decision.checks}
        version_id = _add_version(connection, source, vintage=vintage, path=path,
                                  checksum=checksum, counts=counts,
                                  complete_for=decision.complete_for)
        _replace_rows(connection, source, staged, previous_ids, version_id, progress)
        if previous_ids:
            connection.execute(
                update(DatasetVersion)
                .where(DatasetVersion.id.in_(previous_ids))
                .values(current=False)
            )
    return version_id, decision


def _add_version(connection: Connection, source: Source, *, vintage: str, path: str,
                 checksum: str, counts: dict, complete_for: dict) -> int:
    """The new ``dataset_versions`` row of the source, in use from the commit on. A file
    other than the registry's (another checksum) keeps neither the registry's origin nor
    its licence: ``fabriques datasets`` and ``/donnees`` showed them for any file."""
    reference = source.sha256 is None or checksum == f"sha256:{source.sha256}"
    return connection.execute(
        insert(DatasetVersion).returning(DatasetVersion.id),
        {
            "source": source.name,
            "title": source.title,
            "dataset": source.dataset,
            "vintage": vintage,
            "licence": source.licence if reference else (
                f"non vérifiée : ce n'est pas le fichier du registre (dont la licence est : "
                f"{source.licence})"),
            "url": source.url if reference else None,
            "path": path,
            "checksum": checksum,
            "complete_for": complete_for,
            "loaded_at": datetime.now(UTC),
            "counts": counts,
            "current": True,
        },
    ).scalar_one()


def _replace_rows(connection: Connection, source: Source, staged: Staged,
                  previous_ids: set[int], version_id: int, progress: bool) -> None:
    """Delete the previous versions' rows and insert the staged ones, by chunks."""
    bar = tqdm(
        total=staged.row_count,
        desc=f"Écriture {source.name}",
        unit=" lignes",
        disable=None if progress else True,
        leave=False,
    )
    with bar:
        for table_name, rows in staged.tables.items():
            table = DATA_TABLES[table_name].__table__
            if previous_ids:
                connection.execute(
                    delete(table).where(table.c.dataset_version_id.in_(previous_ids))
                )
            for start in range(0, len(rows), CHUNK):
                chunk = [
                    {**row, "dataset_version_id": version_id}
                    for row in rows[start : start + CHUNK]
                ]
                _insert(connection, table, chunk)
                bar.update(len(chunk))


def _insert(connection: Connection, table, rows: list[dict]) -> None:
    if not rows:
        return
    if is_postgis(connection.engine):
        _copy(connection, table, rows)
    else:
        connection.execute(insert(table), rows)


def _copy(connection: Connection, table, rows: list[dict]) -> None:
    """COPY rows into a PostgreSQL table; geometries as hex EWKB, JSON as text."""
    columns = [column for column in table.columns if column.name in rows[0]]
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(row[c.name], c.type) for c in columns) + "\n")
    cursor = connection.connection.driver_connection.cursor()
    names = ", ".join(f'"{c.name}"' for c in columns)
    try:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            copy.write(buffer.getvalue())
    except Exception as error:  # the driver's own message names the row and column
        raise LoadError(f"écriture refusée par PostgreSQL : {error}") from error


def _copy_value(value, column_type) -> str:
    if value is None:
        return r"\N"
    if isinstance(column_type, Geometry):
        located = shapely.set_srid(value, column_type.srid)
        return shapely.to_wkb(located, hex=True, include_srid=True)
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, bool):
        value = "t" if value else "f"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
