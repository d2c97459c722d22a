"""Prices in replies are shown at the pair's own price decimals, with separators, one rounding rule
and no exponent — the same text the alerts use (issue 22 points 1 and 9)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from bot.conversation.envelope import Reply
from bot.text.status_text import format_snapshot
from core.text import price_text
from tests.fakes.services import FakeMarket, FakeStatus

Say = Callable[..., Reply]


def _trade(tid: int, pair: str, entry: float, exit_price: float | None) -> dict[str, object]:
    return {"id": tid, "pair": pair, "status": "closed" if exit_price else "open", "amount": 100.0,
            "entry_price": entry, "exit_price": exit_price, "pnl": 1.5 if exit_price else None,
            "exit_reason": "target" if exit_price else None}


def test_trades_show_each_pairs_own_decimals(say: Say, status: FakeStatus) -> None:
    status.trades = [_trade(2, "XRP/USD", 0.0000123456 + 0.5, 0.61), _trade(1, "BTC/USD", 62600.25, None),
                     _trade(3, "DOGE/USD", 0.00001234, 0.000012)]
    reply = say("trades 3")
    rows = [dict(zip(reply.columns or [], row, strict=False)) for row in reply.rows]
    xrp, btc, doge = rows
    assert (xrp["Entry"], xrp["Exit"]) == ("0.50001", "0.61000")  # XRP/USD: 5 price decimals
    assert btc["Entry"] == "62,600.3" and btc["Exit"] == "-"  # BTC/USD: 1 decimal, half up, separators
    assert (doge["Entry"], doge["Exit"]) == ("0.0000123", "0.0000120")  # DOGE/USD: 7, never 1.234e-05
    assert "e-" not in reply.text + str(reply.rows)


def test_btc_at_62600_25_reads_the_same_in_an_alert_and_in_a_reply(say: Say, status: FakeStatus) -> None:
    status.trades = [_trade(1, "BTC/USD", 62600.25, None)]
    in_reply = dict(zip(say("trades 1").columns or [], say("trades 1").rows[0], strict=False))["Entry"]
    in_alert = price_text("BTC/USD", Decimal("62600.25"), FakeMarket().price_decimals("BTC/USD"))
    in_catalog_alert = price_text("BTC/USD", Decimal("62600.25"))  # an alert without the exchange's rules
    assert in_reply == in_alert == in_catalog_alert == "62,600.3"


def test_a_five_decimal_pair_in_positions_and_the_cli_status(say: Say, status: FakeStatus) -> None:
    status.snap["positions"] = [{"pair": "XRP/USD", "amount": 100.0, "entry_price": 0.523456789,
                                 "mark_price": 0.53, "unrealized_pnl": 0.65, "stop_price": 0.5,
                                 "take_profit_price": 0.6}]
    reply = say("positions")
    assert "0.52346" in str(reply.rows) and "0.50000" in str(reply.rows)
    text = format_snapshot(status.snap)
    assert "@ 0.52346  stop 0.50000  target 0.60000" in text


def test_a_limit_order_echo_uses_the_pairs_decimals(say: Say) -> None:
    reply = say("buy 0.01 btc at 61000.27 sl 59000.04")
    assert reply.kind == "confirm"
    assert "61,000.3" in reply.text + str(reply.rows) and "59,000.0" in str(reply.rows)
