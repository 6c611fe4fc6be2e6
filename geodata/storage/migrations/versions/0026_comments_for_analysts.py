"""Comments on the published tables and views and on each of their columns, for analysts
reading them in QGIS or psql (PostGIS only)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08

The tables and views the guide's read-only role may read (docs/analystes.md) said nothing of
themselves, but two tables and the two views: QGIS shows a table's comment in its browser
and a column's in the layer's fields, psql with ``\\d+``. Each says, in French and briefly,
what it holds, the CRS of its geometry (EPSG:4326) and that distances are in metres, and
which key lasts across loads: ``fabriques load`` replaces a source's rows, so the integer
numbers (``ogc_fid``, ``id`` of ``qpv``, ``places``, ``commune_classes``) change, the text
keys stay. The comments of ``territories``, ``territory_departements`` (0002, 0005) and of
the views stay, completed with the key (and the CRS for the views); that of ``ogc_fid``
(0011) says it is not durable. A migration that drops and makes a view again keeps its
comments with ``geodata.storage.migrations.view_comments.comments_kept``.
"""

from alembic import op

from geodata.storage.migrations.view_comments import comment_statement

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

WGS84 = "EPSG:4326 (WGS84 longitude, latitude)"
RENUMBERED = "numéro changé à chaque chargement de la source, non durable"
VERSION = "Version des données (dataset_versions.id) qui a écrit la ligne."
TERRITORY = "Territoire (territories.code), qui désigne la projection où mesurer en mètres."
COMMUNE = "Code INSEE de la commune."
METRES = "distances en mètres dans la projection du territoire (territories.epsg)"
OGC_FID_0011 = ("Identifiant entier des entités pour les clients SIG (GDAL, QGIS) ; la clé du "
                "service reste la clé primaire.")
OGC_FID = f"Identifiant entier pour les clients SIG (GDAL, QGIS) : {RENUMBERED}."
GEOMETRY = f"Géométrie en {WGS84} ; distances à mesurer en mètres dans la projection du " \
           "territoire (table territories), jamais en degrés."

