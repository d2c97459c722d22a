"""Issue 22.1: a manual position that shares its pair with autopilot trades shows its OWN entry,
amount, stop, target and P&L — from the position aggregate — in the status JSON, `positions` and
`trades`, and `trades` agrees with the journal (`why`) on every trade's P&L.

The replay in the issue (`buy 0.05 BTC sl 1000 tp 90000`, then the autopilot buying and selling
in the same pair) reduces to: a manual buy, an autopilot entry at a higher price, the autopilot's
target exit. FIFO over the fills gives that sell the manual (oldest) lot, so before the fix the
manual position showed the autopilot's entry and `trades` another P&L than `why`.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from core.markets.catalog import market_for
from core.status.service import StatusService
from core.telemetry.models import PositionRow, TradeRow
from core.trading.types import ManualOrder
from tests.core.trading.helpers import Stack, build_stack
from tests.core.trading.pair_positions import PAIR, autopilot_entry

T0 = 1_700_006_400_000
D = Decimal


def scenario() -> tuple[Stack, StatusService, int, int]:
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=T0)
    svc = stack.service
    stack.exchange.set_price(PAIR, D("30000"), T0)
    manual = svc.place_manual(ManualOrder("buy", D("0.05"), PAIR, stop=D("1000"), target=D("90000")))
    assert manual.ok, manual.text
    stack.clock.advance(60_000)
    stack.exchange.set_price(PAIR, D("31000"), stack.clock.now_ms())
    auto = svc.enter(PAIR, autopilot_entry(31000.0))
    assert auto.ok, auto.text
    ids = {b.origin: b.trade_id for b in svc.brackets(PAIR)}
    stack.clock.advance(60_000)
    stack.exchange.set_price(PAIR, D("32300"), stack.clock.now_ms())
    [done] = svc.take_profit(PAIR, D("32300"), stack.clock.now_ms())
    assert done.trade_id == ids["autopilot"]
    stack.clock.advance(60_000)
    stack.exchange.set_price(PAIR, D("32000"), stack.clock.now_ms())
    status = StatusService(stack.exchange, stack.clock, stack.db, "paper", [PAIR], dict, dict, dict)
    return stack, status, ids["manual"], ids["autopilot"]


def test_a_manual_position_beside_autopilot_trades_shows_its_own_entry_stop_target_and_pnl() -> None:
    stack, status, manual_id, _ = scenario()
    with Session(stack.db) as s:
        saved = s.exec(select(PositionRow).where(PositionRow.trade_id == manual_id)).one()
    [row] = status.snapshot()["positions"]
    assert (row["trade_id"], row["origin"], row["amount"]) == (manual_id, "manual", 0.05)
    assert row["entry_price"] == 30000.0  # not the autopilot's 31,000 (FIFO gave it the manual lot)
    assert (row["stop_price"], row["take_profit_price"]) == (1000.0, 90000.0)
    assert row["unrealized_pnl"] == pytest.approx(float(D("0.05") * D("32000") - saved.entry_cost))
    assert status.positions() == [row]


def test_trades_lists_the_open_manual_trade_and_each_closed_trades_pnl_as_the_journal_booked_it() -> None:
    stack, status, manual_id, auto_id = scenario()
    with Session(stack.db) as s:
        booked = s.exec(select(TradeRow).where(TradeRow.id == auto_id)).one()
    trades = {t["id"]: t for t in status.recent_trades(10)}
    assert set(trades) == {manual_id, auto_id}
    closed = trades[auto_id]
    assert closed["status"] == "closed" and closed["exit_reason"] == "target"
    assert closed["pnl"] == float(booked.pnl or 0)  # what `why` says for this trade
    assert (closed["entry_price"], closed["exit_price"]) == (31000.0, 32300.0)
    opened = trades[manual_id]
    assert (opened["status"], opened["entry_price"], opened["amount"]) == ("open", 30000.0, 0.05)
    assert opened["pnl"] == pytest.approx(status.positions()[0]["unrealized_pnl"])
    assert status.snapshot()["trades"]["count"] == 1  # one closed trade, counted once everywhere
