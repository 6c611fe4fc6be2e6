"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Geometries are EPSG:4326 (WGS84 lon/lat) on both backends: PostGIS ``geometry`` columns with
a GIST index on PostgreSQL, WKB blobs on the embedded SQLite file.
"""

import sqlalchemy as sa
from alembic import op

from geodata.storage.types import Geometry

SPATIAL_INDEXES = {
    "ix_qpv_geom": "qpv",
    "ix_commune_contours_geom": "commune_contours",
    "ix_laureates_geom": "laureates",
    "ix_places_geom": "places",
}

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgis = op.get_bind().dialect.name == "postgresql"
    if postgis:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("dataset", sa.String(length=32), nullable=False),
        sa.Column("vintage", sa.String(length=32), nullable=False),
        sa.Column("licence", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(length=71), nullable=False),
        sa.Column("complete_for", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_versions")),
    )
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dataset_versions_source"), ["source"], unique=False)

    op.create_table(
        "commune_classes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("typology", sa.String(length=16), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_commune_classes_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commune_classes")),
        sa.UniqueConstraint(
            "typology", "commune_code", name=op.f("uq_commune_classes_typology_commune_code")
        ),
    )
    with op.batch_alter_table("commune_classes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commune_classes_commune_code"), ["commune_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commune_classes_dataset_version_id"),
            ["dataset_version_id"],
            unique=False,
        )

    op.create_table(
        "commune_contours",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("territory", sa.String(length=24), nullable=False),
        sa.Column("geom", Geometry("MULTIPOLYGON"), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_commune_contours_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_commune_contours")),
    )
    with op.batch_alter_table("commune_contours", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commune_contours_dataset_version_id"),
            ["dataset_version_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_commune_contours_territory"), ["territory"], unique=False
        )

    op.create_table(
        "communes",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parent_code", sa.String(length=5), nullable=True),
        sa.Column("departement_code", sa.String(length=3), nullable=True),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_communes_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_communes")),
    )
    with op.batch_alter_table("communes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_communes_dataset_version_id"), ["dataset_version_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_communes_departement_code"), ["departement_code"], unique=False
        )

    op.create_table(
        "departements",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("zone", sa.String(length=8), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_departements_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departements")),
    )
    with op.batch_alter_table("departements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_departements_dataset_version_id"), ["dataset_version_id"], unique=False
        )

    op.create_table(
        "epci",
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_epci_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_epci")),
    )
    with op.batch_alter_table("epci", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_epci_dataset_version_id"), ["dataset_version_id"], unique=False
        )

    op.create_table(
        "epci_members",
        sa.Column("epci_code", sa.String(length=9), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_epci_members_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("epci_code", "commune_code", name=op.f("pk_epci_members")),
    )
    with op.batch_alter_table("epci_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_epci_members_dataset_version_id"), ["dataset_version_id"], unique=False
        )

    op.create_table(
        "laureates",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("commune_name", sa.Text(), nullable=True),
        sa.Column("wave", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=True),
        sa.Column("precision", sa.String(length=16), nullable=False),
        sa.Column("territory", sa.String(length=24), nullable=True),
        sa.Column("geom", Geometry("POINT"), nullable=True),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_laureates_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_laureates")),
    )
    with op.batch_alter_table("laureates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_laureates_commune_code"), ["commune_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_laureates_dataset_version_id"), ["dataset_version_id"], unique=False
        )

    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("commune_name", sa.Text(), nullable=True),
        sa.Column("precision", sa.String(length=16), nullable=False),
        sa.Column("territory", sa.String(length=24), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("geom", Geometry("POINT"), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_places_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
        sa.UniqueConstraint("kind", "external_id", name=op.f("uq_places_kind_external_id")),
    )
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_places_commune_code"), ["commune_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_places_dataset_version_id"), ["dataset_version_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_places_kind"), ["kind"], unique=False)

    op.create_table(
        "qpv",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vintage", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("commune_codes", sa.JSON(), nullable=True),
        sa.Column("commune_names", sa.Text(), nullable=True),
        sa.Column("departement_code", sa.String(length=3), nullable=True),
        sa.Column("territory", sa.String(length=24), nullable=False),
        sa.Column("geom", Geometry("MULTIPOLYGON"), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_qpv_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qpv")),
        sa.UniqueConstraint("vintage", "code", name=op.f("uq_qpv_vintage_code")),
    )
    with op.batch_alter_table("qpv", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_qpv_dataset_version_id"), ["dataset_version_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_qpv_territory"), ["territory"], unique=False)
        batch_op.create_index(batch_op.f("ix_qpv_vintage"), ["vintage"], unique=False)

    op.create_table(
        "qpv_communes",
        sa.Column("vintage", sa.String(length=8), nullable=False),
        sa.Column("qpv_code", sa.String(length=12), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("qpv_name", sa.Text(), nullable=False),
        sa.Column("commune_name", sa.Text(), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_qpv_communes_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "vintage", "qpv_code", "commune_code", name=op.f("pk_qpv_communes")
        ),
    )
    with op.batch_alter_table("qpv_communes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_qpv_communes_dataset_version_id"), ["dataset_version_id"], unique=False
        )

    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("zone", sa.String(length=8), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_regions_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_regions_dataset_version_id"), ["dataset_version_id"], unique=False
        )

    op.create_table(
        "networks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("laureate_id", sa.String(length=16), nullable=True),
        sa.Column("dataset_version_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_networks_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["laureate_id"],
            ["laureates.id"],
            name=op.f("fk_networks_laureate_id_laureates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_networks")),
    )
    op.create_table(
        "network_members",
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("place_kind", sa.String(length=32), nullable=False),
        sa.Column("place_external_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["networks.id"],
            name=op.f("fk_network_members_network_id_networks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "network_id", "place_kind", "place_external_id", name=op.f("pk_network_members")
        ),
    )
    if postgis:
        for index, table in SPATIAL_INDEXES.items():
            op.create_index(index, table, ["geom"], postgresql_using="gist")


def downgrade() -> None:
    op.drop_table("network_members")
    op.drop_table("networks")
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regions_dataset_version_id"))

    op.drop_table("regions")
    with op.batch_alter_table("qpv_communes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qpv_communes_dataset_version_id"))

    op.drop_table("qpv_communes")
    with op.batch_alter_table("qpv", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qpv_vintage"))
        batch_op.drop_index(batch_op.f("ix_qpv_territory"))
        batch_op.drop_index(batch_op.f("ix_qpv_dataset_version_id"))

    op.drop_table("qpv")
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_places_kind"))
        batch_op.drop_index(batch_op.f("ix_places_dataset_version_id"))
        batch_op.drop_index(batch_op.f("ix_places_commune_code"))

    op.drop_table("places")
    with op.batch_alter_table("laureates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_laureates_dataset_version_id"))
        batch_op.drop_index(batch_op.f("ix_laureates_commune_code"))

    op.drop_table("laureates")
    with op.batch_alter_table("epci_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epci_members_dataset_version_id"))

    op.drop_table("epci_members")
    with op.batch_alter_table("epci", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epci_dataset_version_id"))

    op.drop_table("epci")
    with op.batch_alter_table("departements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_departements_dataset_version_id"))

    op.drop_table("departements")
    with op.batch_alter_table("communes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_communes_departement_code"))
        batch_op.drop_index(batch_op.f("ix_communes_dataset_version_id"))

    op.drop_table("communes")
    with op.batch_alter_table("commune_contours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commune_contours_territory"))
        batch_op.drop_index(batch_op.f("ix_commune_contours_dataset_version_id"))

    op.drop_table("commune_contours")
    with op.batch_alter_table("commune_classes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commune_classes_dataset_version_id"))
        batch_op.drop_index(batch_op.f("ix_commune_classes_commune_code"))

    op.drop_table("commune_classes")
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_versions_source"))

    op.drop_table("dataset_versions")
