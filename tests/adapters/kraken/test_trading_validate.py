"""Validate mode end to end: the trading service through real ccxt to the Kraken sim with
validate=true — Kraken checks entry and stop, nothing executes, the owner is told what would
have happened."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select

from core.telemetry.db import make_engine
from core.telemetry.models import OrderRow, TradeRow
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.adapters.kraken.conftest import KrakenFactory
from tests.fakes.sim_server import PaperSim


def test_manual_buy_in_validate_mode_executes_nothing(make_kraken: KrakenFactory, sim: PaperSim,
                                                      tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    kraken = make_kraken(mode="validate")
    svc = TradingService(kraken, db, sim.clock, pairs=("BTC/USD",), source="validate", backoff_s=0.0,
                         sleep=lambda s: None)
    before = sim.exchange.fetch_balances().total
    result = svc.place_manual(ManualOrder("buy", Decimal("0.01"), "BTC/USD", None, Decimal("29000"), None))
    assert result.ok, result.text
    assert "validate only, nothing executed" in result.text and "stop-loss" in result.text
    assert sim.exchange.fetch_balances().total == before
    assert sim.exchange.fetch_open_orders() == []
    with Session(db) as s:
        rows = s.exec(select(OrderRow)).all()
        assert rows and {r.status for r in rows} == {"validated"}
        assert s.exec(select(TradeRow)).all() == []


def test_validate_mode_reports_a_refusal(make_kraken: KrakenFactory, sim: PaperSim, tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    svc = TradingService(make_kraken(mode="validate"), db, sim.clock, pairs=("BTC/USD",), source="validate",
                         backoff_s=0.0, sleep=lambda s: None)
    result = svc.place_manual(ManualOrder("buy", Decimal("50"), "BTC/USD", None, Decimal("29000"), None))
    assert not result.ok and "insufficient funds" in result.text.lower() and "\n" not in result.text


def test_a_stop_for_coins_only_the_fill_would_bring_is_not_called_refused(
        make_kraken: KrakenFactory, sim: PaperSim, tmp_path: Path) -> None:
    """The sim holds no ETH: Kraken refuses a validated sell of coins not held, but the real stop would
    be placed after the buy filled, with its coins. The owner is told it could not be checked, not REFUSED."""
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    svc = TradingService(make_kraken(mode="validate"), db, sim.clock, pairs=("ETH/USD",), source="validate",
                         backoff_s=0.0, sleep=lambda s: None)
    assert sim.exchange.fetch_balances().free.get("ETH", Decimal(0)) == 0
    result = svc.place_manual(ManualOrder("buy", Decimal("0.5"), "ETH/USD", None, Decimal("1900"), None))
    assert result.ok, result.text
    assert "could not be checked before a fill" in result.text and "REFUSED" not in result.text, result.text
    assert result.data["stop_check"] == "needs_fill"
    assert sim.exchange.fetch_open_orders() == []


def test_a_stop_for_coins_already_held_is_checked_for_real(make_kraken: KrakenFactory, sim: PaperSim,
                                                           tmp_path: Path) -> None:
    """The sim holds 0.5 BTC: the stop of a 0.01 BTC buy is validated against coins that are there."""
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    svc = TradingService(make_kraken(mode="validate"), db, sim.clock, pairs=("BTC/USD",), source="validate",
                         backoff_s=0.0, sleep=lambda s: None)
    result = svc.place_manual(ManualOrder("buy", Decimal("0.01"), "BTC/USD", None, Decimal("29000"), None))
    assert result.ok and result.data["stop_check"] == "accepted", result.text
    assert "would be accepted too" in result.text
