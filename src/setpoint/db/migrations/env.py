"""Alembic environment: runs on the connection handed in by `setpoint.db.migrate`."""

from __future__ import annotations

from alembic import context

from setpoint.db.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations with `setpoint migrate` (setpoint.db.migrate), not bare alembic"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
