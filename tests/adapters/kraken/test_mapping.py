"""Pure translation: balances with staking, ccxt order shapes, error messages."""

from __future__ import annotations

from decimal import Decimal

import ccxt

from adapters.kraken.errors import one_line, to_domain_error
from adapters.kraken.mapping import balances_from_kraken, order_from_ccxt
from core.domain import ExchangeUnavailable, InsufficientFunds, InvalidOrder, OrderNotFound


def test_balances_map_names_and_keep_staking_apart() -> None:
    result = {
        "ZUSD": {"balance": "100.5000", "hold_trade": "20.0000"},
        "XXBT": {"balance": "0.5000000000", "hold_trade": "0"},
        "XBT.F": {"balance": "0.2000000000", "hold_trade": "0"},
        "XXDG": {"balance": "1000", "hold_trade": "0"},
        "DOT.S": {"balance": "3", "hold_trade": "0"},
    }
    balances, staked = balances_from_kraken(result)
    assert balances.total == {"USD": Decimal("100.5"), "BTC": Decimal("0.5"), "DOGE": Decimal(1000)}
    assert balances.free["USD"] == Decimal("80.5")
    assert staked == {"BTC.F": Decimal("0.2"), "DOT.S": Decimal(3)}


def test_stop_loss_keeps_its_kraken_type_and_trigger() -> None:
    raw = {"id": "O1", "type": "market", "side": "sell", "amount": 0.01, "stopLossPrice": 28000.0,
           "status": "open", "info": {"descr": {"ordertype": "stop-loss"}}}
    order = order_from_ccxt(raw, "BTC/USD")
    assert (order.type, order.price, order.status) == ("stop-loss", Decimal("28000.0"), "open")


def test_error_mapping_keeps_kraken_text_on_one_line() -> None:
    body = 'kraken {"error":["EOrder:Insufficient funds"]}'
    err = to_domain_error(ccxt.InsufficientFunds(body))
    assert isinstance(err, InsufficientFunds) and str(err) == "Kraken: EOrder:Insufficient funds"
    cases = [
        (ccxt.InvalidOrder('kraken {"error":["EOrder:Unknown order"]}'), OrderNotFound),  # ccxt: InvalidOrder
        (ccxt.DDoSProtection("kraken EAPI:Rate limit exceeded"), ExchangeUnavailable),
        (ccxt.InvalidNonce("kraken EAPI:Invalid nonce"), ExchangeUnavailable),
        (ccxt.BadRequest("kraken EGeneral:Invalid arguments:volume"), InvalidOrder),
    ]
    for exc, kind in cases:
        assert type(to_domain_error(exc)) is kind, exc


def test_messages_are_redacted_and_short() -> None:
    exc = ccxt.ExchangeError("line one with SECRETKEY https://h/x?apikey=SECRETKEY\nline two" + "x" * 500)
    text = one_line(exc, secrets=["SECRETKEY"])
    assert "SECRETKEY" not in text and "\n" not in text and len(text) <= 200 and "?" not in text
