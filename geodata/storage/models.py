"""SQLAlchemy models: one schema for PostgreSQL + PostGIS and for the embedded SQLite file.

Every geometry is stored in WGS84 lon/lat (EPSG:4326) with the code of its territory
(``geodata.territories``), which names the projected CRS it is measured in. Every row that
came from a file points at the ``dataset_versions`` row of the load that wrote it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geodata.storage.types import Geometry, UtcDateTime

__all__ = [
    "Base",
    "CheckRecord",
    "Commune",
    "CommuneClass",
    "CommuneContour",
    "DatasetVersion",
    "Deliverable",
    "Departement",
    "Epci",
    "EpciMember",
    "Laureate",
    "LoginAttempt",
    "Network",
    "NetworkMember",
    "Place",
    "Qpv",
    "QpvCommune",
    "Region",
    "ROLES",
    "User",
    "DATA_TABLES",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _version_fk() -> Mapped[int]:
    return mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), nullable=False, index=True
    )


class DatasetVersion(Base):
    """One load of one source file: what it was, where it is complete, what it gave."""

    __tablename__ = "dataset_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)  # registry key
    title: Mapped[str | None] = mapped_column(Text)  # the registry's title, for people
    dataset: Mapped[str] = mapped_column(String(32))  # qpv, communes, places, ...
    vintage: Mapped[str] = mapped_column(String(32))
    licence: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(71))  # "sha256:<hex>"
    complete_for: Mapped[dict] = mapped_column(JSON)  # {"scope": "regions", "codes": ["76"]}
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    counts: Mapped[dict] = mapped_column(JSON)  # loaded, repaired, skipped
    current: Mapped[bool] = mapped_column(Boolean, default=True)


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    zone: Mapped[str] = mapped_column(String(8))  # metro, drom, com
    dataset_version_id: Mapped[int] = _version_fk()


class Departement(Base):
    __tablename__ = "departements"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(3))
    zone: Mapped[str] = mapped_column(String(8))
    dataset_version_id: Mapped[int] = _version_fk()


class Commune(Base):
    """A commune of the Code officiel géographique, or a municipal arrondissement."""

    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))  # commune-actuelle, arrondissement-municipal
    parent_code: Mapped[str | None] = mapped_column(String(5))  # an arrondissement's commune
    departement_code: Mapped[str | None] = mapped_column(String(3), index=True)
    region_code: Mapped[str | None] = mapped_column(String(3))
    population: Mapped[int | None] = mapped_column(Integer)
    dataset_version_id: Mapped[int] = _version_fk()


class CommuneContour(Base):
    """The outline of a commune or municipal arrondissement."""

    __tablename__ = "commune_contours"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8))  # COM, ARM
    population: Mapped[int | None] = mapped_column(Integer)
    territory: Mapped[str] = mapped_column(String(24), index=True)
    geom = mapped_column(Geometry("MULTIPOLYGON"), nullable=False)
    dataset_version_id: Mapped[int] = _version_fk()


class CommuneClass(Base):
    """A commune's class in one typology (INSEE density grid, centralité, ruralité)."""

    __tablename__ = "commune_classes"
    __table_args__ = (UniqueConstraint("typology", "commune_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    typology: Mapped[str] = mapped_column(String(16))  # densite, centralite, ruralite
    commune_code: Mapped[str] = mapped_column(String(5), index=True)
    level: Mapped[int | None] = mapped_column(Integer)  # 1..7 for the density grid
    label: Mapped[str] = mapped_column(Text)
    dataset_version_id: Mapped[int] = _version_fk()


class Epci(Base):
    __tablename__ = "epci"

    code: Mapped[str] = mapped_column(String(9), primary_key=True)  # SIREN
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8))  # CC, CA, CU, METRO, MET69
    population: Mapped[int | None] = mapped_column(Integer)
    dataset_version_id: Mapped[int] = _version_fk()


class EpciMember(Base):
    __tablename__ = "epci_members"

    epci_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    dataset_version_id: Mapped[int] = _version_fk()


