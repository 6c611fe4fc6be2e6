"""The feature collections the OGC API serves (``app.ogc``): what each one holds and the
fields of its features, described once for the collection document, the OpenAPI document
and the analysts' guide (``docs/analystes.md``).

- ``qpv<millésime>``: the priority neighbourhoods of one vintage, one collection per vintage
  loaded;
- ``communes``: the communes' contours with their département, région, density level and
  métropole;
- ``fabriques``: the laureates, with the open data's columns (``geodata.publication``) and
  their category under each shipped policy;
- ``lieux``: tiers-lieux and public sites (the ``places`` table).

Pure domain: no database and no web framework (``geodata.storage.features`` reads the rows).
"""

from __future__ import annotations

from dataclasses import dataclass

from geodata.policy import CATEGORIES, available_policies
from geodata.publication import COLUMNS, Column

__all__ = [
    "COMMUNES",
    "COMMUNE_FIELDS",
    "FABRIQUES",
    "LAUREATE_FIELDS",
    "LIEUX",
    "PLACE_FIELDS",
    "QPV_FIELDS",
    "QPV_PREFIX",
    "CollectionInfo",
    "category_field",
    "laureate_properties",
    "qpv_collection",
]

QPV_PREFIX = "qpv"
"""A QPV collection is named ``qpv`` followed by its vintage: ``qpv2015``, ``qpv2024``."""


@dataclass(frozen=True)
class CollectionInfo:
    """One collection: its id, French title and description, geometry type and fields."""

    id: str
    title: str
    description: str
    geometry: str  # GeoJSON geometry type of its features: MultiPolygon or Point
    fields: tuple[Column, ...]
    id_description: str  # what a feature's ``id`` is
    vintage: str | None = None  # a QPV collection's vintage


QPV_FIELDS = (
    Column("code", "string", "Code du quartier prioritaire (QN… pour 2024, QP… pour 2015)"),
    Column("nom", "string", "Nom du quartier"),
    Column("millesime", "string", "Millésime de la géographie prioritaire"),
    Column("departement_code", "string", "Code INSEE du département, quand la source le donne"),
    Column("communes_codes", "string", "Codes INSEE des communes du quartier, séparés par des "
           "virgules : ceux de la source, sinon ceux de la liste officielle des QPV par commune "
           "si elle est chargée ; vide sinon"),
    Column("communes_noms", "string", "Noms des communes du quartier, séparés par des virgules "
           "(ceux de la source, sinon ceux du Code officiel géographique) ; vide si inconnus"),
    Column("source", "string", "Jeu de données chargé dont vient le contour (nom du registre "
           "des sources, par exemple qpv2024-paca ; voir /donnees)"),
)

COMMUNE_FIELDS = (
    Column("code", "string", "Code INSEE de la commune (Code officiel géographique)"),
    Column("nom", "string", "Nom de la commune (celui du Code officiel géographique s'il est "
           "chargé, sinon celui des contours)"),
    Column("departement_code", "string", "Code INSEE du département"),
    Column("departement_nom", "string", "Nom du département"),
    Column("region_code", "string", "Code INSEE de la région"),
    Column("region_nom", "string", "Nom de la région"),
    Column("population", "integer", "Population municipale (INSEE), quand elle est connue"),
    Column("densite_niveau", "integer", "Niveau de la grille communale de densité de l'INSEE "
           "(1 : grands centres urbains … 7 : rural à habitat très dispersé) ; vide : non "
           "classée", constraints={"minimum": 1, "maximum": 7}),
    Column("densite_libelle", "string", "Libellé du niveau de densité (INSEE)"),
    Column("metropole_code", "string", "SIREN de la métropole dont la commune est membre ; "
           "vide : hors métropole, ou EPCI non chargés"),
    Column("metropole_nom", "string", "Nom de la métropole dont la commune est membre"),
)

