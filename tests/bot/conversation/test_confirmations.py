"""Money actions run only after `yes` from the same user on the same channel within 2 minutes."""

import threading
from collections.abc import Callable
from decimal import Decimal

from bot.conversation.envelope import Envelope, Reply
from bot.dispatch.dispatcher import Dispatcher
from core.clock import SimClock
from tests.fakes.services import FakeStatus, FakeTrading

Say = Callable[..., Reply]


def test_order_is_echoed_and_needs_yes(say: Say, trading: FakeTrading) -> None:
    reply = say("buy 0.01 BTC at 61000 sl 59000 tp 65000")
    assert reply.kind == "confirm" and reply.buttons == ["yes", "no"]
    assert reply.text.startswith("jimmy, please confirm")
    rows = reply.row_dict()
    assert rows["Size"] == "0.01 BTC" and rows["Stop"] == "59,000.0" and rows["Target"] == "65,000.0"
    assert rows["Est. cost"] == "611.59 USD" and rows["Price"] == "limit 61,000.0"
    assert trading.calls == []
    done = say("yes")
    assert done.kind == "text" and done.text.startswith("Bought 0.01 BTC/USD at 61,000.0, stop ")
    ((name, req),) = trading.calls
    assert (req.side, req.amount, req.pair, req.price, req.stop, req.target) == (
        "buy",
        Decimal("0.01"),
        "BTC/USD",
        Decimal("61000"),
        Decimal("59000"),
        Decimal("65000"),
    )
    assert say("yes").text == "There is nothing waiting for a yes."
    assert len(trading.calls) == 1


def test_what_was_echoed_is_what_runs(say: Say, trading: FakeTrading) -> None:
    rows = say("buy 0.01 btc").row_dict()  # market: the preview fills in stop and target
    assert rows["Stop"] == "59,170.0" and rows["Target"] == "64,660.0" and rows["Price"].startswith("market")
    say("yes")
    req = trading.calls[0][1]
    assert (req.price, req.stop, req.target) == (None, Decimal("59170"), Decimal("64660"))


def test_yes_from_another_user_or_channel_confirms_nothing(say: Say, trading: FakeTrading) -> None:
    say("buy 0.01 btc")
    assert say("yes", channel="slack", user="U1").text == "There is nothing waiting for a yes."
    assert say("yes", channel="cli", user="owner").text == "There is nothing waiting for a yes."
    assert trading.calls == []
    say("yes")  # the owner's own yes on the same channel still works
    assert len(trading.calls) == 1


def test_yes_after_two_minutes_does_nothing(say: Say, trading: FakeTrading, clock: SimClock) -> None:
    say("sell 0.01 btc")
    clock.advance(120_001)
    reply = say("yes")
    assert "expired" in reply.text and trading.calls == []
    assert say("yes").text == "There is nothing waiting for a yes."


def test_yes_just_inside_the_window(say: Say, trading: FakeTrading, clock: SimClock) -> None:
    say("sell 0.01 btc")
    clock.advance(119_000)
    say("yes")
    assert len(trading.calls) == 1


def test_no_drops_the_pending_action(say: Say, trading: FakeTrading) -> None:
    say("buy 0.01 btc")
    assert "Dropped the pending buy 0.01 BTC/USD" in say("no").text
    assert say("yes").text == "There is nothing waiting for a yes."
    assert say("no").text == "There is nothing to drop."
    assert trading.calls == []


def test_an_unrelated_message_is_answered_and_the_order_still_waits(say: Say, trading: FakeTrading) -> None:
    say("buy 0.01 btc")
    reply = say("status")
    assert "equity 10,012.30 USD" in reply.text and "Dropped" not in reply.text
    assert reply.text.endswith("(Still waiting for yes or no on: buy 0.01 BTC/USD (market, about 61,000.0).)")
    say("what's the price of ETH?")
    assert trading.calls == []
    assert say("yes").text.startswith("Bought 0.01 BTC/USD")
    assert len(trading.calls) == 1


def test_an_unrelated_message_after_expiry_just_drops_it(say: Say, trading: FakeTrading, clock: SimClock) -> None:
    say("buy 0.01 btc")
    clock.advance(120_001)
    reply = say("status")
    assert "Still waiting" not in reply.text and "Dropped" not in reply.text
    assert say("yes").text == "There is nothing waiting for a yes."
    assert trading.calls == []


def test_a_new_order_replaces_the_pending_one(say: Say, trading: FakeTrading) -> None:
    say("buy 0.01 btc")
    reply = say("buy 0.02 eth")
    assert reply.kind == "confirm" and "Replaced the pending buy 0.01 BTC/USD" in reply.text
    say("yes")
    assert trading.calls[0][1].pair == "ETH/USD"


def test_confirmation_survives_a_new_dispatcher(
    make_dispatcher: Callable[[], Dispatcher], trading: FakeTrading
) -> None:
    """zyn chat "buy ..." then a second process zyn chat "yes"."""
    first = make_dispatcher().handle(Envelope("cli", "owner", "buy 0.01 btc"))
    assert first.kind == "confirm"
    second = make_dispatcher().handle(Envelope("cli", "owner", "yes"))
    assert second.text.startswith("Bought") and len(trading.calls) == 1


