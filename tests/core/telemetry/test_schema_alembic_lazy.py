"""A start on a database already at the head never imports Alembic (issue 20.5: ~10 MB of alembic
and mako kept for the life of `zyn run` to learn there was nothing to do); a database behind the
head is still migrated. Both on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from core.telemetry.db import make_engine
from core.telemetry.schema import HEAD, alembic_config, current_revision
from tests.pg import BACKENDS, fresh_engine

ROOT = Path(__file__).resolve().parents[3]
START = """
import sys
from core.telemetry.db import make_engine
engine = make_engine(sys.argv[1])
with engine.connect() as conn:
    from core.telemetry.schema import current_revision
    print(current_revision(conn), 'alembic' in sys.modules, 'mako' in sys.modules)
"""


def _start_in_a_new_process(url: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", START, url], capture_output=True, text=True, cwd=ROOT, check=True)
    return out.stdout.split()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_start_at_the_head_reads_the_version_without_importing_alembic(backend: str, tmp_path: Path) -> None:
    engine = fresh_engine(backend, tmp_path)  # created at the head, as every start after the first finds it
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    assert _start_in_a_new_process(url) == [HEAD, "False", "False"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_behind_the_head_is_still_upgraded(backend: str, tmp_path: Path) -> None:
    engine = fresh_engine(backend, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    with engine.connect() as conn:  # back to the revision before the head: the candles table goes
        command.downgrade(alembic_config(conn), "-1")
        conn.commit()
    with engine.connect() as conn:
        assert current_revision(conn) != HEAD and "candles" not in inspect(conn).get_table_names()
    engine.dispose()
    assert _start_in_a_new_process(url)[:2] == [HEAD, "True"]
    again = make_engine(url)
    with again.connect() as conn:
        assert current_revision(conn) == HEAD and "candles" in inspect(conn).get_table_names()
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    again.dispose()
