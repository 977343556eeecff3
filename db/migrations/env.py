"""Alembic environment: migrations always run on the connection Dossier hands over."""

from alembic import context

from db.tables import SQLModel

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - Dossier always passes its connection
    raise RuntimeError("Dossier migrations run through db.engine.open_engine, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