def test_two_concurrent_yes_run_once(make_dispatcher: Callable[[], Dispatcher], trading: FakeTrading) -> None:
    make_dispatcher().handle(Envelope("cli", "owner", "buy 0.01 btc"))
    dispatchers = [make_dispatcher() for _ in range(6)]
    barrier = threading.Barrier(len(dispatchers))

    def confirm(d: Dispatcher) -> None:
        barrier.wait()
        d.handle(Envelope("cli", "owner", "yes"))

    threads = [threading.Thread(target=confirm, args=(d,)) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(trading.calls) == 1


def test_cancel_flatten_resume_need_yes(say: Say, trading: FakeTrading, status: FakeStatus) -> None:
    reply = say("cancel OABC12-XYZ")
    assert reply.kind == "confirm" and trading.calls == []
    say("yes")
    limit = {"id": "OLIM-1", "pair": "BTC/USD", "side": "buy", "type": "limit", "price": 55000.0, "amount": 0.01}
    status.snap["open_orders"] = [*status.snap["open_orders"], limit]
    assert say("cancel all").kind == "confirm"
    say("yes")
    flat = say("flatten")
    assert flat.kind == "confirm" and "BTC/USD" in flat.row_dict()
    say("yes")
    status.snap["autopilot"] = {"running": False, "paused_reason": "paused by owner"}
    assert say("resume").kind == "confirm"
    say("yes")
    assert [c[0] for c in trading.calls] == ["cancel", "cancel", "flatten", "resume"]
    assert [c[1] for c in trading.calls[:2]] == ["OABC12-XYZ", None]


def test_cancel_all_echoes_what_will_really_happen_the_stops_of_positions_stay(
    say: Say, trading: FakeTrading, status: FakeStatus
) -> None:
    """Issue 22.9: not "cancel all 1 open order(s)" then "Canceled 0 order(s); kept 1 stop(s)"."""
    only_stop = say("cancel all")  # the fake's one open order is the BTC position's stop
    assert only_stop.kind == "text" and trading.calls == []
    assert only_stop.text == ("Nothing to cancel: the only open orders are the 1 stop of open positions, "
                              "which stay (flatten closes positions).")
    limit = {"id": "OLIM-1", "pair": "BTC/USD", "side": "buy", "type": "limit", "price": 55000.0, "amount": 0.01}
    status.snap["open_orders"] = [*status.snap["open_orders"], limit]
    echo = say("cancel all")
    assert echo.kind == "confirm" and echo.rows[0][0] == "OLIM-1" and len(echo.rows) == 1
    assert "cancel 1 open order; the 1 stop of open positions stay (flatten closes positions)" in echo.text


def test_pause_runs_at_once(say: Say, trading: FakeTrading) -> None:
    reply = say("pause")
    assert reply.kind == "text" and "resume" in reply.text
    assert trading.calls[0][0] == "pause"


def test_nothing_to_do_needs_no_confirmation(say: Say, trading: FakeTrading, status: FakeStatus) -> None:
    assert "already running" in say("resume").text
    assert "no open order NOPE" in say("cancel NOPE").text
    status.snap["positions"], status.snap["open_orders"] = [], []
    assert "Nothing to flatten" in say("flatten").text
    assert "No open orders" in say("cancel all").text
    assert say("yes").text == "There is nothing waiting for a yes."
    assert trading.calls == []


def test_flatten_a_pair_holding_two_positions_says_it_closes_both(
    say: Say, trading: FakeTrading, status: FakeStatus
) -> None:
    """A manual position beside the autopilot's: `flatten BTC` names both, then closes the pair."""
    manual = {**status.snap["positions"][0], "amount": 0.01, "trade_id": 3, "origin": "manual", "stop_price": 5000.0}
    auto = {**status.snap["positions"][0], "amount": 0.02, "trade_id": 4, "origin": "autopilot"}
    status.snap["positions"] = [manual, auto]
    positions = say("positions")
    assert [r[0] for r in positions.rows] == ["BTC/USD #3 manual", "BTC/USD #4 autopilot"]
    echo = say("flatten btc")
    assert echo.kind == "confirm" and trading.calls == []
    assert "flatten BTC/USD: closes all 2 positions (#3 manual, #4 autopilot)" in echo.text
    assert list(echo.row_dict()) == ["BTC/USD #3 manual", "BTC/USD #4 autopilot"]
    say("yes")
    assert trading.calls == [("flatten_pair", "BTC/USD")]
    assert "Nothing to flatten in ETH/USD" in say("flatten ETH").text


def test_never_mind_drops_the_pending_action_only_while_one_waits(say: Say, trading: FakeTrading) -> None:
    """"nvm, cancel that" drops the order waiting for yes; with nothing waiting it is read as usual."""
    say("buy 0.01 btc")
    assert "Dropped the pending buy 0.01 BTC/USD" in say("nvm, cancel that").text
    assert say("yes").text == "There is nothing waiting for a yes."
    say("sell 0.01 btc")
    assert "Dropped the pending sell 0.01 BTC/USD" in say("never mind").text
    assert "Dropped" not in say("cancel that order").text
    assert trading.calls == []