class Qpv(Base):
    """A priority neighbourhood (quartier prioritaire de la politique de la ville) outline."""

    __tablename__ = "qpv"
    __table_args__ = (UniqueConstraint("vintage", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vintage: Mapped[str] = mapped_column(String(8), index=True)  # "2015", "2024"
    code: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(Text)
    commune_codes: Mapped[list | None] = mapped_column(JSON)  # INSEE codes when the source has them
    commune_names: Mapped[str | None] = mapped_column(Text)
    departement_code: Mapped[str | None] = mapped_column(String(3))
    territory: Mapped[str] = mapped_column(String(24), index=True)
    geom = mapped_column(Geometry("MULTIPOLYGON"), nullable=False)
    dataset_version_id: Mapped[int] = _version_fk()


class QpvCommune(Base):
    """The official list naming, for one vintage, the communes each QPV lies in."""

    __tablename__ = "qpv_communes"

    vintage: Mapped[str] = mapped_column(String(8), primary_key=True)
    qpv_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    qpv_name: Mapped[str] = mapped_column(Text)
    commune_name: Mapped[str] = mapped_column(Text)
    dataset_version_id: Mapped[int] = _version_fk()


class Laureate(Base):
    """A Fabrique de Territoire selected by the jury."""

    __tablename__ = "laureates"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # fabt-NN
    name: Mapped[str] = mapped_column(Text)
    commune_code: Mapped[str] = mapped_column(String(5), index=True)
    commune_name: Mapped[str | None] = mapped_column(Text)
    wave: Mapped[str | None] = mapped_column(String(16))  # not published in the demo list
    kind: Mapped[str | None] = mapped_column(String(8))  # FT or FNT; not published either
    precision: Mapped[str] = mapped_column(String(16))  # address, street, locality, commune
    territory: Mapped[str | None] = mapped_column(String(24))
    geom = mapped_column(Geometry("POINT"))  # None when the source gives no location
    dataset_version_id: Mapped[int] = _version_fk()
    # A laureate decided by a jury of this service (migration 0009); None for a published one
    dossier_number: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    siret: Mapped[str | None] = mapped_column(String(14))
    amount_1: Mapped[int | None] = mapped_column(Integer)  # euros granted, year by year
    amount_2: Mapped[int | None] = mapped_column(Integer)
    amount_3: Mapped[int | None] = mapped_column(Integer)
    published_match: Mapped[str | None] = mapped_column(String(16))  # a published fabt-NN
    match_state: Mapped[str | None] = mapped_column(String(16))  # records.MATCH_STATES



class Deliverable(Base):
    """What a Fabrique documents and shares (the AMI asks laureates to document their project
    and their methods): a link, its licence, who recorded it. No personal data."""

    __tablename__ = "deliverables"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    laureate_id: Mapped[str] = mapped_column(String(16), index=True)  # not a foreign key: the
    # published list is reloaded; a deliverable of a Fabrique no longer listed is kept
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(Text)  # an account's email, or "import"
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Place(Base):
    """A tiers-lieu or public site: CGET 2019 list, Manufacture, France Services, ..."""

    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("kind", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    commune_code: Mapped[str | None] = mapped_column(String(5), index=True)
    commune_name: Mapped[str | None] = mapped_column(Text)
    precision: Mapped[str] = mapped_column(String(16))
    territory: Mapped[str] = mapped_column(String(24))
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    geom = mapped_column(Geometry("POINT"), nullable=False)
    dataset_version_id: Mapped[int] = _version_fk()


class Network(Base):
    """A network of places: around a Fabrique (its resource place) or a regional network."""

    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))  # fabrique, regional
    laureate_id: Mapped[str | None] = mapped_column(ForeignKey("laureates.id", ondelete="SET NULL"))
    dataset_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE")
    )


class NetworkMember(Base):
    __tablename__ = "network_members"

    """A place in a network, named by its stable key so that reloading places keeps it."""

    network_id: Mapped[int] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )
    place_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    place_external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str | None] = mapped_column(String(32))


ROLES = ("instructor", "ministry", "prefecture", "admin")
"""Account roles: instructors check, keep a history and instruct the dossiers, the ministry
reads every history and the dashboards, a prefecture sees the dossiers of its départements
and gives its avis, admins do everything."""


class User(Base):
    """A person who logs in: an instructor, someone at the ministry, or an admin."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('instructor', 'ministry', 'prefecture', 'admin')",
                        name="ck_users_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Part of every session's id; raised at logout, which ends the account's open sessions.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    departements: Mapped[list | None] = mapped_column(JSON)  # a prefecture's: ["13", "84"]


class LoginAttempt(Base):
    """A failed login (or one being checked), from a client address for an email: counted
    per client and per account over the limit's window by every worker."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_client_attempted_at", "client", "attempted_at"),
        Index("ix_login_attempts_email_attempted_at", "email", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))  # normalised; maybe no account's
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class CheckRecord(Base):
    """One check an instructor kept in a dossier's history: where, what the engine answered,
    with which data, and the dossier it was for (candidates of a wave: checks with ``wave``)."""

    __tablename__ = "checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    policy: Mapped[str] = mapped_column(String(32))
    query: Mapped[str] = mapped_column(Text)  # the address typed, or "lon, lat"
    geocoded_label: Mapped[str | None] = mapped_column(Text)
    geocoding_score: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    precision: Mapped[str] = mapped_column(String(16))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    category: Mapped[str] = mapped_column(String(32))
    result: Mapped[dict] = mapped_column(JSON)  # Check.as_dict(): the contract's keys
    dataset_versions: Mapped[list] = mapped_column(JSON)  # [{id, source, vintage, checksum}]
    dossier_ref: Mapped[str | None] = mapped_column(Text)
    project_name: Mapped[str | None] = mapped_column(Text)
    wave: Mapped[str | None] = mapped_column(String(16), index=True)
    fnt: Mapped[bool | None] = mapped_column(Boolean)
    funding_eur: Mapped[int | None] = mapped_column(Integer)


DATA_TABLES = {
    model.__tablename__: model
    for model in (
        Region, Departement, Commune, CommuneContour, CommuneClass, Epci, EpciMember,
        Qpv, QpvCommune, Laureate, Place,
    )
}
"""Tables filled by loaders, each row tagged with the dataset version that wrote it."""
