"""Tables of the system of record (GeoAlchemy2); the history lives in gis/migrations."""

from __future__ import annotations

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

LEVELS = ("province", "commune")

boundary_source = sa.Table(
    "boundary_source",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("province_code", sa.Text),
    sa.Column("origin", sa.Text, nullable=False, comment="URL or path the files came from"),
    sa.Column("commit", sa.Text),
    sa.Column("files", JSONB, nullable=False, comment="relative path → sha256"),
    sa.Column("licence", sa.Text),
    sa.Column("attribution", sa.Text),
    sa.Column("feature_count", sa.Integer, nullable=False),
    sa.Column("repairs", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("fingerprint", sa.Text, nullable=False, comment="sha256 of files and options"),
    sa.Column(
        "loaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Index("ix_boundary_source_fingerprint", "fingerprint"),
)

admin_unit = sa.Table(
    "admin_unit",
    metadata,
    sa.Column("code", sa.Text, primary_key=True, comment="official unit code"),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("parent_code", sa.Text, sa.ForeignKey("admin_unit.code", ondelete="RESTRICT")),
    sa.Column("name", sa.Text, nullable=False, comment="NFC, with diacritics"),
    sa.Column("full_name", sa.Text, nullable=False),
    sa.Column("name_en", sa.Text),
    sa.Column("unit_type", sa.Text, comment="xã, phường, đặc khu, tỉnh, thành phố"),
    sa.Column("area_km2", sa.Float, nullable=False),
    sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("boundary_source.id"), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.CheckConstraint("level IN ('province', 'commune')", name="level"),
    sa.CheckConstraint("(level = 'province') = (parent_code IS NULL)", name="parent"),
    sa.Index("ix_admin_unit_geom", "geom", postgresql_using="gist"),
    sa.Index("ix_admin_unit_parent_code", "parent_code"),
)
