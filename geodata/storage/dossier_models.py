"""The dossiers of the waves and what happened to them (migration 0006).

A dossier holds what its application says (imported from a Démarches Simplifiées export, by
its DS number), the automatic checks made on it with the policy and the dataset versions
used, and its instruction state. Every change is an event, appended, never rewritten.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from geodata.storage.models import Base
from geodata.storage.types import UtcDateTime

__all__ = ["Dossier", "DossierEvent", "JurySession"]


class Dossier(Base):
    """One application of a wave."""

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, unique=True)  # DS "ID"
    wave: Mapped[str | None] = mapped_column(String(16), index=True)
    filed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # None: from a batch
    email: Mapped[str | None] = mapped_column(Text)
    ds_state: Mapped[str | None] = mapped_column(String(32))  # the state on DS
    siret: Mapped[str | None] = mapped_column(String(14))
    company_name: Mapped[str | None] = mapped_column(Text)
    legal_form: Mapped[str | None] = mapped_column(Text)
    legal_form_code: Mapped[str | None] = mapped_column(String(8))
    project_name: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(8))  # FT, FNT
    existing_place: Mapped[bool | None] = mapped_column(Boolean)
    address: Mapped[str | None] = mapped_column(Text)
    lon: Mapped[float | None] = mapped_column(Float)  # as filed, or as geocoded
    lat: Mapped[float | None] = mapped_column(Float)
    precision: Mapped[str | None] = mapped_column(String(16))  # point, address, street...
    geocoded_label: Mapped[str | None] = mapped_column(Text)
    amount_1: Mapped[int | None] = mapped_column(Integer)
    amount_2: Mapped[int | None] = mapped_column(Integer)
    amount_3: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(32), index=True)  # instruction state
    avis: Mapped[str | None] = mapped_column(String(16))  # the prefecture's: favorable...
    avis_text: Mapped[str | None] = mapped_column(Text)
    avis_by: Mapped[str | None] = mapped_column(Text)
    avis_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    commune_code: Mapped[str | None] = mapped_column(String(5))
    departement_code: Mapped[str | None] = mapped_column(String(3), index=True)
    checks: Mapped[dict] = mapped_column(JSON)  # {territoire, forme_juridique, financement}
    policy: Mapped[str] = mapped_column(String(32))
    dataset_versions: Mapped[list] = mapped_column(JSON)
    source: Mapped[dict] = mapped_column(JSON)  # the export's row, column by column
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DossierEvent(Base):
    """Something that happened to a dossier: imported, updated by a new import, checked
    again, moved from one state to another. Appended only."""

    __tablename__ = "dossier_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(Text)  # an account's email, or the command line's user
    kind: Mapped[str] = mapped_column(String(32))  # import, mise-a-jour, verification, etat
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    motivation: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON)
    jury_session_id: Mapped[int | None] = mapped_column(ForeignKey("jury_sessions.id"),
                                                        index=True)  # a jury's decision


class JurySession(Base):
    """A wave's jury (migration 0009): opened, its decisions made and reversed while it is
    open, then closed, which locks them and records who sat on it."""

    __tablename__ = "jury_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave: Mapped[str] = mapped_column(String(16), index=True)
    policy: Mapped[str] = mapped_column(String(32))  # the rules the quotas are counted by
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    opened_by: Mapped[str] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_by: Mapped[str | None] = mapped_column(Text)
    members: Mapped[str | None] = mapped_column(Text)  # those present, as written
