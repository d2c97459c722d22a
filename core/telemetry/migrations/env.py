"""Alembic's environment: run the revisions on the connection `core.telemetry.schema` hands over.

Zyn never runs the `alembic` command line: the schema is upgraded on every start
(`core.telemetry.schema.upgrade`), inside the process, on the engine it already has.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import core.paper.store  # noqa: F401  (registers the paper_* tables)
import core.telemetry.models  # noqa: F401  (registers the tables)


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,  # SQLite alters a table by copying it
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
