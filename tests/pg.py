"""PostgreSQL for storage tests: `.ci/run` starts a real server and sets ZYN_TEST_POSTGRES_URL.

Each use gets an empty schema so tests do not see each other's rows.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.telemetry.db import make_engine

PG_URL = os.environ.get("ZYN_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgres"]


def fresh_engine(backend: str, tmp_path: object) -> Engine:
    """A database with Zyn's tables and no rows, on the given backend."""
    if backend == "sqlite":
        return make_engine(f"sqlite:///{tmp_path}/zyn.db")
    if not PG_URL:
        pytest.skip("ZYN_TEST_POSTGRES_URL not set (.ci/run sets it)")
    from sqlmodel import create_engine

    raw = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with raw.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    raw.dispose()
    return make_engine(PG_URL)
