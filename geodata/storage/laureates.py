"""The laureates as this service shows and publishes them: the published ANCT list and the
laureates decided by its jury, each Fabrique once (``geodata.publication.merge_matches``),
with its place names, its category under a policy, its source, SIRET and amounts; and the
sources the publication names.

The public map, ``/api/v1/fabriques``, each Fabrique's page and the open data files all read
``laureate_table``, so they show the same Fabriques with the same facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from geodata.eligibility import classify
from geodata.eligibility.categories import ANY_CATEGORY, possible_categories
from geodata.policy import CATEGORIES, CATEGORY_UNDETERMINED, Policy
from geodata.publication import MATCH_SAME, SOURCE_BOTH, SOURCE_DECIDED, merge_matches
from geodata.storage.cache import versioned
from geodata.storage.models import Commune, DatasetVersion, Departement, Laureate, Region
from geodata.storage.reference import reference_index

__all__ = ["DESCRIBED_DATASETS", "FabriquesCounted", "fabrique_count", "fabriques_counted",
           "fabriques_once", "laureate_by_id",
           "laureate_table", "publication_sources", "same_as"]

FNT_KINDS = {"FNT": True, "FT": False}
DESCRIBED_DATASETS = ("laureates", "communes", "departements", "regions")
"""Datasets whose versions a publication names besides those the categories were read from."""


def _sort_key(row: Mapping) -> tuple:
    return (row["departement_code"] or "~", row["commune_name"] or "", row["name"].casefold())


def _read(engine: Engine) -> list[dict]:
    with engine.connect() as connection:
        found = connection.execute(
            select(Laureate.id, Laureate.name, Laureate.commune_code,
                   # the list's name, else the COG's (ANCT's list says « NA » for Saint-Martin)
                   func.coalesce(Laureate.commune_name, Commune.name).label("commune_name"),
                   Laureate.wave, Laureate.kind, Laureate.precision, Laureate.geom,
                   Laureate.territory, Laureate.dossier_number, Laureate.siret, Laureate.amount_1,
                   Laureate.amount_2, Laureate.amount_3, Laureate.published_match,
                   Laureate.match_state, Commune.departement_code, Commune.region_code,
                   Departement.name.label("departement_name"),
                   Region.name.label("region_name"))
            .outerjoin(Commune, Commune.code == Laureate.commune_code)
            .outerjoin(Departement, Departement.code == Commune.departement_code)
            .outerjoin(Region, Region.code == Commune.region_code)
            .order_by(Laureate.id)
        ).mappings().all()
    return [dict(row) for row in found]


def _categories(engine: Engine, policy: Policy, rows: list[dict]) -> tuple[list, list]:
    """Each row's category under ``policy`` and the categories it could still fall in
    (``possible_categories``): undetermined, any of them, without a position."""
    located = [i for i, row in enumerate(rows) if row["geom"] is not None]
    found = [CATEGORY_UNDETERMINED] * len(rows)
    possible = [ANY_CATEGORY] * len(rows)
    if located:
        index = reference_index(engine, policy.qpv_vintage)
        result = classify(
            index, policy, [rows[i]["geom"].x for i in located],
            [rows[i]["geom"].y for i in located], [rows[i]["precision"] for i in located],
            commune_codes=[rows[i]["commune_code"] for i in located])
        for i, category, could_be in zip(located, result.category,
                                         possible_categories(result), strict=True):
            found[i], possible[i] = str(category), could_be
    return found, possible


def fabriques_once(engine: Engine) -> list[dict]:
    """Every Fabrique once, as stored: a decided laureate the same as a published one merged
    into it (``merge_matches``), with its place (``geom``, ``precision``, ``territory``,
    commune, département and région), wave, type, SIRET and amounts."""
    return merge_matches(_read(engine))


def fabrique_count(engine: Engine) -> int:
    """How many Fabriques ``laureate_table`` lists (``fabriques_once``): a decided laureate
    the same as a published one counted once, as the map and the open data count it."""
    return fabriques_counted(engine).total


@dataclass(frozen=True)
class FabriquesCounted:
    """The Fabriques in service, each once (``total``, as the map counts them), and the
    laureates decided by the juries: those the published list lacks (``decided_new``) and
    those the same as a published Fabrique, counted once (``decided_published``)."""

    total: int
    decided_new: int
    decided_published: int

    @property
    def published(self) -> int:
        """The published list's Fabriques (with the decided ones merged into them)."""
        return self.total - self.decided_new


