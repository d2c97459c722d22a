"""PostgreSQL for storage tests: `.ci/run` starts a real server and sets ZYN_TEST_POSTGRES_URL.

Each use gets an empty schema so tests do not see each other's rows. Under pytest-xdist every
worker gets its own database beside the given one (`zyn_test_gw0`, `zyn_test_gw1`, ... created on
first use): the tests wipe the schema they use, and two workers wiping one database would delete
each other's rows mid-test.
"""

from __future__ import annotations

import functools
import os

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from core.telemetry.db import make_engine

BACKENDS = ["sqlite", "postgres"]


@functools.cache
def pg_url() -> str:
    """This process's PostgreSQL test database ('' when ZYN_TEST_POSTGRES_URL is not set)."""
    given = os.environ.get("ZYN_TEST_POSTGRES_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not given or not worker:
        return given
    from sqlmodel import create_engine

    url = make_url(given.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{url.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def fresh_engine(backend: str, tmp_path: object) -> Engine:
    """A database with Zyn's tables and no rows, on the given backend."""
    if backend == "sqlite":
        return make_engine(f"sqlite:///{tmp_path}/zyn.db")
    if not pg_url():
        pytest.skip("ZYN_TEST_POSTGRES_URL not set (.ci/run sets it)")
    from sqlmodel import create_engine

    raw = create_engine(pg_url().replace("postgresql://", "postgresql+psycopg://", 1))
    with raw.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    raw.dispose()
    return make_engine(pg_url())
