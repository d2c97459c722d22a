"""A database written by the version before Alembic is upgraded on start, every row exact.

The fixture `fixtures/main_before_alembic.sql` is a SQLite dump of a database that version wrote
through its own models (float money columns; trades, orders, positions and kv rows). On SQLite
it is loaded as is; on PostgreSQL the baseline revision builds that schema and the same INSERTs
fill it. Then `make_engine` (what every command runs on start) upgrades it.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal as D
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine, select

from core.clock import SimClock
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import KeyValueRow, OrderRow, PositionRow, TradeRow
from core.telemetry.schema import BASELINE, HEAD, alembic_config, current_revision
from core.trading.uow_sql import SqlUnitOfWork
from tests.pg import BACKENDS, pg_url

FIXTURE = Path(__file__).with_name("fixtures") / "main_before_alembic.sql"


def _inserts() -> list[str]:
    return [line for line in FIXTURE.read_text().splitlines() if line.startswith("INSERT INTO")]


def _old_database(backend: str, tmp_path: Path) -> str:
    """A database as the version before Alembic left it; returns its URL."""
    if backend == "sqlite":
        path = tmp_path / "old.db"
        con = sqlite3.connect(path)
        con.executescript(FIXTURE.read_text())
        con.close()
        return f"sqlite:///{path}"
    if not pg_url():
        pytest.skip("ZYN_TEST_POSTGRES_URL not set (.ci/run sets it)")
    url = pg_url().replace("postgresql://", "postgresql+psycopg://", 1)
    raw = create_engine(url)
    with raw.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    with raw.connect() as conn:
        command.upgrade(alembic_config(conn), BASELINE)
        conn.execute(text("DROP TABLE alembic_version"))  # that version had no version table
        for line in _inserts():
            conn.execute(text(line.replace("\\", "\\\\").replace(":", "\\:")))
        conn.commit()
    raw.dispose()
    return url


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_from_before_alembic_keeps_every_row_with_exact_decimals(backend: str, tmp_path: Path) -> None:
    url = _old_database(backend, tmp_path)
    engine = make_engine(url)  # what `zyn run` (any command) does on start
    with engine.connect() as conn:
        assert current_revision(conn) == HEAD
    with Session(engine) as s:
        trades = {t.id: t for t in s.exec(select(TradeRow)).all()}
        orders = {o.id: o for o in s.exec(select(OrderRow)).all()}
        positions = {p.trade_id: p for p in s.exec(select(PositionRow)).all()}
    assert sorted(trades) == [1, 2, 3] and sorted(orders) == [1, 2, 3] and sorted(positions) == [2, 3]
    t1 = trades[1]
    assert (t1.amount, t1.entry_price, t1.exit_price, t1.stop_price, t1.target_price) == (
        D("0.01234567"), D("29123.45678901"), D("30001.1"), D("28000.5"), D("31000.25"),
    )
    assert (t1.initial_risk, t1.fees, t1.pnl, t1.r_multiple) == (
        D("13.87"), D("0.74123456789"), D("9.876543210123"), 0.71,
    )
    assert all(isinstance(v, D) for v in (t1.amount, t1.entry_price, t1.fees, t1.pnl))
    assert (t1.status, t1.exit_reason, t1.atr, t1.context_json) == ("closed", "target", 512.3, '{"hour": 3}')
    t2, t3 = trades[2], trades[3]
    assert (t2.amount, t2.entry_price, t2.stop_price, t2.target_price, t2.pnl) == (
        D("0.02"), D("30500.123"), D("5000"), None, None,
    )
    assert (t3.stop_price, t3.target_price, t3.initial_risk, t3.fees) == (
        D("1900.123456789"), D("2200.5"), D("49.9"), D("2.5999"),
    )
    assert [(o.client_ref, o.amount, o.price, o.status) for o in orders.values()] == [
        ("zyn-a1", D("0.01234567"), D("29123.45678901"), "closed"),
        ("zyn-a2", D("0.02"), D("5000"), "open"),
        ("zyn-a3", D("0.5"), None, "new"),
    ]
    p2, p3 = positions[2], positions[3]
    assert (p2.entry_cost, p2.stop, p2.target, p2.initial_risk, p2.stop_order_id) == (
        D("610.16105460000000001"), D("5000"), None, D("510.0024"), "OAAAAA-2",
    )
    assert (p3.amount, p3.realized, p3.proceeds, p3.initial_risk) == (
        D("0.4990"), D("-0.000123456789012345"), D("2.00123456789"), D("49.9"),
    )
    assert (p2.origin, p2.placed_by, p3.origin) == ("autopilot", "", "autopilot")  # one position per pair before
    kv = KeyValueStore(engine)
    assert kv.get_json("trading:guard") == {"day": 19675, "start_equity": 10000.5}
    assert kv.get_json("manual:trade:2") == {"user_name": "jimmy", "channel": "telegram", "ms": 1700007200000}
    # A second start finds the head and changes nothing.
    again = make_engine(url)
    with again.connect() as conn:
        assert current_revision(conn) == HEAD
    with Session(again) as s:
        pnls = [(t.id, t.pnl) for t in s.exec(select(TradeRow)).all()]
    assert pnls == [(1, D("9.876543210123")), (2, None), (3, None)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_revisions_build_the_same_schema_as_a_new_database(backend: str, tmp_path: Path) -> None:
    """A new database is made with create_all + stamp; an old one through the revisions: same schema."""
    engine = make_engine(_old_database(backend, tmp_path))
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diffs == []


def test_the_head_constant_is_the_last_revision() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_current_head() == HEAD
    assert [r.revision for r in scripts.walk_revisions()][-1] == BASELINE


def test_the_baseline_revision_is_the_schema_the_version_before_alembic_wrote(tmp_path: Path) -> None:
    old = create_engine(_old_database("sqlite", tmp_path))
    baseline = create_engine(f"sqlite:///{tmp_path}/baseline.db")
    with baseline.connect() as conn:
        command.upgrade(alembic_config(conn), BASELINE)
        conn.commit()
    assert _columns(baseline) == _columns(old)


def _columns(engine: Engine) -> dict[str, list[tuple[str, str, bool]]]:
    insp = inspect(engine)
    return {
        name: [(c["name"], str(c["type"]), bool(c["nullable"])) for c in insp.get_columns(name)]
        for name in insp.get_table_names()
        if name != "alembic_version"
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_bracket_still_kept_as_kv_json_becomes_its_exact_position_row(backend: str, tmp_path: Path) -> None:
    """The layout before the positions table: an open position as bracket JSON in the kv store
    (what `Bracket.to_json` wrote then). The upgrade moves it into `positions` and drops the kv row."""
    url = _old_database(backend, tmp_path)
    legacy = {
        "trade_id": 3, "pair": "ETH/USD", "amount": "0.4990", "entry_price": "1999.99",
        "entry_cost": "1002.5948999999999", "entry_fee": "2.5999", "stop": "1900.123456789", "target": "2200.5",
        "stop_order_id": "OSTOP-3", "initial_risk": 49.9, "entry_ms": 1700007300000, "sold": "0.001",
        "proceeds": "2.00123456789", "realized": "-0.000123456789012345", "exit_fees": "0.0052", "entry_ref": "zyn-b3",
    }
    old = create_engine(url)
    with old.begin() as conn:
        conn.execute(text("DELETE FROM positions WHERE trade_id = 3"))
        conn.execute(text("INSERT INTO kv (key, value, updated_ms) VALUES (:k, :v, 1)"),
                     {"k": "trading:bracket:3", "v": json.dumps(legacy)})
    old.dispose()
    engine = make_engine(url)
    with Session(engine) as s:
        row = s.get(PositionRow, 3)
        assert row is not None
        assert s.exec(select(KeyValueRow).where(KeyValueRow.key == "trading:bracket:3")).first() is None
    assert (row.amount, row.entry_cost, row.stop, row.target, row.realized, row.initial_risk) == (
        D("0.4990"), D("1002.5948999999999"), D("1900.123456789"), D("2200.5"), D("-0.000123456789012345"), D("49.9"),
    )
    assert (row.stop_order_id, row.entry_ref, row.sold, row.exit_fees, row.origin) == (
        "OSTOP-3", "zyn-b3", D("0.001"), D("0.0052"), "autopilot",
    )
    assert SqlUnitOfWork(engine, SimClock(0)).load()[3].proceeds == D("2.00123456789")
