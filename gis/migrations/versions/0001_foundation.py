"""Foundation: PostGIS, boundary sources and administrative units.

Revision ID: 0001
Revises:
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "boundary_source",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("province_code", sa.Text),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("commit", sa.Text),
        sa.Column("files", JSONB, nullable=False),
        sa.Column("licence", sa.Text),
        sa.Column("attribution", sa.Text),
        sa.Column("feature_count", sa.Integer, nullable=False),
        sa.Column("repairs", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "admin_unit",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("parent_code", sa.Text, sa.ForeignKey("admin_unit.code", ondelete="RESTRICT")),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("full_name", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text),
        sa.Column("unit_type", sa.Text),
        sa.Column("area_km2", sa.Float, nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.Geometry("MULTIPOLYGON", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("boundary_source.id"), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.CheckConstraint("level IN ('province', 'commune')", name="ck_admin_unit_level"),
        sa.CheckConstraint(
            "(level = 'province') = (parent_code IS NULL)", name="ck_admin_unit_parent"
        ),
    )
    op.create_index("ix_admin_unit_geom", "admin_unit", ["geom"], postgresql_using="gist")
    op.create_index("ix_admin_unit_parent_code", "admin_unit", ["parent_code"])
    op.create_index("ix_boundary_source_fingerprint", "boundary_source", ["fingerprint"])


def downgrade() -> None:
    op.drop_table("admin_unit")
    op.drop_table("boundary_source")
