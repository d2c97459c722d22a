"""The trading service's own behaviour, without a database: MemoryExchange + FakeUnitOfWork (issue 18).

Moved from test_service.py, which keeps the cases that need the paper engine's candle walk. Resting
orders fill when a test says so (`MemoryExchange.fill_order`); what trading wrote is read from the
fake's stored journal. No order here reaches a real exchange; the autopilot is not involved, so the
evidence gate (ZYN_EVIDENCE) plays no part.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from core.domain import Order
from core.strategy.pinned import Decision
from core.telemetry.models import OrderRow
from core.trading.events import DailyLoss, Flattened, KillSwitchTripped, PositionClosed
from core.trading.results import FlattenFailure
from core.trading.take_profit import TakeProfitWatcher
from core.trading.types import ManualOrder
from tests.core.trading.fakes import FlakyExchange, Heard, OpenBreaker
from tests.core.trading.helpers import FakeStack, build_fake_stack

PAIR, ETH = "BTC/USD", "ETH/USD"
T0 = 1_700_000_000_000


@pytest.fixture
def stack() -> FakeStack:
    s = build_fake_stack(start_ms=T0)
    s.exchange.set_price(PAIR, Decimal("30000"), T0)
    s.exchange.set_price(ETH, Decimal("2000"), T0)
    return s


def buy(amount: str = "0.01", sl: str | None = "29000", tp: str | None = "32000") -> ManualOrder:
    return ManualOrder(
        "buy", Decimal(amount), PAIR, stop=Decimal(sl) if sl else None, target=Decimal(tp) if tp else None
    )


def order_rows(stack: FakeStack) -> list[OrderRow]:
    return list(stack.uow.stored.orders.values())


def open_orders(stack: FakeStack, pair: str | None = None) -> list[Order]:
    return stack.exchange.fetch_open_orders(pair)


def test_manual_buy_places_stop_on_exchange_and_target_with_watcher(stack: FakeStack) -> None:
    result = stack.service.place_manual(buy())
    assert result.ok, result.text
    stops = open_orders(stack)
    assert [(o.type, o.side, o.amount, o.price) for o in stops] == [
        ("stop-loss", "sell", Decimal("0.01"), Decimal("29000"))
    ]
    assert stack.watcher.watch_levels(PAIR) == [Decimal("32000")]
    [trade] = stack.service.journal.open_trades()
    assert trade.stop_order_id == stops[0].id and trade.initial_risk == pytest.approx(10.0)
    assert {r.purpose for r in order_rows(stack)} == {"manual", "stop"}
    assert all(r.client_ref and r.status in ("closed", "open") for r in order_rows(stack))
    assert stack.uow.commits >= 1 and set(stack.uow.load()) == {trade.id}  # the position, through the fake


@pytest.mark.parametrize(
    ("order", "fragment"),
    [
        (ManualOrder("buy", Decimal("0.01"), "DOGE/EUR"), "unknown pair"),
        (ManualOrder("buy", Decimal("0"), PAIR), "above 0"),
        (ManualOrder("buy", Decimal("-1"), PAIR), "above 0"),
        (ManualOrder("buy", Decimal("0.00001"), PAIR, stop=Decimal("29000")), "below the minimum"),
        (ManualOrder("buy", Decimal("1"), PAIR, stop=Decimal("29000")), "insufficient funds"),
        (ManualOrder("buy", Decimal("0.01"), PAIR), "ATR"),
        (ManualOrder("buy", Decimal("0.01"), PAIR, stop=Decimal("31000")), "below the price"),
        (ManualOrder("sell", Decimal("0.01"), PAIR), "insufficient funds"),
    ],
)
def test_refusals_are_one_line_and_change_nothing(stack: FakeStack, order: ManualOrder, fragment: str) -> None:
    before = stack.exchange.fetch_balances()
    result = stack.service.place_manual(order)
    assert not result.ok and fragment in result.text and "\n" not in result.text
    assert stack.exchange.fetch_balances() == before
    assert order_rows(stack) == [] and open_orders(stack) == [] and stack.uow.commits == 0


def test_default_stop_from_atr_when_known(stack: FakeStack) -> None:
    stack.service.note_atr(PAIR, 200.0)
    preview = stack.service.preview_order(buy(sl=None, tp=None))
    assert preview.stop == Decimal("29700.0") and preview.target == Decimal("30600.0")
    assert "stop 29,700.0" in preview.text  # thousands separators (issue 22.9)


def test_paused_halted_and_circuit_open_refuse_buys(stack: FakeStack) -> None:
    stack.service.pause("owner asked")
    assert "paused" in stack.service.place_manual(buy()).text
    stack.service.resume()
    stack.service.state.guard.tripped_day = T0 // 86_400_000
    assert "kill-switch" in stack.service.place_manual(buy()).text
    stack.service.resume()
    stack.service.breaker = OpenBreaker()
    assert "circuit breaker" in stack.service.place_manual(buy()).text
    assert order_rows(stack) == []
    assert stack.uow.kv.get_json("trading:paused") is None  # resumed: the pause is gone from the kv state


def test_stop_fill_closes_the_trade_and_publishes_position_closed(stack: FakeStack) -> None:
    seen: list[str] = []
    stack.service.subscribe(PositionClosed, lambda e: seen.append(e.reason))
    stack.service.place_manual(buy())
    [stop] = open_orders(stack)
    stack.exchange.fill_order(stop.id)
    stack.service.sync()
    [trade] = stack.service.journal.closed_trade_rows()
    assert trade.exit_reason == "stop" and trade.exit_price == 29000 and seen == ["stop"]
    assert stack.uow.load() == {}


def test_manual_sell_of_position_cancels_its_stop(stack: FakeStack) -> None:
    stack.service.place_manual(buy())
    result = stack.service.place_manual(ManualOrder("sell", Decimal("0.01"), PAIR))
    assert result.ok, result.text
    assert open_orders(stack) == []
    [trade] = stack.service.journal.closed_trade_rows()
    assert trade.exit_reason == "manual"
    assert not stack.service.place_manual(ManualOrder("sell", Decimal("0.005"), PAIR)).ok


def test_lost_response_is_never_sent_again_nor_called_failed_and_the_sync_brackets_it() -> None:
    flaky: list[FlakyExchange] = []

    def losing(memory: object) -> FlakyExchange:
        flaky.append(FlakyExchange(memory, lose_responses=1, side="buy"))  # type: ignore[arg-type]
        return flaky[0]

    stack = build_fake_stack(start_ms=T0, wrap=losing)  # type: ignore[arg-type]
    stack.exchange.set_price(PAIR, Decimal("30000"), T0)
    decision = Decision(PAIR, T0, "enter", "test", 30000.0, 29900.0, 300.0, 10000.0, Decimal("0.02"))
    result = stack.service.enter(PAIR, decision)
    assert not result.ok and "failed" not in result.text and "outcome is not known" in result.text
    assert flaky[0].create_calls == 1 and open_orders(stack) == []  # sent once; no stop yet
    stack.service.sync()  # the next sync finds the buy by its client reference and brackets it
    buys = [o for o in stack.exchange.fetch_closed_orders() if o.side == "buy"]
    assert len(buys) == 1 and [o.type for o in open_orders(stack)] == ["stop-loss"]
    assert open_orders(stack)[0].amount == buys[0].filled


def test_flatten_retries_are_bounded_and_failures_reported() -> None:
    flaky: list[FlakyExchange] = []

    def refusing(memory: object) -> FlakyExchange:
        flaky.append(FlakyExchange(memory, side="sell"))  # type: ignore[arg-type]
        return flaky[0]

    stack = build_fake_stack(start_ms=T0, wrap=refusing)  # type: ignore[arg-type]
    stack.exchange.set_price(PAIR, Decimal("30000"), T0)
    assert stack.service.place_manual(buy()).ok
    flaky[0].refuse, flaky[0].create_calls = 1, 0
    result = stack.service.flatten("emergency")
    assert not result.ok and result.data["failed"] == [FlattenFailure("exit", "BTC/USD #1", "EService:Unavailable")]
    # the market sell is sent once (transport retries are the adapter's, below this port: issue
    # 18); refused, the stop goes back
    assert flaky[0].create_calls == 1 + 1
    assert stack.exchange.fetch_balances().total["BTC"] == Decimal("0.01")
    assert [o.type for o in open_orders(stack)] == ["stop-loss"]  # never left naked


def test_kill_switch_flattens_publishes_and_halts_until_resume() -> None:
    stack = build_fake_stack(start_ms=T0)
    heard = Heard(stack.service.bus, KillSwitchTripped, Flattened)
    stack.exchange.set_price(PAIR, Decimal("30000"), T0)
    stack.exchange.set_price(ETH, Decimal("2000"), T0)
    stack.service.place_manual(buy())
    stack.service.place_manual(ManualOrder("buy", Decimal("1"), ETH, stop=Decimal("1900"), price=Decimal("1500")))
    stack.service.state.guard.tripped_day = T0 // 86_400_000
    loss = DailyLoss(Decimal("9700"), Decimal("10000"), Decimal("0.03"), T0)
    result = stack.service.trip_kill_switch(loss)
    assert result.ok, result.text
    assert open_orders(stack) == [] and stack.exchange.fetch_balances().total["BTC"] == 0
    assert [t.exit_reason for t in stack.service.journal.closed_trade_rows()] == ["kill_switch"]
    assert heard.events[0] == KillSwitchTripped(loss)  # the owner is told first, then the flatten's report
    [flattened] = heard.of(Flattened)
    assert flattened.reason == "kill_switch" and [e.pair for e in flattened.exits] == ["BTC/USD"]
    assert {"kill_switch", "flatten"} <= {r.kind for r in stack.uow.stored.safety}
    assert not stack.service.place_manual(buy()).ok
    assert stack.service.resume().ok and stack.service.place_manual(buy()).ok


def test_cancel_all_keeps_position_stops(stack: FakeStack) -> None:
    stack.service.place_manual(buy())
    limit = stack.service.place_manual(ManualOrder("buy", Decimal("1"), ETH, Decimal("1500"), Decimal("1400")))
    assert limit.ok and "placed" in limit.text
    stop_id = stack.service.brackets(PAIR)[0].stop_order_id
    assert not stack.service.cancel(stop_id).ok
    result = stack.service.cancel(None)
    assert result.ok and result.data["canceled"] != [] and "kept 1 stop" in result.text
    assert [o.id for o in open_orders(stack)] == [stop_id]


def test_a_limit_entry_that_fills_later_is_bracketed_by_the_sync(stack: FakeStack) -> None:
    result = stack.service.place_manual(ManualOrder("buy", Decimal("1"), ETH, Decimal("1950"), Decimal("1900")))
    assert result.ok and not stack.service.has_position(ETH)
    stack.exchange.fill_order(str(result.data["order_id"]))
    stack.service.sync()
    assert stack.service.has_position(ETH)
    [stop] = open_orders(stack, ETH)
    assert stop.type == "stop-loss" and stop.amount == Decimal("1")
    assert stack.service.sync() == [] and len(open_orders(stack, ETH)) == 1  # once: never a second stop


def test_watcher_poll_once_uses_ticker(stack: FakeStack) -> None:
    stack.service.place_manual(buy())
    watcher = TakeProfitWatcher(stack.service)
    assert watcher.poll_once() == []
    stack.exchange.set_price(PAIR, Decimal("32001"), T0 + 1)
    assert [e.reason for e in watcher.poll_once()] == ["target"]


def test_the_service_runs_without_a_database(stack: FakeStack) -> None:
    connects: list[object] = []

    def connected(conn: object, *_args: object) -> None:
        connects.append(conn)

    event.listen(Engine, "connect", connected)
    try:
        assert stack.service.place_manual(buy()).ok
        stack.service.sync(full=True)
        assert stack.service.place_manual(ManualOrder("sell", Decimal("0.01"), PAIR)).ok
    finally:
        event.remove(Engine, "connect", connected)
    assert connects == [] and len(stack.service.journal.closed_trade_rows()) == 1
