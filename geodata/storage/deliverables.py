"""The deliverables recorded for the Fabriques (``geodata.deliverables`` checks them): read
for a Fabrique's public page, written by an instructor's form or an imported file (one
transaction: all or nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from geodata.deliverables import LICENCES, DeliverableInput
from geodata.storage.models import Deliverable

__all__ = ["SharedDeliverable", "deliverables_of", "record_deliverables"]


@dataclass(frozen=True)
class SharedDeliverable:
    """A deliverable as the public sees it: who recorded it is not shown (personal data)."""

    title: str
    url: str
    licence: str
    licence_label: str
    recorded_at: datetime


def deliverables_of(engine: Engine, fabrique_id: str) -> list[SharedDeliverable]:
    """The deliverables of a Fabrique, the most recent first."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Deliverable.title, Deliverable.url, Deliverable.licence,
                   Deliverable.recorded_at)
            .where(Deliverable.laureate_id == fabrique_id)
            .order_by(Deliverable.recorded_at.desc(), Deliverable.id.desc())).all()
    return [SharedDeliverable(row.title, row.url, row.licence or "autre",
                              LICENCES.get(row.licence or "autre", row.licence or ""),
                              row.recorded_at) for row in rows]


def record_deliverables(engine: Engine, items: Sequence[DeliverableInput], recorded_by: str,
                        now: datetime | None = None) -> int:
    """Store ``items`` in one transaction; how many were stored."""
    if not items:
        return 0
    when = now or datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(insert(Deliverable), [
            {"laureate_id": item.fabrique_id, "title": item.title, "url": item.url,
             "licence": item.licence, "recorded_by": recorded_by, "recorded_at": when}
            for item in items])
    return len(items)
