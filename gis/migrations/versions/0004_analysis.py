"""Analysis: kept contiguity, population, a change log of the inputs, stored results.

Revision ID: 0004
Revises: 0003

- ``commune_neighbour`` keeps the commune contiguity per boundary version (building it
  for the 3,321 national communes takes seconds; a warm Gi* must take well under one).
- ``population`` is the optional table behind population-weighted coverage and rates.
- ``data_change`` gets one row per statement that writes an input of the analysis
  (statement-level triggers, so bulk COPY pays one row per statement): a stored result
  records the counts it saw and is recomputed when they differ. Being transactional, a
  change becomes visible together with the data it describes.
- ``analysis_result`` keeps each result with its parameters and the data as of then.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WATCHED = ("admin_unit", "site", "site_status_history", "incident", "population")


def upgrade() -> None:
    op.create_table(
        "neighbour_build",
        sa.Column("boundary_version", sa.Integer, primary_key=True),
        sa.Column("communes", sa.Integer, nullable=False),
        sa.Column("queen_pairs", sa.Integer, nullable=False),
        sa.Column("islands", sa.Integer, nullable=False),
        sa.Column("tolerance_m", sa.Float, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column(
            "built_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "commune_neighbour",
        sa.Column(
            "boundary_version",
            sa.Integer,
            sa.ForeignKey("neighbour_build.boundary_version", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("neighbour_code", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False, comment="queen | nearest (islands)"),
        sa.Column("distance_m", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint(
            "boundary_version", "code", "neighbour_code", name="pk_commune_neighbour"
        ),
        sa.CheckConstraint("kind IN ('queen', 'nearest')", name="ck_commune_neighbour_kind"),
    )
    op.create_table(
        "population",
        sa.Column(
            "code", sa.Text, sa.ForeignKey("admin_unit.code", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("year", sa.SmallInteger, nullable=False),
        sa.Column("population", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("code", "year", name="pk_population"),
        sa.CheckConstraint("population >= 0", name="ck_population_population"),
    )
    op.create_table(
        "data_change",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_data_change_table_name", "data_change", ["table_name"])
    op.execute(
        """
        CREATE FUNCTION tuquan_log_data_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO data_change (table_name) VALUES (TG_TABLE_NAME);
            RETURN NULL;
        END $$
        """
    )
    for table in WATCHED:
        op.execute(
            f"CREATE TRIGGER tr_{table}_data_change AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION tuquan_log_data_change()"
        )
        op.execute(
            f"CREATE TRIGGER tr_{table}_data_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION tuquan_log_data_change()"
        )
    op.create_table(
        "analysis_result",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False, comment="province code or 'all'"),
        sa.Column("params", JSONB, nullable=False),
        sa.Column("params_key", sa.Text, nullable=False),
        sa.Column("inputs", JSONB, nullable=False, comment="what the inputs were (data_change)"),
        sa.Column("inputs_key", sa.Text, nullable=False),
        sa.Column("data_as_of", sa.DateTime(timezone=True)),
        sa.Column(
            "computed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("summary", JSONB, nullable=False),
        sa.Column("geometry", sa.Text, comment="how rows get a geometry: commune | h3 | lonlat"),
        sa.Column("rows", JSONB, nullable=False),
        sa.UniqueConstraint("kind", "params_key", name="uq_analysis_result_kind"),
    )
    op.create_index("ix_analysis_result_kind_scope", "analysis_result", ["kind", "scope"])


def downgrade() -> None:
    op.drop_table("analysis_result")
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS tr_{table}_data_change ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS tr_{table}_data_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS tuquan_log_data_change()")
    op.drop_table("data_change")
    op.drop_table("population")
    op.drop_table("commune_neighbour")
    op.drop_table("neighbour_build")
