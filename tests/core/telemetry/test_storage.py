"""Telemetry storage on both backends: SQLite (WAL) by default and PostgreSQL via DATABASE_URL."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from core.telemetry.kv import KeyValueStore
from core.telemetry.models import DecisionRow, EquitySnapshotRow, MessageRow, SafetyEventRow, TradeRow
from tests.pg import BACKENDS, fresh_engine

BIG_TS = 1_700_000_000_000  # milliseconds do not fit a 32-bit integer column


@pytest.mark.parametrize("backend", BACKENDS)
def test_rows_round_trip_with_millisecond_timestamps(backend: str, tmp_path: Path) -> None:
    db = fresh_engine(backend, tmp_path)
    with Session(db) as s:
        s.add(DecisionRow(ts_ms=BIG_TS, pair="BTC/USD", action="skip", reason="cool-off", price=1.5, atr=0.1))
        s.add(TradeRow(pair="BTC/USD", entry_ms=BIG_TS, exit_ms=BIG_TS + 1, pnl=-2.5, status="closed"))
        s.add(EquitySnapshotRow(ts_ms=BIG_TS, equity=10_000.0))
        s.add(SafetyEventRow(ts_ms=BIG_TS, kind="stranger", channel="sms", user_id="+1555"))
        s.add(MessageRow(ts_ms=BIG_TS, channel="web", user_id="owner", text="héllo ✓"))
        s.commit()
    with Session(db) as s:
        d = s.exec(select(DecisionRow)).one()
        assert (d.ts_ms, d.reason) == (BIG_TS, "cool-off")
        assert s.exec(select(TradeRow)).one().exit_ms == BIG_TS + 1
        assert s.exec(select(MessageRow)).one().text == "héllo ✓"


@pytest.mark.parametrize("backend", BACKENDS)
def test_kv_store(backend: str, tmp_path: Path) -> None:
    kv = KeyValueStore(fresh_engine(backend, tmp_path))
    assert kv.get("x") is None
    kv.set_json("pending:web:owner", {"cmd": "buy", "amount": "0.01"})
    kv.set("pref:alerts", "on")
    kv.set("pref:alerts", "off")
    assert kv.get_json("pending:web:owner")["amount"] == "0.01"
    assert kv.get("pref:alerts") == "off" and kv.keys("pref:") == ["pref:alerts"]
    kv.delete("pref:alerts")
    assert kv.get("pref:alerts") is None


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    db = fresh_engine("sqlite", tmp_path)
    with db.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
