"""StatusService against the in-memory exchange, a SimClock and a real SQLite file DB."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import SimClock
from core.domain import Balances, ExchangeError, ExchangeUnavailable, OrderRequest, UserError
from core.status.service import SNAPSHOT_KEYS, StatusService
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import OrderRow, TradeRow
from tests.fakes.memory_exchange import MemoryExchange

START = int(datetime(2024, 1, 10, 12, tzinfo=UTC).timestamp() * 1000)
YESTERDAY = START - 86_400_000
START_ISO = "2024-01-10T12:00:00Z"


@pytest.fixture
def clock() -> SimClock:
    return SimClock(START)


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path}/t.db")


@pytest.fixture
def ex(clock: SimClock) -> MemoryExchange:
    """1000 USD + 0.5 BTC bought yesterday at 40000 (fee 52), protected by a stop at 38000."""
    ex = MemoryExchange({"USD": "1000", "BTC": "0.5"}, clock=clock)
    ex.add_fill("BTC/USD", "buy", "0.5", "40000", "52", ts_ms=YESTERDAY)
    ex.set_price("BTC/USD", "42000")
    ex.set_price("ETH/USD", "2000")
    ex.create_order(OrderRequest("BTC/USD", "sell", "stop-loss", Decimal("0.5"), Decimal("38000")))
    ex.calls.clear()
    return ex


def make(ex: MemoryExchange, clock: SimClock, db: Engine, **kw: Any) -> StatusService:
    return StatusService(
        ex, clock, db, "paper", ["BTC/USD", "ETH/USD"],
        breaker_snapshot=lambda: {"state": "closed", "failures": 0, "extra": 1},
        autopilot_state=lambda: {"running": True, "paused_reason": None},
        kill_switch_state=lambda: {"tripped": False, "daily_pnl": -1.5, "limit": 0.03},
        **kw,
    )


def add_trade(db: Engine, pair: str, target: float, source: str = "paper", entry_ms: int = 1) -> None:
    with Session(db) as s:
        s.add(TradeRow(pair=pair, source=source, status="open", entry_ms=entry_ms, amount=0.5,
                       entry_price=40000, stop_price=38000, target_price=target))
        s.commit()


def test_snapshot_has_exactly_the_contract_fields(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    add_trade(db, "BTC/USD", 46000.0)
    snap = make(ex, clock, db).snapshot()
    assert tuple(snap) == SNAPSHOT_KEYS
    assert snap["mode"] == "paper" and snap["source"] == "exchange" and snap["as_of"] == START_ISO
    assert snap["balances"] == {"BTC": 0.5, "USD": 1000.0}
    assert snap["equity_usd"] == 22000.0  # 1000 + 0.5 x 42000
    assert snap["positions"] == [{
        "pair": "BTC/USD", "amount": 0.5, "entry_price": 40000.0, "mark_price": 42000.0,
        "unrealized_pnl": pytest.approx(948.0),  # 0.5 x 42000 - (20000 + 52)
        "stop_price": 38000.0, "take_profit_price": 46000.0,
        "trade_id": 1, "origin": "autopilot",  # beyond the contract: whose position (several per pair)
    }]
    (order,) = snap["open_orders"]
    assert set(order) == {"id", "pair", "side", "type", "price", "amount"}
    assert (order["type"], order["side"]) == ("stop-loss", "sell")
    assert (order["price"], order["amount"]) == (38000.0, 0.5)
    # no day-open equity given: the kill-switch's figure is today's, in both places (issue 22.2)
    assert snap["pnl"] == {"today": -1.5, "week": 0.0, "all_time": 0.0}
    assert snap["trades"] == {"count": 0, "wins": 0, "losses": 0, "win_rate": None}
    assert snap["autopilot"] == {"running": True, "paused_reason": None}
    assert snap["kill_switch"] == {"tripped": False, "daily_pnl": -1.5, "limit": 0.03}
    assert snap["circuit"] == {"state": "closed", "failures": 0}  # extra keys dropped
    assert isinstance(snap["equity_usd"], float)
    assert json.loads(json.dumps(snap)) == snap


def test_trade_history_cached_30s_balances_60s(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    svc = make(ex, clock, db)
    svc.snapshot()
    clock.advance(29_000)
    svc.snapshot()
    svc.positions()
    assert ex.calls["fetch_my_trades"] == 1 and ex.calls["fetch_balances"] == 1
    clock.advance(2_000)  # 31 s
    svc.snapshot()
    assert ex.calls["fetch_my_trades"] == 2 and ex.calls["fetch_balances"] == 1
    clock.advance(30_000)  # 61 s
    svc.snapshot()
    assert ex.calls["fetch_balances"] == 2 and ex.calls["fetch_open_orders"] == 2
    svc.sync(force=True)
    assert ex.calls["fetch_balances"] == 3 and ex.calls["fetch_my_trades"] == 4


def test_new_fill_shows_after_ttl(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    svc = make(ex, clock, db)
    svc.snapshot()
    ex.cancel_order(next(iter(ex.orders)))
    ex.add_fill("BTC/USD", "sell", "0.5", "44000", "57.2", ts_ms=clock.now_ms(), move_balances=True)
    assert svc.pnl("week") == 0.0  # still cached
    clock.advance(30_000)
    # 22000 - 57.2 - 20052 = 1890.8
    assert svc.pnl("week") == pytest.approx(1890.8)
    assert svc.pnl("all") == pytest.approx(1890.8)
    clock.advance(60_000)
    snap = svc.snapshot()
    assert snap["positions"] == [] and snap["open_orders"] == []
    assert snap["trades"] == {"count": 1, "wins": 1, "losses": 0, "win_rate": 1.0}
    (trip,) = svc.recent_trades(5)
    assert trip["pnl"] == pytest.approx(1890.8) and trip["win"] is True
    assert (trip["status"], trip["exit_reason"], trip["exit_ms"]) == ("closed", "", START)


def test_recent_trades_newest_first_and_enriched(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    ex.add_fill("BTC/USD", "sell", "0.2", "41000", "0", ts_ms=YESTERDAY + 1, order_id="S1")
    ex.add_fill("BTC/USD", "sell", "0.1", "39000", "0", ts_ms=YESTERDAY + 2, order_id="S2")
    with Session(db) as s:
        s.add(OrderRow(client_ref="c1", exchange_id="S2", purpose="stop", trade_id=7))
        s.commit()
    trips = make(ex, clock, db).recent_trades(5)
    assert [t["order_id"] for t in trips] == ["S2", "S1"]
    assert (trips[0]["id"], trips[0]["exit_reason"]) == (7, "stop")
    assert (trips[1]["id"], trips[1]["exit_reason"]) == ("S1", "")
    # 0.1 x 39000 - 0.1 x 40104 = -110.4 ; 0.2 x 41000 - 0.2 x 40104 = 179.2
    assert trips[0]["pnl"] == pytest.approx(-110.4) and trips[1]["pnl"] == pytest.approx(179.2)


@pytest.mark.parametrize("error", [ExchangeUnavailable("timeout"), ExchangeError("EAPI:Rate limit exceeded")])
def test_falls_back_to_cache_when_exchange_fails(
    ex: MemoryExchange, clock: SimClock, db: Engine, error: Exception
) -> None:
    svc = make(ex, clock, db)
    fresh = svc.snapshot()
    ex.fail_with = error
    clock.advance(61_000)
    snap = svc.snapshot()
    assert snap["source"] == "cache" and snap["as_of"] == START_ISO
    assert snap["balances"] == fresh["balances"] and snap["positions"] == fresh["positions"]
    assert svc.record_equity_snapshot() is None  # stale data is not recorded as new equity
    ex.fail_with = None
    clock.advance(10_000)  # retried sooner than the normal interval after a failure
    snap = svc.snapshot()
    assert snap["source"] == "exchange" and snap["as_of"] == "2024-01-10T12:01:11Z"


def test_only_trade_history_failing_is_still_cache(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    svc = make(ex, clock, db)
    svc.snapshot()
    ex.fail_with, ex.fail_methods = ExchangeUnavailable("x"), {"fetch_my_trades"}
    clock.advance(61_000)
    snap = svc.snapshot()
    assert snap["source"] == "cache" and snap["as_of"] == START_ISO  # oldest part in use


def test_restart_with_exchange_down_serves_persisted(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    add_trade(db, "BTC/USD", 46000.0)
    before = make(ex, clock, db).snapshot()
    down = MemoryExchange(clock=clock)
    down.fail_with = ExchangeUnavailable("down")
    clock.advance(3_600_000)
    after = make(down, clock, db).snapshot()
    assert after["source"] == "cache" and after["as_of"] == START_ISO
    for key in ("balances", "equity_usd", "positions", "open_orders", "pnl", "trades"):
        assert after[key] == before[key], key
    assert KeyValueStore(db).get_json("status:last")["equity_usd"] == 22000.0


def test_restart_falls_back_to_last_snapshot_key(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    before = make(ex, clock, db).snapshot()
    KeyValueStore(db).delete("status:inputs")
    down = MemoryExchange(clock=clock)
    down.fail_with = ExchangeUnavailable("down")
    after = make(down, clock, db).snapshot()
    assert after["source"] == "cache" and after["balances"] == before["balances"]
    assert tuple(after) == SNAPSHOT_KEYS


def test_nothing_known_and_exchange_down_does_not_raise(clock: SimClock, db: Engine) -> None:
    down = MemoryExchange(clock=clock)
    down.fail_with = ExchangeUnavailable("down")
    svc = make(down, clock, db)
    snap = svc.snapshot()
    assert tuple(snap) == SNAPSHOT_KEYS
    assert snap["source"] == "cache" and snap["as_of"] is None and snap["balances"] == {}
    assert svc.recent_trades(3) == [] and svc.positions() == [] and svc.pnl("week") == 0.0


def test_take_profit_comes_from_open_trade_of_this_mode(
    ex: MemoryExchange, clock: SimClock, db: Engine
) -> None:
    add_trade(db, "BTC/USD", 50000.0, source="live", entry_ms=5)
    add_trade(db, "BTC/USD", 46000.0, source="paper", entry_ms=2)
    add_trade(db, "BTC/USD", 99999.0, source="backtest", entry_ms=9)
    (pos,) = make(ex, clock, db).positions()
    assert pos["take_profit_price"] == 46000.0 and pos["stop_price"] == 38000.0


def test_position_without_stop_or_target_is_null(clock: SimClock, db: Engine) -> None:
    ex = MemoryExchange({"USD": "0", "ETH": "2"}, clock=clock)
    ex.set_price("ETH/USD", "2000")
    (pos,) = make(ex, clock, db).positions()
    # no buy in the history: entry unknown, so no unrealized P&L either
    assert pos == {"pair": "ETH/USD", "amount": 2.0, "entry_price": None, "mark_price": 2000.0,
                   "unrealized_pnl": None, "stop_price": None, "take_profit_price": None,
                   "trade_id": None, "origin": None}  # coins Zyn did not buy: nobody's position


def test_unpriced_asset_listed_but_not_in_equity(
    ex: MemoryExchange, clock: SimClock, db: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    ex.balances["FOO"] = Decimal("10")
    with caplog.at_level(logging.INFO):
        snap = make(ex, clock, db).snapshot()
    assert snap["balances"]["FOO"] == 10.0 and snap["equity_usd"] == 22000.0
    assert "equity_usd excludes FOO" in caplog.text


def test_equity_snapshots_and_curve(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    svc = make(ex, clock, db)
    row = svc.record_equity_snapshot()
    assert row is not None and (row.equity, row.cash, row.source) == (22000.0, 1000.0, "paper")
    clock.advance(3_600_000)
    ex.set_price("BTC/USD", "44000")
    svc.record_equity_snapshot()
    assert svc.equity_curve() == [(START, 22000.0), (START + 3_600_000, 23000.0)]
    assert svc.equity_curve(since_ms=START + 1) == [(START + 3_600_000, 23000.0)]


def test_bad_period_is_a_user_error(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    with pytest.raises(UserError):
        make(ex, clock, db).pnl("month")


def test_state_callables_failing_give_defaults(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    def boom() -> dict[str, Any]:
        raise RuntimeError("nope")

    svc = StatusService(ex, clock, db, "paper", ["BTC/USD"], boom, boom, boom)
    snap = svc.snapshot()
    assert set(snap["autopilot"]) == {"running", "paused_reason"}
    assert set(snap["kill_switch"]) == {"tripped", "daily_pnl", "limit"}
    assert set(snap["circuit"]) == {"state", "failures"}


def test_concurrent_callers_share_one_fetch(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    svc = make(ex, clock, db)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(svc.snapshot())
        except BaseException as exc:  # the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 8
    assert ex.calls["fetch_balances"] == 1 and ex.calls["fetch_my_trades"] == 1
    assert all(r == results[0] for r in results)


def test_data_read_a_while_ago_is_labelled_cache_with_its_time(
    ex: MemoryExchange, clock: SimClock, db: Engine
) -> None:
    svc = make(ex, clock, db)
    fresh = svc.snapshot()
    assert fresh["source"] == "exchange"
    clock.advance(20_000)  # within the cache's 30/60 s lifetimes: served from cache, not re-read
    later = svc.snapshot()
    assert later["source"] == "cache" and later["as_of"] == fresh["as_of"]
    svc.sync(force=True)
    assert svc.snapshot()["source"] == "exchange"


def test_a_position_held_outside_the_configured_pairs_still_shows(clock: SimClock, db: Engine) -> None:
    """A universe pair that dropped out of the list (issue 9) is still held and protected."""
    ex = MemoryExchange({"USD": "1000", "SOL": "3"}, clock=clock, markets=("BTC/USD", "ETH/USD", "SOL/USD"))
    ex.add_fill("SOL/USD", "buy", "3", "100", "0.78", ts_ms=YESTERDAY)
    ex.set_price("SOL/USD", "110")
    ex.create_order(OrderRequest("SOL/USD", "sell", "stop-loss", Decimal("3"), Decimal("90")))
    add_trade(db, "SOL/USD", 130.0)
    add_trade(db, "DOGE/USD", 1.0, source="bootstrap")  # a backtest's open trade is no position
    positions = make(ex, clock, db).snapshot()["positions"]
    assert [(p["pair"], p["amount"], p["stop_price"], p["take_profit_price"]) for p in positions] == [
        ("SOL/USD", 3.0, 90.0, 130.0)]

# --- issue 20.1: the snapshot's exchange/database part is held between reads and rebuilt by the
# events that change it (a trading change: `changed()`; a fill: `changed(refetch=True)`, which
# refetches even when the fill lands during a read); the bot-side parts are read fresh.


def test_a_trading_change_shows_in_the_next_read_and_nothing_else_rebuilds(
    ex: MemoryExchange, clock: SimClock, db: Engine
) -> None:
    svc = make(ex, clock, db)
    first = svc.snapshot()
    assert first["positions"][0]["take_profit_price"] is None
    add_trade(db, "BTC/USD", 46000.0)  # written by the trading service, which then reports it
    svc.changed()
    assert svc.snapshot()["positions"][0]["take_profit_price"] == 46000.0
    assert ex.calls["fetch_balances"] == 1  # a journal change needs no exchange read


def test_a_fill_refetches_the_exchange_at_the_next_read(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    svc = make(ex, clock, db)
    assert svc.snapshot()["balances"]["BTC"] == 0.5
    ex.add_fill("BTC/USD", "buy", "0.25", "42000", "0", ts_ms=clock.now_ms(), move_balances=True)
    assert svc.snapshot()["balances"]["BTC"] == 0.5  # nobody said: the 60 s cache stands
    svc.changed(refetch=True)
    snap = svc.snapshot()
    assert snap["balances"]["BTC"] == 0.75 and ex.calls["fetch_balances"] == 2


def test_a_fill_during_a_read_is_not_lost(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    """The fill is reported while the balances are being read (their answer predates it): the
    next read fetches again instead of keeping the old answer for a minute."""
    svc = make(ex, clock, db)
    real = ex.fetch_balances
    state: dict[str, Any] = {"calls": 0}

    def fetch_then_fill() -> Balances:
        got = real()
        state["calls"] += 1
        if state["calls"] == 1:  # the answer is taken, then the fill lands and is reported
            ex.add_fill("BTC/USD", "buy", "0.25", "42000", "0", ts_ms=clock.now_ms(), move_balances=True)
            svc.changed(refetch=True)
        return got

    ex.fetch_balances = fetch_then_fill  # type: ignore[method-assign]
    assert svc.snapshot()["balances"]["BTC"] == 0.5
    assert svc.snapshot()["balances"]["BTC"] == 0.75


def test_bot_side_parts_are_read_fresh_from_a_held_snapshot(ex: MemoryExchange, clock: SimClock, db: Engine) -> None:
    paused: dict[str, Any] = {"running": True, "paused_reason": None}
    svc = StatusService(ex, clock, db, "paper", ["BTC/USD"], breaker_snapshot=lambda: {"state": "closed"},
                        autopilot_state=lambda: paused, kill_switch_state=lambda: {"tripped": False})
    assert svc.snapshot()["autopilot"] == {"running": True, "paused_reason": None}
    paused.update(running=False, paused_reason="paused by the owner")
    assert svc.snapshot()["autopilot"] == {"running": False, "paused_reason": "paused by the owner"}
    assert ex.calls["fetch_balances"] == 1  # the exchange part is still the held one