TABLES = {
    "regions": ("Régions du Code officiel géographique (Insee). Clé durable : code.", {
        "code": "Code officiel de la région.", "name": "Nom.",
        "zone": "metro (métropole), drom (outre-mer) ou com (collectivités d'outre-mer).",
        "dataset_version_id": VERSION}),
    "departements": ("Départements du Code officiel géographique (Insee). Clé durable : code.", {
        "code": "Code officiel du département (2A, 2B, 971…).", "name": "Nom.",
        "region_code": "Code de sa région.", "zone": "metro, drom ou com.",
        "dataset_version_id": VERSION}),
    "communes": ("Communes du Code officiel géographique (Insee), arrondissements municipaux, "
                 "communes déléguées et associées compris (kind) ; population légale. Sans "
                 "géométrie : voir commune_contours. Clé durable : code.", {
        "code": COMMUNE, "name": "Nom.",
        "kind": "commune-actuelle, arrondissement-municipal, commune-deleguee ou "
                "commune-associee.",
        "parent_code": "Commune de rattachement (arrondissement, commune déléguée).",
        "departement_code": "Code du département.", "region_code": "Code de la région.",
        "population": "Population légale (Insee).", "dataset_version_id": VERSION}),
    "commune_contours": (f"Contours des communes (kind COM) et des arrondissements municipaux "
                         f"(ARM), multipolygones en {WGS84} ; {METRES}. Clé durable : code ; "
                         f"ogc_fid est un {RENUMBERED}.", {
        "code": COMMUNE, "name": "Nom selon la source des contours.",
        "kind": "COM (commune) ou ARM (arrondissement municipal).",
        "population": "Population selon la source des contours (autre millésime que "
                      "communes.population, à préférer).",
        "territory": TERRITORY, "geom": GEOMETRY, "dataset_version_id": VERSION,
        "ogc_fid": OGC_FID}),
    "commune_classes": ("Classe de chaque commune dans une typologie de l'Insee : grille "
                        "communale de densité (densite, niveaux 1 à 7), centralité, ruralité. "
                        f"Clé durable : (typology, commune_code) ; id est un {RENUMBERED}.", {
        "id": f"Identifiant entier : {RENUMBERED}.",
        "typology": "densite, centralite ou ruralite.", "commune_code": COMMUNE,
        "level": "Niveau (1 à 7 pour la densité, 1 = grands centres urbains).",
        "label": "Libellé de la classe.", "dataset_version_id": VERSION}),
    "epci": ("EPCI à fiscalité propre (Code officiel géographique). Clé durable : code.", {
        "code": "SIREN de l'EPCI.", "name": "Nom.",
        "kind": "CC, CA, CU, METRO (métropole) ou MET69 (Métropole de Lyon).",
        "population": "Population.", "dataset_version_id": VERSION}),
    "epci_members": ("Communes membres de chaque EPCI. Clé durable : (epci_code, "
                     "commune_code).", {
        "epci_code": "SIREN de l'EPCI.", "commune_code": COMMUNE,
        "dataset_version_id": VERSION}),
    "qpv": (f"Contours des quartiers prioritaires de la politique de la ville par millésime, "
            f"multipolygones en {WGS84} ; {METRES}. Hors du territoire où une source est complète "
            f"(dataset_versions.complete_for), l'absence d'un quartier ne prouve rien. Clé "
            f"durable : (vintage, code) ; id est un {RENUMBERED}.", {
        "id": f"Identifiant entier : {RENUMBERED}.",
        "vintage": "Millésime de la géographie prioritaire (2015, 2024).",
        "code": "Code du quartier (QN01307M…).", "name": "Nom du quartier.",
        "commune_codes": "Codes INSEE de ses communes (tableau JSON), quand la source les "
                         "donne.",
        "commune_names": "Noms de ses communes, selon la source.",
        "departement_code": "Code du département.", "territory": TERRITORY, "geom": GEOMETRY,
        "dataset_version_id": VERSION}),
    "qpv_communes": ("Liste officielle des communes de chaque QPV, par millésime, sans "
                     "contours. Clé durable : (vintage, qpv_code, commune_code).", {
        "vintage": "Millésime (2015, 2024).", "qpv_code": "Code du quartier.",
        "commune_code": COMMUNE, "qpv_name": "Nom du quartier.",
        "commune_name": "Nom de la commune.", "dataset_version_id": VERSION}),
    "laureates": (f"Fabriques de Territoire lauréates : liste publiée par l'ANCT (id fabt-NN) "
                  f"et lauréats décidés par un jury du service (ds-<numéro de dossier>), "
                  f"points en {WGS84} ; {METRES}. Clé durable : id ; ogc_fid est un "
                  f"{RENUMBERED}.", {
        "id": "Identifiant durable : fabt-NN ou ds-<numéro de dossier>.",
        "name": "Nom du projet.", "commune_code": COMMUNE,
        "commune_name": "Nom de la commune.", "wave": "Vague, quand elle est publiée.",
        "kind": "FT (Fabrique de Territoire) ou FNT (Fabrique Numérique de Territoire).",
        "precision": "Ce qu'est le point : point, address, street, locality ou commune "
                     "(centre de la commune).",
        "territory": TERRITORY,
        "geom": f"Point en {WGS84}, NULL sans position ; distances en mètres dans la "
                "projection du territoire.",
        "dataset_version_id": VERSION,
        "dossier_number": "Numéro du dossier Démarches Simplifiées (lauréat d'un jury du "
                          "service), NULL pour la liste publiée.",
        "siret": "SIRET de la structure porteuse.",
        "amount_1": "Subvention de la 1re année, en euros.",
        "amount_2": "Subvention de la 2e année, en euros.",
        "amount_3": "Subvention de la 3e année, en euros.",
        "published_match": "Lauréat de la liste publiée (fabt-NN) qui serait le même.",
        "match_state": "meme, a-confirmer ou distinct : rapport à la liste publiée.",
        "ogc_fid": OGC_FID}),
    "places": (f"Tiers-lieux et sites publics (France Services, Manufactures de proximité, "
               f"conseillers numériques…), points en {WGS84} ; {METRES}. Clé durable : (kind, "
               f"external_id) ; id est un {RENUMBERED}.", {
        "id": f"Identifiant entier : {RENUMBERED}.",
        "kind": "Type de lieu (france-services, manufacture-proximite…).",
        "external_id": "Identifiant dans la source.", "name": "Nom.",
        "address": "Adresse publiée.", "commune_code": COMMUNE,
        "commune_name": "Nom de la commune.",
        "precision": "Ce qu'est le point : address, street, commune (centre de la commune), "
                     "unknown.",
        "territory": TERRITORY, "attributes": "Autres champs publiés par la source (JSON).",
        "geom": GEOMETRY, "dataset_version_id": VERSION}),
    "dataset_versions": ("Chargements des fichiers sources, un par ligne (les anciens restent, "
                         "current = false). Clé : id, propre à cette base.", {
        "id": "Identifiant du chargement, jamais réutilisé dans cette base.",
        "source": "Nom de la source dans le registre (qpv2024-paca…).",
        "title": "Titre de la source.", "dataset": "Jeu de données (qpv, communes…).",
        "vintage": "Millésime.", "licence": "Licence.", "url": "Adresse de publication.",
        "path": "Fichier chargé.", "checksum": "Somme de contrôle du fichier (sha256:…).",
        "complete_for": "Où la source est complète (JSON : scope, codes).",
        "loaded_at": "Date du chargement (UTC).",
        "counts": "Lignes chargées, réparées, écartées, vérifications (JSON).",
        "current": "En service (true) ou remplacée (false)."}),
    "territories": (None, {
        "code": "Code du territoire (metropole, guadeloupe…), clé durable.", "name": "Nom.",
        "epsg": "Projection en mètres où mesurer les distances (2154 : Lambert-93…).",
        "min_lon": "Emprise : longitude minimale (degrés WGS84).",
        "min_lat": "Emprise : latitude minimale (degrés WGS84).",
        "max_lon": "Emprise : longitude maximale (degrés WGS84).",
        "max_lat": "Emprise : latitude maximale (degrés WGS84).",
        "position": "Ordre de recherche : un point est au premier territoire qui le contient."}),
    "territory_departements": (None, {
        "departement": "Code du département.", "territory": "Code du territoire."}),
}
"""Each table: its comment (None: kept, ``APPENDED`` completes it) and its columns'."""

