"""Alembic environment: the engine comes from the caller (gis.migrations.upgrade)."""

from alembic import context
from geoalchemy2 import alembic_helpers

from gis.schema import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        transaction_per_migration=False,
    )
    context.run_migrations()
