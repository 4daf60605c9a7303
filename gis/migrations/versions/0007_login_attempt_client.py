"""Index the login attempts by client address and time.

Revision ID: 0007
Revises: 0006

The login throttle counts recent failures per user name and per client address; with this
index both counts are index scans (a bitmap OR) instead of a scan of every attempt ever made.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_login_attempt_client_at", "login_attempt", ["client", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempt_client_at", table_name="login_attempt")