VIEWS = ("laureates_eligibility_current", "laureates_eligibility_ami_2019")
VIEW_ADDED = (f" Géométrie : points en {WGS84} ; distances en mètres. Clé durable : id ; "
              f"ogc_fid est un {RENUMBERED}.")
VIEW_COLUMNS = {
    "ogc_fid": OGC_FID, "id": "Identifiant durable du lauréat (laureates.id).",
    "name": "Nom du projet.", "laureate_commune_code": "Commune du lauréat (code INSEE).",
    "laureate_commune_name": "Nom de la commune du lauréat.",
    "laureate_precision": "Ce qu'est le point (laureates.precision).",
    "territory": "Territoire du point, NULL hors de tout territoire couvert.",
    "commune_code": "Commune dont le contour contient le point.",
    "density_level": "Niveau de densité de cette commune (1 à 7).",
    "metropole": "Commune membre d'une métropole (NULL : inconnu).",
    "in_qpv": "Dans un QPV (NULL : à vérifier).", "qpv_code": "QPV qui contient le point.",
    "nearest_qpv_code": "QPV le plus proche dans le rayon de recherche.",
    "distance_to_qpv_m": "Distance au QPV le plus proche, en mètres (projection du "
                         "territoire).",
    "near_qpv": "Dans un QPV ou à proximité (NULL : à vérifier).",
    "outside_large_urban_centre": "Hors des grands centres urbains (NULL : inconnu).",
    "category": "qpv, hors-grands-centres-urbains, non-eligible ou a-verifier.",
    "geom": f"Point du lauréat en {WGS84}.",
}


APPENDED = {
    "TABLE territories": " Clé durable : code.",
    "TABLE territory_departements": " Clé durable : departement.",
    **{f"VIEW {view}": VIEW_ADDED for view in VIEWS},
}
"""The comments that stay, and the sentence each gets at its end."""


def _comment(target: str) -> str:
    """The comment of ``target`` (``TABLE name`` or ``VIEW name``)."""
    name = target.split()[1]
    return op.get_bind().exec_driver_sql(
        f"SELECT obj_description('{name}'::regclass, 'pg_class')").scalar_one()


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps no comment
    for table, (comment, columns) in TABLES.items():
        if comment is not None:
            op.execute(comment_statement(f"TABLE {table}", comment))
        for column, text in columns.items():
            op.execute(comment_statement(f'COLUMN {table}."{column}"', text))
    for view in VIEWS:
        for column, text in VIEW_COLUMNS.items():
            op.execute(comment_statement(f'COLUMN {view}."{column}"', text))
    for target, sentence in APPENDED.items():
        op.execute(comment_statement(target, _comment(target) + sentence))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for target, sentence in APPENDED.items():
        op.execute(comment_statement(target, _comment(target).removesuffix(sentence)))
    for table, (comment, columns) in TABLES.items():
        if comment is not None:
            op.execute(f"COMMENT ON TABLE {table} IS NULL")
        for column in columns:
            op.execute(f'COMMENT ON COLUMN {table}."{column}" IS NULL')
    for table in ("commune_contours", "laureates"):
        op.execute(comment_statement(f"COLUMN {table}.ogc_fid", OGC_FID_0011))
    for view in VIEWS:
        for column in VIEW_COLUMNS:
            op.execute(f'COMMENT ON COLUMN {view}."{column}" IS NULL')
