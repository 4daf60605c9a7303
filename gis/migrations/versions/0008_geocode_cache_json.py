"""Store the geocode cache's results as json, not jsonb.

Revision ID: 0008
Revises: 0007

A cached result is written once and read back whole; the only operator on it is
``result->>'gv'`` (the matcher's version), which json answers as well. jsonb parses each
entry into its binary form on the way in: the server spent ~0.13 s of CPU taking in a
cold 10k-address batch, ~0.08 s as json, on a two-core machine it shares with the batch.
The entries are kept (a cast; the cache is small next to the tables that matter).
"""

from alembic import op
from sqlalchemy.dialects.postgresql import JSON, JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column(
        "geocode_cache", "result", type_=JSON, existing_nullable=False,
        postgresql_using="result::json",
    )  # fmt: skip


def downgrade() -> None:
    op.alter_column(
        "geocode_cache", "result", type_=JSONB, existing_nullable=False,
        postgresql_using="result::jsonb",
    )  # fmt: skip
