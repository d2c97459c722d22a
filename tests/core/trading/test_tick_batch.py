"""A tick's decisions are committed together, and nothing can see or write around them (issue 20.4)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event
from sqlmodel import Session, col, select

from core.clock import SimClock
from core.domain import Market, OrderRequest
from core.paper.exchange import PaperExchange
from core.paper.store import PaperStore
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import DecisionRow, EquitySnapshotRow
from core.trading.journal import Journal
from core.trading.tick_batch import MAX_HELD, KvWrite

BTC = Market("BTC/USD", "BTC", "USD")


def _journal(tmp_path: Path) -> tuple[Journal, list[int]]:
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    commits: list[int] = []
    event.listen(db, "commit", lambda _conn: commits.append(1))
    return Journal(db, SimClock(1_000)), commits


def _decision(pair: str, ts: int, action: str = "none") -> DecisionRow:
    return DecisionRow(ts_ms=ts, pair=pair, timeframe="1h", action=action, reason="test")


def _state(pair: str, value: int) -> KvWrite:
    return KvWrite(f"autopilot:pair:{pair}", json.dumps({"last_ts": value}), value)


def _rows(journal: Journal) -> list[DecisionRow]:
    with Session(journal.db) as s:
        return list(s.exec(select(DecisionRow).order_by(col(DecisionRow.id))))


def test_the_decisions_of_a_tick_land_in_one_commit_in_the_order_decided(tmp_path: Path) -> None:
    journal, commits = _journal(tmp_path)
    with journal.batch.tick():
        for i, pair in enumerate(("A/USD", "B/USD", "C/USD")):
            snapshot = EquitySnapshotRow(ts_ms=i, equity=1.0, cash=1.0)
            journal.decision(_decision(pair, 3_600_000), [_state(pair, i), snapshot])
        assert journal.batch.pending == 3
        assert commits == []
    assert len(commits) == 1
    assert [r.pair for r in _rows(journal)] == ["A/USD", "B/USD", "C/USD"]
    kv = KeyValueStore(journal.db)
    assert kv.get_json("autopilot:pair:C/USD") == {"last_ts": 2}
    with Session(journal.db) as s:
        assert len(list(s.exec(select(EquitySnapshotRow)))) == 3


def test_outside_a_tick_and_for_an_entry_the_decision_is_written_at_once_with_its_id(tmp_path: Path) -> None:
    journal, commits = _journal(tmp_path)
    alone = journal.decision(_decision("A/USD", 1))
    assert alone.id is not None and len(commits) == 1
    with journal.batch.tick():
        held = journal.decision(_decision("B/USD", 2))
        entry = journal.decision(_decision("C/USD", 2, action="enter"))
        assert entry.id is not None  # an entry's orders point at it: not held
        assert held.id is not None  # the entry's own write wrote the held row first, in order
        assert held.id < entry.id
    assert [r.pair for r in _rows(journal)] == ["A/USD", "B/USD", "C/USD"]


def test_a_write_of_the_same_state_during_the_tick_is_not_overwritten_by_the_held_one(tmp_path: Path) -> None:
    """E.g. a stop fill's exit saves the pair's cool-off after its decision was held: the later
    write must win, as it did when each decision was committed at once."""
    journal, _commits = _journal(tmp_path)
    kv = KeyValueStore(journal.db)
    with journal.batch.tick():
        journal.decision(_decision("A/USD", 1), [_state("A/USD", 1)])
        kv.set_json("autopilot:pair:A/USD", {"last_ts": 99})  # begins a transaction: the held rows go first
        assert [r.pair for r in _rows(journal)] == ["A/USD"]  # and any reader sees them
    assert kv.get_json("autopilot:pair:A/USD") == {"last_ts": 99}


def test_another_thread_reading_during_the_tick_sees_the_held_decisions(tmp_path: Path) -> None:
    import threading

    journal, _commits = _journal(tmp_path)
    seen: list[int] = []
    with journal.batch.tick():
        journal.decision(_decision("A/USD", 1))
        reader = threading.Thread(target=lambda: seen.append(len(_rows(journal))))
        reader.start()
        reader.join()
    assert seen == [1]


def test_quotes_moved_in_a_replay_step_are_written_once_and_an_order_writes_them_first(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    clock = SimClock(1_000)
    eth = Market("ETH/USD", "ETH", "USD")
    exchange = PaperExchange(db, {"BTC/USD": BTC, "ETH/USD": eth}, clock, start_balances={"USD": Decimal(10000)})
    store = PaperStore(db)
    commits: list[int] = []
    event.listen(db, "commit", lambda _conn: commits.append(1))
    with exchange.held_prices():
        exchange.set_price("BTC/USD", Decimal(100), 1_000)
        exchange.set_price("ETH/USD", Decimal(10), 1_000)
        exchange.set_price("BTC/USD", Decimal(101), 2_000)
        assert commits == []
        assert exchange.fetch_ticker("BTC/USD").last == Decimal(101)  # in memory at once
        exchange.create_order(OrderRequest("ETH/USD", "buy", "market", Decimal("1")))
        after_order = store.load()
        assert after_order is not None and after_order.prices["BTC/USD"] == (Decimal(101), 2_000)
        exchange.set_price("ETH/USD", Decimal(11), 3_000)
    assert len(commits) == 3  # the quotes before the order, the order, the quote after it
    loaded = store.load()
    assert loaded is not None
    assert loaded.prices == {"BTC/USD": (Decimal(101), 2_000), "ETH/USD": (Decimal(11), 3_000)}


def test_a_long_catch_up_commits_every_max_held_decisions(tmp_path: Path) -> None:
    journal, commits = _journal(tmp_path)
    with journal.batch.tick():
        for i in range(MAX_HELD + 1):
            journal.decision(_decision("A/USD", i))
        assert len(commits) == 1 and journal.batch.pending == 1
    assert len(commits) == 2 and len(_rows(journal)) == MAX_HELD + 1
