"""Tables of the system of record (GeoAlchemy2); the history lives in gis/migrations."""

from __future__ import annotations

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY, JSON, JSONB

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

import_batch = sa.Table(
    "import_batch",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),  # sites | incidents
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("imported_by", sa.Text, nullable=False),
    sa.Column(
        "imported_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("mode", sa.Text, nullable=False),  # all_or_nothing | skip_bad_rows
    sa.Column("rows_total", sa.Integer, nullable=False),
    sa.Column("rows_imported", sa.Integer, nullable=False),
    sa.Column("rows_rejected", sa.Integer, nullable=False),
    sa.Column("inserted", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=False),
    sa.Column("is_synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("source", sa.Text),  # default incident source of the batch
    sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("warnings", sa.Integer, nullable=False, server_default="0"),
)

import_row_error = sa.Table(
    "import_row_error",
    metadata,
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("import_batch.id", ondelete="CASCADE")),
    sa.Column("row_number", sa.Integer, nullable=False),
    sa.Column("column_name", sa.Text),
    sa.Column("value", sa.Text),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=False, server_default="error"),  # error | warning
)


def _point() -> Geometry:
    return Geometry("POINT", srid=4326, spatial_index=False)


site = sa.Table(
    "site",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("ref", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),  # gis.domain.SITE_KINDS
    sa.Column("components", ARRAY(sa.SmallInteger), nullable=False),  # subset of 1..5
    sa.Column("status", sa.Text, nullable=False),  # gis.domain.SITE_STATUSES
    sa.Column("started_on", sa.Date),
    sa.Column("host_unit", sa.Text),
    sa.Column("address", sa.Text),
    sa.Column("province_code", sa.Text, sa.ForeignKey("admin_unit.code"), nullable=False),
    sa.Column("commune_code", sa.Text, sa.ForeignKey("admin_unit.code"), nullable=False),
    sa.Column("geom", _point(), nullable=False),
    sa.Column("precision", sa.Text, nullable=False),  # gis.domain.PRECISIONS
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("address_commune_code", sa.Text),  # named by the address; differs → flagged
    sa.Column("notes", sa.Text),
    sa.Column("import_batch_id", sa.BigInteger, sa.ForeignKey("import_batch.id")),
    sa.Column("is_synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("updated_by", sa.Text, nullable=False),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.UniqueConstraint("province_code", "ref"),
)

site_status_history = sa.Table(
    "site_status_history",
    metadata,
    sa.Column("site_id", sa.BigInteger, sa.ForeignKey("site.id", ondelete="CASCADE")),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("changed_on", sa.Date, nullable=False),
    sa.Column("changed_by", sa.Text, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column(
        "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

# Distributable by province (Citus): province_code leads the primary and unique keys.
incident = sa.Table(
    "incident",
    metadata,
    sa.Column("province_code", sa.Text, sa.ForeignKey("admin_unit.code"), primary_key=True),
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("external_ref", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("category", sa.Text, nullable=False),  # gis.domain.INCIDENT_CATEGORIES
    sa.Column("subcategory", sa.Text),
    sa.Column("address", sa.Text),
    sa.Column("commune_code", sa.Text, sa.ForeignKey("admin_unit.code"), nullable=False),
    sa.Column("geom", _point(), nullable=False),
    sa.Column("precision", sa.Text, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("address_commune_code", sa.Text),  # named by the address; differs → flagged
    sa.Column("import_batch_id", sa.BigInteger, sa.ForeignKey("import_batch.id")),
    sa.Column("is_synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.UniqueConstraint("province_code", "source", "external_ref"),
)

# -- geocoding (migrations 0003, 0008) ------------------------------------------------------------
# Geocoded addresses keyed on the normalised text; rows of another boundary version are stale.
geocode_cache = sa.Table(
    "geocode_cache",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),  # gis.normalise.cache_key
    sa.Column("mode", sa.Text, primary_key=True),  # offline | online
    sa.Column("boundary_version", sa.Integer, nullable=False),
    sa.Column("result", JSON, nullable=False),  # json since 0008: written and read whole
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.CheckConstraint("mode IN ('offline', 'online')", name="mode"),
    sa.Index("ix_geocode_cache_boundary_version", "boundary_version"),
)

# -- analysis (migration 0004) ----------------------------------------------------------------

neighbour_build = sa.Table(
    "neighbour_build",
    metadata,
    sa.Column("boundary_version", sa.Integer, primary_key=True),
    sa.Column("communes", sa.Integer, nullable=False),
    sa.Column("queen_pairs", sa.Integer, nullable=False),
    sa.Column("islands", sa.Integer, nullable=False),
    sa.Column("tolerance_m", sa.Float, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("built_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

commune_neighbour = sa.Table(
    "commune_neighbour",
    metadata,
    sa.Column(
        "boundary_version",
        sa.Integer,
        sa.ForeignKey("neighbour_build.boundary_version", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("neighbour_code", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),  # queen | nearest (islands)
    sa.Column("distance_m", sa.Float, nullable=False),
)

population = sa.Table(
    "population",
    metadata,
    sa.Column(
        "code", sa.Text, sa.ForeignKey("admin_unit.code", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("year", sa.SmallInteger, primary_key=True),
    sa.Column("population", sa.Integer, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column(
        "loaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

# One row per statement that wrote an analysis input (triggers of migration 0004).
data_change = sa.Table(
    "data_change",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("table_name", sa.Text, nullable=False),
    sa.Column(
        "changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

analysis_result = sa.Table(
    "analysis_result",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),  # province code or 'all'
    sa.Column("params", JSONB, nullable=False),
    sa.Column("params_key", sa.Text, nullable=False),
    sa.Column("inputs", JSONB, nullable=False),
    sa.Column("inputs_key", sa.Text, nullable=False),
    sa.Column("data_as_of", sa.DateTime(timezone=True)),
    sa.Column(
        "computed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("summary", JSONB, nullable=False),
    sa.Column("geometry", sa.Text),  # commune | h3 | lonlat
    sa.Column("rows", JSONB, nullable=False),
    sa.UniqueConstraint("kind", "params_key", name="uq_analysis_result_kind"),
    sa.Index("ix_analysis_result_kind_scope", "kind", "scope"),
)

# -- H3 hexagon shapes of the grid hotspot collection (migration 0006) -------------------------
h3_cell = sa.Table(
    "h3_cell",
    metadata,
    sa.Column("cell", sa.Text, primary_key=True),  # H3 index, hexadecimal
    sa.Column("resolution", sa.SmallInteger, nullable=False),
    sa.Column("geom", Geometry("POLYGON", srid=4326, spatial_index=False), nullable=False),
    sa.Column("boundary_version", sa.Integer),  # of province_code / commune_code
    sa.Column("province_code", sa.Text),  # of the commune holding the centre (or nearest)
    sa.Column("commune_code", sa.Text),
    sa.Index("ix_h3_cell_geom", "geom", postgresql_using="gist"),
)
