"""KrakenExchange driven through real ccxt over HTTP against the sim (no mocked ccxt)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.kraken.exchange import KrakenExchange
from core.domain import (
    Candle,
    ExchangeError,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OrderRequest,
)
from tests.adapters.kraken.conftest import KrakenFactory
from tests.fakes.sim_server import HOUR_MS, START_MS, PaperSim


def test_load_markets_maps_kraken_names_and_rules(kraken: KrakenExchange) -> None:
    markets = kraken.load_markets()
    assert set(markets) == {"BTC/USD", "ETH/USD", "DOGE/USD"}
    btc = markets["BTC/USD"]
    assert (btc.base, btc.quote, btc.exchange_id, btc.altname) == ("BTC", "USD", "XXBTZUSD", "XBTUSD")
    rules = (btc.lot_decimals, btc.pair_decimals, btc.ordermin, btc.costmin)
    assert rules == (8, 1, Decimal("0.0001"), Decimal("0.5"))
    assert markets["DOGE/USD"].base == "DOGE"


def test_balances_use_common_asset_names(kraken: KrakenExchange) -> None:
    b = kraken.fetch_balances()
    assert b.total == {"USD": Decimal(10000), "BTC": Decimal("0.5")}
    assert b.free == b.total


def test_ticker_and_ohlcv(kraken: KrakenExchange) -> None:
    t = kraken.fetch_ticker("BTC/USD")
    assert t.last == Decimal("30000") and t.pair == "BTC/USD"
    candles = kraken.fetch_ohlcv("BTC/USD", "1h")
    assert [c.ts for c in candles[:4]] == [START_MS + i * HOUR_MS for i in range(4)]
    assert candles[3].close == 30000.0
    assert len(candles) == 5  # four closed + the forming one, as Kraken answers
    assert kraken.fetch_ohlcv("BTC/USD", "1h", limit=2) == candles[-2:]
    assert kraken.fetch_ohlcv("BTC/USD", "1h", since_ms=START_MS + HOUR_MS, limit=2) == candles[1:3]


def test_market_limit_stop_cancel_and_history(kraken: KrakenExchange, sim: PaperSim) -> None:
    bought = kraken.create_order(OrderRequest("BTC/USD", "buy", "market", Decimal("0.01"), client_ref="m1"))
    state = (bought.status, bought.filled, bought.average_price)
    assert state == ("closed", Decimal("0.01"), Decimal("30000"))
    assert bought.fee == Decimal("0.78") and bought.client_ref == "m1"
    amount = Decimal("0.01")
    limit = kraken.create_order(OrderRequest("BTC/USD", "buy", "limit", amount, Decimal("29000")))
    stop = kraken.create_order(OrderRequest("BTC/USD", "sell", "stop-loss", amount, Decimal("28000")))
    assert (stop.type, stop.price, stop.status) == ("stop-loss", Decimal("28000"), "open")
    assert limit.client_ref  # every order carries a client reference
    assert {o.id for o in kraken.fetch_open_orders("BTC/USD")} == {limit.id, stop.id}
    kraken.cancel_order(limit.id)
    assert [o.id for o in kraken.fetch_open_orders()] == [stop.id]
    sim.walk("BTC/USD", Candle(START_MS + 4 * HOUR_MS, 30000, 30100, 27500, 27800, 2.0))
    closed = {o.id: o for o in kraken.fetch_closed_orders()}
    assert closed[limit.id].status == "canceled"
    assert closed[stop.id].status == "closed" and closed[stop.id].average_price == Decimal("28000")
    fills = kraken.fetch_my_trades()
    assert {(f.order_id, f.side, f.price) for f in fills} >= {
        (bought.id, "buy", Decimal("30000")),
        (stop.id, "sell", Decimal("28000")),
    }
    assert all(f.pair == "BTC/USD" for f in fills)
    assert kraken.find_order_by_client_ref("m1") == kraken.fetch_order(bought.id)
    assert kraken.find_order_by_client_ref("nope") is None


def test_validate_mode_changes_nothing(make_kraken: KrakenFactory, sim: PaperSim) -> None:
    kraken = make_kraken(mode="validate")
    before = sim.exchange.fetch_balances()
    order = kraken.create_order(OrderRequest("BTC/USD", "buy", "limit", Decimal("0.01"), Decimal("29000")))
    assert order.validated_only and order.status == "canceled" and order.id.startswith("validate:")
    assert sim.exchange.fetch_open_orders() == [] and sim.exchange.fetch_closed_orders() == []
    assert sim.exchange.fetch_balances() == before
    with pytest.raises(InsufficientFunds, match="EOrder:Insufficient funds"):
        kraken.create_order(OrderRequest("BTC/USD", "sell", "market", Decimal("5")))


def test_paper_mode_refuses_orders(make_kraken: KrakenFactory) -> None:
    with pytest.raises(ExchangeError, match="paper mode"):
        make_kraken(mode="paper").create_order(OrderRequest("BTC/USD", "buy", "market", Decimal("0.01")))


def _market(side: str, amount: str) -> OrderRequest:
    return OrderRequest("BTC/USD", side, "market", Decimal(amount))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("request_", "kind", "text"),
    [
        (_market("buy", "100"), InsufficientFunds, "EOrder:Insufficient funds"),
        (_market("sell", "0.00001"), InvalidOrder, "EOrder:Order minimum not met"),
        (OrderRequest("XRP/EUR", "buy", "market", Decimal("1")), ExchangeError, "Unknown asset pair"),
    ],
)
def test_kraken_errors_map_to_domain_errors(
    kraken: KrakenExchange, request_: OrderRequest, kind: type[Exception], text: str
) -> None:
    with pytest.raises(kind) as info:
        kraken.create_order(request_)
    message = str(info.value)
    assert text in message and "\n" not in message and len(message) <= 200


def test_unknown_order_is_order_not_found(kraken: KrakenExchange) -> None:
    with pytest.raises(OrderNotFound, match="EOrder:Unknown order"):
        kraken.cancel_order("OAAAAA-BBBBB-CCCCCC")
    with pytest.raises(OrderNotFound):
        kraken.fetch_order("OAAAAA-BBBBB-CCCCCC")


def test_errors_never_show_the_secret(make_kraken: KrakenFactory, sim: PaperSim) -> None:
    kraken = make_kraken(api_key="wrong-key")
    with pytest.raises(ExchangeError) as info:
        kraken.fetch_balances()
    assert "EAPI:Invalid key" in str(info.value)
    assert "wrong-key" not in str(info.value) and sim.api_secret not in str(info.value)


def test_talking_to_the_exchange_leaves_the_threads_decimal_context_as_it_was(kraken: KrakenExchange) -> None:
    """ccxt sets the calling thread's decimal context (ROUND_HALF_UP, Underflow trapped) when it
    rounds an order's amount; Zyn's Decimals and the prices it shows must not depend on which
    thread last placed an order."""
    import decimal

    before = decimal.getcontext().copy()
    kraken.create_order(OrderRequest("BTC/USD", "buy", "market", Decimal("0.01"), client_ref="ctx1"))
    kraken.create_order(OrderRequest("BTC/USD", "sell", "stop-loss", Decimal("0.01"), Decimal("28000.25")))
    kraken.fetch_ticker("BTC/USD")
    after = decimal.getcontext()
    assert (after.rounding, after.prec, after.traps) == (before.rounding, before.prec, before.traps)
    assert f"{Decimal('62600.25'):,.1f}" == "62,600.2"  # the default half-even, as on every thread
