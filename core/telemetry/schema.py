"""Bring any database to the current schema on start: Alembic revisions, run in-process.

Why Alembic: the money columns changed type (floats -> exact decimals) and the positions table
gained columns; `create_all` only creates missing tables, it never alters one, so a database
written by an earlier version would keep float columns for ever. The revisions in
`core/telemetry/migrations/versions/` are the schema's history; every start runs the missing ones.

Three cases, decided by what is in the database:
- empty (a new install, every test database): `create_all` + stamp the head revision. Same schema
  as running every revision (a test compares them), without Alembic's start-up cost.
- tables but no `alembic_version` (written by the version before Alembic): that is exactly the
  baseline revision's schema, so it is stamped `BASELINE` and upgraded from there.
- versioned and behind: upgraded to the head. At the head: nothing to do.

Alembic itself (~10 MB resident with mako, ~0.3-2 s to import) is imported only when a database is
behind: the version table is read with plain SQLAlchemy, and a database at the head (every start
but the first after an upgrade) or a new one never loads it (issue 20.5).
On PostgreSQL an advisory lock keeps two processes starting at once (web, scheduler) from running
the same revision twice; on SQLite the revisions' transactions serialize them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from loguru import logger
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

if TYPE_CHECKING:
    from alembic.config import Config

BASELINE = "0001_baseline"
HEAD = "0004_candles"
_LOCK_KEY = 7_212_012  # any constant: the pg advisory lock of schema upgrades
_SCRIPTS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config  # lazy: alembic loads only for a database that is behind

    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(connection: Connection) -> str | None:
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return str(row[0]) if row is not None else None


def upgrade(engine: Engine) -> str:
    """Upgrade the database to the head revision; returns what was done (for the log)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            conn.commit()
        try:
            return _upgrade(conn)
        finally:
            if conn.dialect.name == "postgresql":
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                conn.commit()


def _upgrade(conn: Connection) -> str:
    tables = set(inspect(conn).get_table_names())
    version = current_revision(conn)
    if version == HEAD:
        return "at head"
    if not tables - {"alembic_version"}:
        SQLModel.metadata.create_all(conn)
        _stamp(conn, HEAD)
        conn.commit()
        return "created"
    from alembic import command  # lazy: alembic loads only for a database that is behind

    cfg = alembic_config(conn)
    if version is None:
        logger.bind(action="schema").info("database written before Alembic: stamped {}", BASELINE)
        command.stamp(cfg, BASELINE)
        conn.commit()
    command.upgrade(cfg, "head")
    conn.commit()
    logger.bind(action="schema").info("schema upgraded from {} to {}", version or BASELINE, HEAD)
    return f"upgraded from {version or BASELINE}"


def _stamp(conn: Connection, revision: str) -> None:
    conn.execute(text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
    conn.execute(text("DELETE FROM alembic_version"))
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})
