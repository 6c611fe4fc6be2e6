"""Read the engine's reference layers from either backend, cached per dataset version.

The QPV outlines of a vintage, the commune contours with their région, département, density
class and métropole, and what the loaded sources say about their completeness. The index is
rebuilt only when the set of dataset versions in use changes (``geodata.storage.cache``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, ProgrammingError

from geodata.eligibility.layers import CommuneLayer, QpvLayer, ReferenceIndex
from geodata.french import in_paris
from geodata.storage.cache import engine_key, versioned
from geodata.storage.database import DatabaseUnreachable, SchemaMissing, is_postgis, make_engine
from geodata.storage.index_files import index_folder, keep_indexes_in, kept_index
from geodata.storage.models import (
    Commune,
    CommuneClass,
    CommuneContour,
    DatasetVersion,
    Departement,
    Epci,
    EpciMember,
    Qpv,
    QpvCommune,
    Region,
)
from geodata.storage.types import geometries_of, stored_geometry
from geodata.territories import scope_wording

__all__ = [
    "COMMUNE_NAME",
    "ISLANDS_OUTSIDE_EPCI",
    "METROPOLE_KINDS",
    "commune_parents",
    "coverage_names",
    "current_versions",
    "dataset_versions",
    "density_levels",
    "index_builder",
    "loaded_versions",
    "place_names",
    "qpv_outlines_coverage",
    "read_commune_layer",
    "read_qpv_layer",
    "reference_index",
    "scope_names",
    "titled",
    "titled_vintage",
]

METROPOLE_KINDS = ("METRO", "MET69")

ISLANDS_OUTSIDE_EPCI = frozenset({"22016", "29083", "29155", "85113"})
"""Île-de-Bréhat, Île-de-Sein, Ouessant and L'Île-d'Yeu: maritime islands made of one commune,
which the law exempts from belonging to an EPCI à fiscalité propre (CGCT, art. L. 5210-1-1, V)
and which belong to none (COG 2026). They are in no métropole, whatever list is loaded. Every
other commune of the territories the service covers is in an EPCI: one that the loaded list
does not place is a gap in that list, and its métropole is unknown (migration 0018 for
``fabriques_classify``)."""


def current_versions(connection: Connection, dataset: str | None = None,
                     vintage: str | None = None) -> list:
    """The dataset versions in service (of one dataset and vintage if given), oldest first."""
    query = select(DatasetVersion.__table__).where(DatasetVersion.current.is_(True))
    if dataset is not None:
        query = query.where(DatasetVersion.dataset == dataset)
    if vintage is not None:
        query = query.where(DatasetVersion.vintage == vintage)
    return connection.execute(query.order_by(DatasetVersion.id)).all()


def dataset_versions(engine: Engine) -> list:
    """Every dataset version in service, oldest first."""
    with engine.connect() as connection:
        return current_versions(connection)


def loaded_versions(engine: Engine) -> list | None:
    """Every dataset version in service, or None when the schema does not exist yet; a
    database that does not answer raises ``DatabaseUnreachable``, never taken for an empty one."""
    try:
        return dataset_versions(engine)
    except DatabaseUnreachable:
        raise
    except (SchemaMissing, OperationalError, ProgrammingError):
        return None


@versioned
def place_names(engine: Engine) -> dict[str, dict[str, str]]:
    """Région and département names by code (COG), and each département's région:
    ``{"region": {code: name}, "departement": {code: name}, "departement_region": {...}}``.
    A collectivité d'outre-mer, which the lists of régions carry as one, is named as what it
    is: « Saint-Martin (collectivité d'outre-mer) »."""
    with engine.connect() as connection:
        regions = {code: f"{name} (collectivité d'outre-mer)" if zone == "com" else name
                   for code, name, zone in connection.execute(
                       select(Region.code, Region.name, Region.zone))}
        departements = connection.execute(
            select(Departement.code, Departement.name, Departement.region_code)).all()
    return {"region": regions, "departement": {d.code: d.name for d in departements},
            "departement_region": {d.code: d.region_code for d in departements}}


@versioned
def density_levels(engine: Engine) -> dict[int, str]:
    """The levels of the communal density grid in service, with their INSEE labels."""
    with engine.connect() as connection:
        return dict(sorted(connection.execute(
            select(CommuneClass.level, CommuneClass.label)
            .where(CommuneClass.typology == "densite", CommuneClass.level.is_not(None))
            .distinct()).all()))


@versioned
def commune_parents(engine: Engine) -> dict[str, str]:
    """The current commune of each municipal arrondissement (Paris, Lyon, Marseille) and
    of each former commune (delegated, associated) that has a code of its own, by code."""
    with engine.connect() as connection:
        return dict(connection.execute(select(Commune.code, Commune.parent_code)
                                       .where(Commune.parent_code.is_not(None))).all())


def coverage_names(connection: Connection) -> dict[str, dict[str, str]]:
    """The names of the régions and of the départements loaded, by completeness scope, as
    ``geodata.territories.scope_wording`` reads them."""
    return {"regions": dict(connection.execute(select(Region.code, Region.name)).all()),
            "departements": dict(
                connection.execute(select(Departement.code, Departement.name)).all())}


@versioned
def qpv_outlines_coverage(engine: Engine, vintage: str) -> str | None:
    """Where the QPV outlines of ``vintage`` in service are complete, in French (« la région
    Provence-Alpes-Côte d'Azur (93) »); None when everywhere. A map showing none elsewhere
    says so: a person in Brest saw no QPV and nothing telling her none was loaded there."""
    versions = [v for v in dataset_versions(engine)
                if v.dataset == "qpv" and v.vintage == vintage]
    if any(v.complete_for.get("scope") == "country" for v in versions):
        return None
    names = scope_names(engine)
    places = [scope_wording(v.complete_for.get("scope"), v.complete_for.get("codes") or [],
                            names)
              for v in versions if v.complete_for.get("scope") not in (None, "none")]
    return " ; ".join(dict.fromkeys(places)) or "nulle part"


def scope_names(engine: Engine) -> dict[str, dict[str, str]]:
    """``coverage_names`` of the database in service, for the pages and commands."""
    with engine.connect() as connection:
        return coverage_names(connection)


def _label(version, names: dict[str, dict[str, str]]) -> str:
    """A source as the verdicts name it: its vintage, where it is complete (« la région
    Provence-Alpes-Côte d'Azur (93) », ``geodata.territories.scope_wording``)."""
    scope = version.complete_for.get("scope")
    where = "partielle" if scope == "none" else \
        f"complète pour {scope_wording(scope, version.complete_for.get('codes', []), names)}"
    return f"{titled_vintage(version)} ({where}, chargée le {in_paris(version.loaded_at):%d/%m/%Y})"


def titled(version) -> str:
    """A dataset version as people read it: its source's title, else its key (a source
    the registry of migration 0023 did not know, loaded before titles were kept)."""
    return version.title or version.source


def titled_vintage(version) -> str:
    """Its title and vintage, the vintage once (« EPCI … (COG 2026) », not « … (COG 2026)
    (COG 2026) »)."""
    title = titled(version)
    return title if version.vintage in title else f"{title} ({version.vintage})"


def read_qpv_layer(connection: Connection, vintage: str) -> QpvLayer:
    """The QPV outlines of one vintage and the completeness of their sources."""
    records = connection.execute(
        select(Qpv.code, Qpv.name, Qpv.territory, stored_geometry(Qpv.geom).label("geom"),
               Qpv.dataset_version_id)
        .where(Qpv.vintage == vintage).order_by(Qpv.code)
    ).all()
    versions = current_versions(connection, "qpv", vintage)
    position = {v.id: i for i, v in enumerate(versions)}
    lists = [v for v in current_versions(connection, "qpv-communes", vintage)
             if v.complete_for.get("scope") == "country"]
    hosting = None
    if lists:
        hosting = frozenset(connection.scalars(
            select(QpvCommune.commune_code).where(QpvCommune.vintage == vintage)))
    names = coverage_names(connection)
    return QpvLayer(
        vintage=vintage,
        codes=np.array([r.code for r in records], dtype=object),
        names=np.array([r.name for r in records], dtype=object),
        territories=np.array([r.territory for r in records], dtype=object),
        geometries=geometries_of([r.geom for r in records]),
        complete_for=tuple(
            (v.complete_for["scope"], tuple(v.complete_for.get("codes", []))) for v in versions
        ),
        hosting_communes=hosting,
        sources=tuple(_label(v, names) for v in versions),
        hosting_source=_label(lists[-1], names) if lists else None,
        source_ids=tuple(v.id for v in versions),
        row_sources=np.array([position.get(r.dataset_version_id, -1) for r in records],
                             dtype=np.int64),
    )


COMMUNE_NAME = func.coalesce(Commune.name, CommuneContour.name).label("name")
"""A contour's commune named as the official list names it, when the list is loaded (outer
join ``Commune`` on the code): the contours drop the article ("Blanc" for Le Blanc)."""


def read_commune_layer(connection: Connection) -> CommuneLayer:
    """Commune contours (not municipal arrondissements) with their classes and official
    names (``COMMUNE_NAME``), and the communes of the official list that have none."""
    records = connection.execute(
        select(CommuneContour.code, COMMUNE_NAME, CommuneContour.territory,
               stored_geometry(CommuneContour.geom).label("geom"), Commune.region_code,
               Commune.departement_code)
        .outerjoin(Commune, Commune.code == CommuneContour.code)
        .where(CommuneContour.kind == "COM")
        .order_by(CommuneContour.code)
    ).all()
    density = connection.execute(
        select(CommuneClass.commune_code, CommuneClass.level, CommuneClass.label,
               CommuneClass.dataset_version_id)
        .where(CommuneClass.typology == "densite")
    ).all()
    metropoles, outside_metropoles = _metropoles(connection)
    outlined = {r.code for r in records}
    without_outline = {code: region for code, region in connection.execute(
        select(Commune.code, Commune.region_code).where(Commune.kind == "commune-actuelle"))
        if code not in outlined}
    sources = _criteria_sources(connection, {r.dataset_version_id for r in density})
    return CommuneLayer(
        codes=np.array([r.code for r in records], dtype=object),
        names=np.array([r.name for r in records], dtype=object),
        territories=np.array([r.territory for r in records], dtype=object),
        geometries=geometries_of([r.geom for r in records]),
        regions=np.array([r.region_code for r in records], dtype=object),
        departements=np.array([r.departement_code for r in records], dtype=object),
        density_levels={r.commune_code: r.level for r in density if r.level},
        density_labels={r.commune_code: r.label for r in density},
        metropoles=metropoles,
        outside_metropoles=outside_metropoles,
        without_outline=without_outline,
        sources=sources,
        region_names=dict(connection.execute(select(Region.code, Region.name)).all()),
    )


def _criteria_sources(connection: Connection, density_ids: set[int]
                      ) -> dict[str, tuple[str, ...]]:
    """The versions each commune criterion reads, titled: found by what they hold (the
    density levels' own versions), not by the key of the source that loaded them."""
    sources = {dataset: tuple(titled_vintage(v) for v in current_versions(connection, dataset))
               for dataset in ("commune-contours", "communes", "epci")}
    sources["densite"] = tuple(titled_vintage(v)
                               for v in current_versions(connection, "commune-classes")
                               if v.id in density_ids)
    return {name: labels for name, labels in sources.items() if labels}


def _metropoles(connection: Connection) -> tuple[dict[str, str] | None, frozenset[str]]:
    """Each commune of a métropole with its name, and the communes known to be in none: those
    of another EPCI of the loaded list, and the islands outside every EPCI by law. (None, {})
    when no EPCI list is loaded."""
    if connection.scalar(select(Epci.code).limit(1)) is None:
        return None, frozenset()
    metropoles, others = {}, set(ISLANDS_OUTSIDE_EPCI)
    for code, name, kind in connection.execute(
            select(EpciMember.commune_code, Epci.name, Epci.kind)
            .join(Epci, Epci.code == EpciMember.epci_code)):
        if kind in METROPOLE_KINDS:
            metropoles[code] = name
        else:
            others.add(code)
    return metropoles, frozenset(others - metropoles.keys())


ENGINE_DATASETS = ("commune-contours", "communes", "commune-classes", "epci")
"""Datasets every check reads, besides the QPV outlines and list of its policy's vintage."""


def versions_used(connection: Connection, qpv_vintage: str) -> list[dict]:
    """The dataset versions in service that a check under this QPV vintage reads."""
    versions = [v for v in current_versions(connection)
                if v.dataset in ENGINE_DATASETS
                or (v.dataset in ("qpv", "qpv-communes") and v.vintage == qpv_vintage)]
    return [{"id": v.id, "source": v.source, "dataset": v.dataset, "vintage": v.vintage,
             "checksum": v.checksum} for v in versions]


@versioned
def reference_index(engine: Engine, vintage: str) -> ReferenceIndex:
    """The engine's index for a QPV vintage, rebuilt when the loaded data change, with the
    dataset versions it was read from (``dataset_versions``), read in one snapshot on
    PostgreSQL (a load committing meanwhile is not half seen). Read from its file when the
    app keeps indexes (``geodata.storage.index_files``) and one was kept for these versions.
    """
    options = {"isolation_level": "REPEATABLE READ"} if is_postgis(engine) else {}
    with engine.connect().execution_options(**options) as connection:
        versions = tuple(versions_used(connection, vintage))
        index = kept_index(
            engine_key(engine), vintage, tuple(tuple(v.items()) for v in versions),
            lambda: ReferenceIndex(read_qpv_layer(connection, vintage),
                                   read_commune_layer(connection)))
        index.dataset_versions = versions
        return index


def index_builder(engine: Engine, vintage: str) -> Callable[[], ReferenceIndex]:
    """A function that builds ``reference_index(engine, vintage)`` in another process (a
    worker of ``fabriques classify``): its own engine on the same database, the same folder
    of kept indexes. It pickles (the URL, password included, goes to the worker)."""
    return partial(_index_at, engine.url.render_as_string(hide_password=False), vintage,
                   None if index_folder() is None else str(index_folder()))


def _index_at(url: str, vintage: str, folder: str | None) -> ReferenceIndex:
    keep_indexes_in(folder)
    engine = make_engine(url)
    try:
        return reference_index(engine, vintage)
    finally:
        engine.dispose()
