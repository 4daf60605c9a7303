"""Records: model sites (with status history), incidents, import batches and row errors.

Revision ID: 0002
Revises: 0001

Incidents carry the province code in their primary key and unique keys, so that a
national deployment can distribute the table by province (Citus) without a rewrite.
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KINDS = "('commune', 'village', 'clan', 'religious', 'organisation')"
STATUSES = "('planned', 'pilot', 'replicated', 'suspended')"
CATEGORIES = "('crime', 'social_evils', 'property_fire', 'public_order', 'offenders', 'other')"
PRECISIONS = "('coordinates', 'street', 'legacy_commune', 'commune', 'province')"


def _point():
    return geoalchemy2.Geometry("POINT", srid=4326, spatial_index=False)


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("imported_by", sa.Text, nullable=False),
        sa.Column(
            "imported_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("mode", sa.Text, nullable=False),
        sa.Column("rows_total", sa.Integer, nullable=False),
        sa.Column("rows_imported", sa.Integer, nullable=False),
        sa.Column("rows_rejected", sa.Integer, nullable=False),
        sa.Column("inserted", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("is_synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("source", sa.Text, comment="default incident source of the batch"),
        sa.Column(
            "unchanged",
            sa.Integer,
            nullable=False,
            server_default="0",
            comment="rows whose record was already identical",
        ),
        sa.Column(
            "warnings",
            sa.Integer,
            nullable=False,
            server_default="0",
            comment="rows imported with a flag (e.g. coordinates and address disagree)",
        ),
        sa.CheckConstraint("kind IN ('sites', 'incidents')", name="ck_import_batch_kind"),
        sa.CheckConstraint(
            "mode IN ('all_or_nothing', 'skip_bad_rows')", name="ck_import_batch_mode"
        ),
    )
    op.create_table(
        "import_row_error",
        sa.Column(
            "batch_id",
            sa.BigInteger,
            sa.ForeignKey("import_batch.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("column_name", sa.Text),
        sa.Column("value", sa.Text),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("severity", sa.Text, nullable=False, server_default="error"),
        sa.CheckConstraint("severity IN ('error', 'warning')", name="ck_import_row_error_severity"),
    )
    op.create_index("ix_import_row_error_batch_id", "import_row_error", ["batch_id"])

    op.create_table(
        "site",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "ref",
            sa.Text,
            nullable=False,
            comment="external reference, or a key derived from name, kind and commune",
        ),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column(
            "components",
            ARRAY(sa.SmallInteger),
            nullable=False,
            comment="subset of 1..5 (gis.domain.COMPONENTS)",
        ),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("started_on", sa.Date),
        sa.Column("host_unit", sa.Text, comment="the police unit that hosts the site"),
        sa.Column("address", sa.Text),
        sa.Column("province_code", sa.Text, sa.ForeignKey("admin_unit.code"), nullable=False),
        sa.Column("commune_code", sa.Text, sa.ForeignKey("admin_unit.code"), nullable=False),
        sa.Column("geom", _point(), nullable=False),
        sa.Column("precision", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column(
            "address_commune_code",
            sa.Text,
            comment="commune the address names, when coordinates were also given: "
            "differs from commune_code when the two disagree",
        ),
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
        sa.UniqueConstraint("province_code", "ref", name="uq_site_province_code_ref"),
        sa.CheckConstraint(f"kind IN {KINDS}", name="ck_site_kind"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_site_status"),
        sa.CheckConstraint(f"precision IN {PRECISIONS}", name="ck_site_precision"),
        sa.CheckConstraint("components <@ ARRAY[1,2,3,4,5]::smallint[]", name="ck_site_components"),
        sa.CheckConstraint("score >= 0 AND score <= 1", name="ck_site_score"),
    )
    op.create_index("ix_site_geom", "site", ["geom"], postgresql_using="gist")
    op.create_index("ix_site_commune_code", "site", ["commune_code"])

    op.create_table(
        "site_status_history",
        sa.Column(
            "site_id", sa.BigInteger, sa.ForeignKey("site.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("changed_on", sa.Date, nullable=False),
        sa.Column("changed_by", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_site_status_history_status"),
    )
    op.create_index(
        "ix_site_status_history_site_id", "site_status_history", ["site_id", "changed_on"]
    )

    op.create_table(
        "incident",
        sa.Column("province_code", sa.Text, sa.ForeignKey("admin_unit.code"), nullable=False),
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("external_ref", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("subcategory", sa.Text),
        sa.Column("address", sa.Text),
        sa.Column("commune_code", sa.Text, sa.ForeignKey("admin_unit.code"), nullable=False),
        sa.Column("geom", _point(), nullable=False),
        sa.Column("precision", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column(
            "address_commune_code",
            sa.Text,
            comment="commune the address names, when coordinates were also given: "
            "differs from commune_code when the two disagree",
        ),
        sa.Column("import_batch_id", sa.BigInteger, sa.ForeignKey("import_batch.id")),
        sa.Column("is_synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("province_code", "id", name="pk_incident"),
        sa.UniqueConstraint("province_code", "source", "external_ref", name="uq_incident_ref"),
        sa.CheckConstraint(f"category IN {CATEGORIES}", name="ck_incident_category"),
        sa.CheckConstraint(f"precision IN {PRECISIONS}", name="ck_incident_precision"),
        sa.CheckConstraint("score >= 0 AND score <= 1", name="ck_incident_score"),
    )
    op.create_index("ix_incident_geom", "incident", ["geom"], postgresql_using="gist")
    op.create_index(
        "ix_incident_commune_time", "incident", ["province_code", "commune_code", "occurred_at"]
    )
    op.create_index("ix_incident_time", "incident", ["province_code", "occurred_at"])


def downgrade() -> None:
    op.drop_table("incident")
    op.drop_table("site_status_history")
    op.drop_table("site")
    op.drop_table("import_row_error")
    op.drop_table("import_batch")
