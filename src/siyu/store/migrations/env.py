"""Alembic's environment: always called programmatically with a live connection (siyu.store.connect)."""

from alembic import context

from siyu.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
