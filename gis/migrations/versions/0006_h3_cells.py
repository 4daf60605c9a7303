"""H3 hexagon shapes for the grid hotspot collection and tiles.

Revision ID: 0006
Revises: 0005

PostGIS has no H3 functions here, so the hexagons of stored grid results are kept as
polygons (a cell's shape never changes), with the commune holding the cell's centre (or the
nearest one) for scope filtering, re-derived when boundaries are reloaded.
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "h3_cell",
        sa.Column("cell", sa.Text, primary_key=True, comment="H3 index, hexadecimal"),
        sa.Column("resolution", sa.SmallInteger, nullable=False),
        sa.Column("geom", Geometry("POLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.Column("boundary_version", sa.Integer, comment="of province_code/commune_code"),
        sa.Column("province_code", sa.Text),
        sa.Column("commune_code", sa.Text),
    )
    op.create_index("ix_h3_cell_geom", "h3_cell", ["geom"], postgresql_using="gist")


def downgrade() -> None:
    op.drop_table("h3_cell")