@versioned
def fabriques_counted(engine: Engine) -> FabriquesCounted:
    """How the published list and the juries' laureates make the Fabriques in service."""
    rows = fabriques_once(engine)
    sources = Counter(row["source"] for row in rows)
    return FabriquesCounted(len(rows), sources[SOURCE_DECIDED], sources[SOURCE_BOTH])


@versioned
def laureate_table(engine: Engine, policy: Policy) -> list[dict]:
    """Every Fabrique once, with its place, wave, type, category under ``policy``, source,
    SIRET and amounts, sorted by département, commune and name.

    Each row keeps the keys the map has always read (``name``, ``wave``, ``kind``, ``fnt``,
    ``category``, ``category_label``, ``policy``...) and adds ``source``, ``siret``,
    ``amount_1..3`` and ``possible_categories`` (those an « à vérifier » could still fall
    in; a decided Fabrique's own). Computed once per policy and set of dataset versions in
    service; the rows are shared: callers read them, never change them.
    """
    rows = fabriques_once(engine)
    table = []
    for row, category, could_be in zip(rows, *_categories(engine, policy, rows), strict=True):
        geom = row.pop("geom")
        for key in ("territory", "dossier_number", "published_match", "match_state"):
            row.pop(key)
        row.update(
            fnt=FNT_KINDS.get(row["kind"]),
            lon=round(geom.x, 6) if geom is not None else None,
            lat=round(geom.y, 6) if geom is not None else None,
            category=category, category_label=CATEGORIES[category],
            possible_categories=could_be, policy=policy.name)
        table.append(row)
    return sorted(table, key=_sort_key)


def laureate_by_id(engine: Engine, policy: Policy, fabrique_id: str) -> dict | None:
    """One Fabrique of ``laureate_table``, or None."""
    return next((row for row in laureate_table(engine, policy) if row["id"] == fabrique_id),
                None)


def same_as(engine: Engine, fabrique_id: str) -> str | None:
    """The published Fabrique a decided laureate is the same as (``match_state`` « meme »),
    or None: its page is the published one's."""
    with engine.connect() as connection:
        found = connection.execute(
            select(Laureate.published_match).where(Laureate.id == fabrique_id,
                                                   Laureate.match_state == MATCH_SAME)
        ).scalar_one_or_none()
        if found is None:
            return None
        exists = connection.scalar(select(Laureate.id).where(Laureate.id == found))
    return exists


def publication_sources(engine: Engine, policy: Policy) -> list[dict]:
    """The dataset versions a publication rests on: the laureates (the published list and
    the jury's decisions), the place names and those the categories were read from, each as
    ``title``, ``path`` (its address), ``version`` and ``licence``."""
    used = {version["id"] for version in
            reference_index(engine, policy.qpv_vintage).dataset_versions}
    with engine.connect() as connection:
        versions = connection.execute(
            select(DatasetVersion.id, DatasetVersion.source, DatasetVersion.dataset,
                   DatasetVersion.url, DatasetVersion.vintage, DatasetVersion.licence)
            .where(DatasetVersion.current.is_(True)).order_by(DatasetVersion.id)).all()
        laureate_versions = set(connection.scalars(select(Laureate.dataset_version_id)
                                                   .distinct()))
    return [{"title": version.source, "path": version.url, "version": version.vintage,
             "licence": version.licence}
            for version in versions
            if version.id in used or version.id in laureate_versions
            or version.dataset in DESCRIBED_DATASETS]
