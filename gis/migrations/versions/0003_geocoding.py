"""Geocoding: the cache of geocoded addresses, keyed on the normalised text.

Revision ID: 0003
Revises: 0002

Each entry records the boundary version it was computed against
(gis.boundaries.boundary_version); entries of another version are never read and are
deleted on the next write, so reloading boundaries invalidates the cache.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "geocode_cache",
        sa.Column(
            "key", sa.Text, nullable=False, comment="normalised text (gis.normalise.cache_key)"
        ),
        sa.Column("mode", sa.Text, nullable=False, comment="offline, or online when refined"),
        sa.Column("boundary_version", sa.Integer, nullable=False),
        sa.Column("result", JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("key", "mode", name="pk_geocode_cache"),
        sa.CheckConstraint("mode IN ('offline', 'online')", name="ck_geocode_cache_mode"),
    )
    op.create_index("ix_geocode_cache_boundary_version", "geocode_cache", ["boundary_version"])


def downgrade() -> None:
    op.drop_table("geocode_cache")