PLACE_FIELDS = (
    Column("type", "string", "Type de lieu (tiers-lieu-cget-2019, tiers-lieu-france-tiers-"
           "lieux, manufacture-proximite, france-services, conseiller-numerique)"),
    Column("type_libelle", "string", "Type de lieu, en français"),
    Column("identifiant", "string", "Identifiant du lieu dans sa source"),
    Column("nom", "string", "Nom du lieu ou de sa structure"),
    Column("adresse", "string", "Adresse telle que publiée"),
    Column("commune_code", "string", "Code INSEE de la commune, tel que publié"),
    Column("commune_nom", "string", "Nom de la commune, tel que publié"),
    Column("precision", "string", "Ce qu'est le point : commune (centre de la commune), "
           "locality, street, address, point, unknown"),
    Column("attributs", "object", "Autres champs publiés par la source (site web, services, "
           "vague…), tels quels"),
    Column("source", "string", "Jeu de données chargé dont vient le lieu (registre des "
           "sources)"),
)


def category_field(policy: str) -> str:
    """The property holding a Fabrique's category under ``policy``: ``categorie_ami_2019``."""
    return "categorie_" + policy.replace("-", "_")


_OPEN_LEFT_OUT = ("lon", "lat", "categorie", "politique")
"""Open data columns a feature holds otherwise: the point is its geometry, and it has one
category per policy instead of the publication's one."""


def _laureate_fields() -> tuple[Column, ...]:
    categories = " ; ".join(f"{key} : {label}" for key, label in CATEGORIES.items())
    return (*(column for column in COLUMNS if column.name not in _OPEN_LEFT_OUT),
            *(Column(category_field(policy), "string", f"Catégorie de quota selon la "
                     f"politique « {policy} » (geodata/policies/{policy}.toml) : "
                     f"{categories}", constraints={"enum": list(CATEGORIES)})
              for policy in available_policies()))


LAUREATE_FIELDS = _laureate_fields()


def laureate_properties(open_rows: dict[str, dict]) -> dict:
    """A Fabrique's properties from its open data row under each policy
    (``geodata.publication.open_row``, by policy name): the columns but the point and the
    policy's, then the category under each policy."""
    first = next(iter(open_rows.values()))
    properties = {key: value for key, value in first.items() if key not in _OPEN_LEFT_OUT}
    for policy, row in open_rows.items():
        properties[category_field(policy)] = row["categorie"]
    return properties


def qpv_collection(vintage: str) -> CollectionInfo:
    """The collection of the QPV of ``vintage``."""
    return CollectionInfo(
        id=f"{QPV_PREFIX}{vintage}",
        title=f"Quartiers prioritaires de la politique de la ville ({vintage})",
        description=f"Contours des QPV du millésime {vintage} chargés dans le service, avec "
                    "leurs communes et le jeu de données d'où ils viennent. Hors du territoire "
                    "où une source est complète (voir /donnees), l'absence d'un quartier ne "
                    "prouve rien.",
        geometry="MultiPolygon", fields=QPV_FIELDS,
        id_description="code du quartier", vintage=vintage)


COMMUNES = CollectionInfo(
    id="communes", title="Communes et leurs classes",
    description="Contours des communes (hors arrondissements municipaux), avec leur "
                "département, leur région, leur niveau dans la grille communale de densité "
                "de l'INSEE et leur métropole.",
    geometry="MultiPolygon", fields=COMMUNE_FIELDS, id_description="code INSEE de la commune")

FABRIQUES = CollectionInfo(
    id="fabriques", title="Fabriques de Territoire lauréates",
    description="Les Fabriques lauréates, chacune une fois, avec les colonnes des données "
                "ouvertes (Licence Ouverte 2.0, sans donnée personnelle) et leur catégorie de "
                "quota selon chaque politique. Une Fabrique sans position a une géométrie "
                "nulle.",
    geometry="Point", fields=LAUREATE_FIELDS,
    id_description="identifiant de la Fabrique (fabt-NN, ou ds-<numéro de dossier>)")

LIEUX = CollectionInfo(
    id="lieux", title="Tiers-lieux et sites publics",
    description="Les lieux chargés : tiers-lieux (recensement CGET 2019, France Tiers-Lieux), "
                "Manufactures de proximité, France services, structures d'accueil de "
                "conseillers numériques.",
    geometry="Point", fields=PLACE_FIELDS,
    id_description="type du lieu, deux-points, identifiant dans sa source "
                   "(france-services:1234)")
