"""The composition root in its three modes against the Kraken sim on loopback (real ccxt, real
HTTP, real candles from ../shared/data/kraken):

- paper + PAPER_FEED=live: public prices from the sim drive the autopilot and are walked into
  the LOCAL PaperExchange; the sim account itself is never touched;
- validate: the sim account is read through ccxt, orders are only validated; the sim going away
  leaves status on cached data and opens the circuit breaker;
- live (with ZYN_LIVE_CONFIRM=yes): a confirmed chat buy executes on the sim with its stop there.

The sim's clock does not run by itself here: `RunningSim.advance` moves it and replays the
candles that closed meanwhile, so every price the bot sees is known to the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt
import pytest
from sqlmodel import Session, select

from adapters.kraken.exchange import KrakenExchange
from adapters.sim_exchange.runner import SimExchange, build_sim_exchange
from adapters.sim_exchange.ws_faults import SocketFault
from adapters.web.app import create_web_app
from bot.conversation.envelope import Envelope, Reply
from bot.settings import load_settings  # core settings + the channel blocks (issue 18)
from bot.wiring.app import Zyn, build_zyn
from core.domain import UserError
from core.telemetry.models import DecisionRow, EquitySnapshotRow, OrderRow, TradeRow
from core.trading.types import ManualOrder
from tests.fakes.sim_server import SimServer

HOUR = 3_600_000
FOUR_HOURS = 4 * HOUR
START_BALANCES = {"USD": Decimal(10000), "BTC": Decimal("0.5")}


# ----------------------------------------------------------------------------- helpers
@dataclass
class RunningSim:
    sim: SimExchange
    server: SimServer
    stopped: bool = False

    @property
    def url(self) -> str:
        return self.server.url

    def advance(self, ms: int) -> None:
        """Move the sim's clock and replay every candle open/close that time passed."""
        self.sim.clock.advance(ms)
        self.sim.replayer.step()

    def price(self, pair: str) -> Decimal:
        return self.sim.exchange.fetch_ticker(pair).last

    def balances(self) -> dict[str, Decimal]:
        return {k: v for k, v in self.sim.exchange.fetch_balances().total.items() if v}

    def stop(self) -> None:
        if not self.stopped:
            self.server.stop()
            self.stopped = True


@contextmanager
def kraken_sim(tmp_path: Path, data_dir: Path, balances: dict[str, Decimal] | None = None) -> Iterator[RunningSim]:
    sim = build_sim_exchange(
        str(data_dir / "kraken"), "", "", dict(balances or START_BALANCES), 60.0, f"sqlite:///{tmp_path}/sim.db"
    )
    sim.app.config["RATE_LIMIT"] = None  # the sim's leaky bucket is tested with the adapter, not here
    running = RunningSim(sim, SimServer(sim.app).start())
    try:
        yield running
    finally:
        running.stop()


def unthrottle(zyn: Zyn) -> None:
    """ccxt waits Kraken's 1 s rateLimit between calls; against the loopback sim that is only
    test time (the wiring itself is unchanged: same clients, same URLs, same retries)."""
    if isinstance(zyn.exchange, KrakenExchange):
        zyn.exchange.ccxt.enableRateLimit = False
    inner = getattr(zyn.feed, "_inner", zyn.feed)  # the watchdog's wrapper
    public = getattr(getattr(inner, "rest", inner), "_source", None)  # under the WebSocket feed: REST
    if isinstance(public, ccxt.Exchange):
        public.enableRateLimit = False


def build(env: dict[str, str], **kw: Any) -> Zyn:
    zyn = build_zyn(load_settings(env), **kw)
    unthrottle(zyn)
    return zyn


def priced(zyn: Zyn, sim: RunningSim, pair: str, timeout_s: float = 10.0) -> None:
    """The sim's new price has reached Zyn: REST answers at once, the WebSocket ticker a moment later."""
    import time

    deadline = time.monotonic() + timeout_s
    assert zyn.feed is not None
    while zyn.feed.last_price(pair) != float(sim.price(pair)):
        assert time.monotonic() < deadline, "the sim's price never reached the feed"
        time.sleep(0.01)


def say(zyn: Zyn, text: str) -> Reply:
    reply: Reply = zyn.dispatcher.handle(Envelope("cli", "owner", text))
    return reply


def rows(zyn: Zyn, model: Any) -> list[Any]:
    with Session(zyn.db) as s:
        return list(s.exec(select(model)).all())


def paper_env(tmp_path: Path, url: str) -> dict[str, str]:
    """ZYN_EVIDENCE=off: the autopilot must place orders on these prices (the gate would shadow them)."""
    return {"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "live", "KRAKEN_API_URL": url,
            "ZYN_PAIRS": "BTC/USD,ETH/USD", "ZYN_TIMEFRAME": "4h", "ZYN_EVIDENCE": "off"}


def account_env(tmp_path: Path, sim: RunningSim, mode: str) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "ZYN_MODE": mode, "KRAKEN_API_URL": sim.url,
            "KRAKEN_API_KEY": sim.sim.api_key, "KRAKEN_API_SECRET": sim.sim.api_secret,
            "ZYN_PAIRS": "BTC/USD,ETH/USD", "ZYN_TIMEFRAME": "4h"}


# ----------------------------------------------------------------------------- paper + live feed
@pytest.fixture
def paper_live(tmp_path: Path, data_dir: Path) -> Iterator[tuple[Zyn, RunningSim]]:
    """Zyn on the sim's clock, so "closed candle" means the same thing on both sides."""
    with kraken_sim(tmp_path, data_dir) as sim:
        zyn = build(paper_env(tmp_path, sim.url), clock=sim.sim.clock)
        try:
            yield zyn, sim
        finally:
            zyn.close()


def test_paper_live_feed_drives_the_autopilot_on_closed_candles_only(paper_live) -> None:  # type: ignore[no-untyped-def]
    zyn, sim = paper_live
    jobs = zyn.scheduler.state()["jobs"]
    assert zyn.market.kind == "live" and zyn.pricer is not None and zyn.replay is None
    assert {"autopilot", "take_profit_watch"} <= set(jobs) and "replay" not in jobs

    now = sim.sim.clock.now_ms()
    assert now % FOUR_HOURS == 0  # the sim starts on a 4h boundary: the last closed candle is known
    zyn.scheduler.run_now("autopilot")
    first = rows(zyn, DecisionRow)
    assert {(d.pair, d.ts_ms) for d in first} == {("BTC/USD", now - FOUR_HOURS), ("ETH/USD", now - FOUR_HOURS)}
    assert all(d.reason and d.reason != "no market data" for d in first)
    assert all(d.price is not None for d in first)

    sim.advance(HOUR)  # the next 4h candle is still forming: nothing new to decide
    zyn.scheduler.run_now("autopilot")
    assert len(rows(zyn, DecisionRow)) == 2

    sim.advance(3 * HOUR)
    zyn.scheduler.run_now("autopilot")
    decided = rows(zyn, DecisionRow)
    assert len(decided) == 4 and {d.ts_ms for d in decided[2:]} == {now}
    assert zyn.scheduler.state()["errors"] == {}


def test_status_names_the_market_data_transport_websocket_then_rest_when_the_socket_goes(paper_live) -> None:  # type: ignore[no-untyped-def]
    """issue 21: status `market_data.transport`; a market order's echo shows the checked book's
    spread and fill estimate; the sim's socket gone, REST polling carries on."""
    import time

    zyn, sim = paper_live
    assert zyn.status.snapshot()["market_data"] == {"transport": "rest"}  # nothing streamed yet
    zyn.scheduler.run_now("autopilot")  # asks for candles: the feed opens its socket
    deadline = time.monotonic() + 10
    while zyn.status.snapshot()["market_data"]["transport"] != "websocket":
        assert time.monotonic() < deadline, "the market socket never came up"
        time.sleep(0.02)
    zyn.scheduler.run_now("take_profit_watch")  # the pricer quotes the sim's price locally
    order = ManualOrder(side="buy", amount=Decimal("0.01"), pair="BTC/USD")  # a market buy's echo
    while "Book: bid" not in (text := zyn.dispatcher.services.trading.preview_order(order).text):
        assert time.monotonic() < deadline + 5, f"the echo never showed the book: {text}"
        time.sleep(0.02)
    assert "spread" in text and "a market buy of 0.01 fills at about" in text
    sim.stop()  # no new connections; the open socket is cut as a network would cut it
    sim.sim.app.config["WS_FAULTS"].append(SocketFault("drop"))
    while zyn.status.snapshot()["market_data"]["transport"] != "rest":
        assert time.monotonic() < deadline + 10, "status never fell back to rest"
        time.sleep(0.02)


def test_paper_live_chat_order_fills_locally_and_the_pricer_walks_it_to_its_exit(paper_live) -> None:  # type: ignore[no-untyped-def]
    zyn, sim = paper_live
    sim_before = sim.balances()
    zyn.scheduler.run_now("autopilot")  # its ATR sets the default target of a manual buy
    zyn.scheduler.run_now("take_profit_watch")  # the pricer quotes the sim's price locally
    price = sim.price("BTC/USD")
    assert zyn.exchange.fetch_ticker("BTC/USD").last == price

    stop = int(price * Decimal("0.99"))
    echo = say(zyn, f"buy 0.01 btc/usd sl {stop}")
    assert echo.kind == "confirm" and "0.01" in echo.text and f"{stop:,}" in echo.text
    assert rows(zyn, OrderRow) == []  # nothing sent before the yes
    done = say(zyn, "yes")
    assert done.text.startswith("Bought 0.01") and "BTC/USD" in done.text, done.text

    snap = zyn.status.snapshot()
    assert snap["mode"] == "paper" and snap["source"] == "exchange"
    assert snap["balances"]["BTC"] == pytest.approx(0.01) and snap["balances"]["USD"] < 10_000
    [pos] = snap["positions"]
    assert pos["pair"] == "BTC/USD" and pos["stop_price"] == pytest.approx(stop)
    assert pos["take_profit_price"] is not None and pos["take_profit_price"] > float(price)
    assert [(o["type"], o["side"]) for o in snap["open_orders"]] == [("stop-loss", "sell")]
    assert sim.balances() == sim_before and sim.sim.exchange.fetch_open_orders() == []  # paper: local only

    target = Decimal(repr(pos["take_profit_price"]))
    for _ in range(24 * 60):  # hour by hour until the sim's price crosses the stop or the target
        sim.advance(HOUR)
        priced(zyn, sim, "BTC/USD")
        zyn.scheduler.run_now("take_profit_watch")
        last = sim.price("BTC/USD")
        if last <= stop or last >= target:
            break
    else:
        pytest.fail("the sim's price never reached the stop or the target")

    [trade] = rows(zyn, TradeRow)
    assert trade.status == "closed" and trade.exit_reason == ("stop" if last <= stop else "target")
    after = zyn.status.snapshot()
    assert "BTC" not in after["balances"] and after["positions"] == [] and after["open_orders"] == []
    assert after["trades"]["count"] == 1
    assert sim.balances() == sim_before
    assert zyn.scheduler.state()["errors"] == {}


def test_paper_live_start_serves_health_and_runs_the_jobs_on_the_wall_clock(tmp_path: Path, data_dir: Path) -> None:
    """Exactly what `zyn run` builds (no injected clock): start, health, the jobs, close."""
    with kraken_sim(tmp_path, data_dir) as sim:
        zyn = build(paper_env(tmp_path, sim.url))
        try:
            zyn.start()
            health = create_web_app(zyn).test_client().get("/healthz")
            body = health.get_json()
            assert health.status_code == 200 and body["ok"] and body["mode"] == "paper"
            assert body["scheduler"]["running"] and body["scheduler"]["owner"]
            assert body["market_data"]["kind"] == "live" and body["circuit"]["state"] == "closed"
            zyn.scheduler.run_now("take_profit_watch")
            zyn.scheduler.run_now("autopilot")
            zyn.scheduler.run_now("status_sync")
            zyn.scheduler.run_now("alert_digest")  # quiet hours' digest (nothing held back here)
            assert zyn.exchange.fetch_ticker("ETH/USD").last == sim.price("ETH/USD")
            assert {d.pair for d in rows(zyn, DecisionRow)} == {"BTC/USD", "ETH/USD"}
            equity = rows(zyn, EquitySnapshotRow)  # the autopilot's and the status_sync job's
            assert equity and all(e.source == "paper" and e.equity == pytest.approx(10_000) for e in equity)
            assert zyn.status.snapshot()["autopilot"]["running"]
            assert zyn.scheduler.state()["errors"] == {}
        finally:
            zyn.close()
    assert not zyn.scheduler_state()["running"]


# ----------------------------------------------------------------------------- validate
def test_validate_reads_the_sim_account_validates_orders_and_survives_the_sim_going_away(
    tmp_path: Path, data_dir: Path
) -> None:
    with kraken_sim(tmp_path, data_dir) as sim:
        zyn = build(account_env(tmp_path, sim, "validate"))
        try:
            web = create_web_app(zyn).test_client()
            price = sim.price("BTC/USD")
            snap = web.get("/api/status").get_json()
            assert snap["mode"] == "validate" and snap["source"] == "exchange"
            assert snap["balances"] == {"BTC": 0.5, "USD": 10_000.0}  # XXBT/ZUSD -> common names
            assert snap["equity_usd"] == pytest.approx(10_000 + 0.5 * float(price))
            assert snap["circuit"] == {"state": "closed", "failures": 0}

            decisions = zyn.autopilot.run_once()  # candles through the authenticated adapter
            assert {d.pair for d in decisions} == {"BTC/USD", "ETH/USD"} and all(d.reason for d in decisions)

            stop = int(price * Decimal("0.95"))
            assert say(zyn, f"buy 0.01 btc sl {stop}").kind == "confirm"
            done = say(zyn, "yes")
            assert "validate only, nothing executed" in done.text and "stop-loss" in done.text, done.text
            assert sim.balances() == START_BALANCES and sim.sim.exchange.fetch_open_orders() == []
            orders = rows(zyn, OrderRow)
            assert {(o.purpose, o.status) for o in orders} == {("manual", "validated"), ("stop", "validated")}
            assert [t for t in rows(zyn, TradeRow) if t.status == "open"] == []

            health = web.get("/healthz").get_json()
            assert health["mode"] == "validate" and health["circuit"]["state"] == "closed"
            assert health["exchange"] == {"name": "kraken", "circuit": "closed"}
            good = zyn.status.snapshot()

            sim.stop()
            zyn.status.sync(force=True)
            cached = zyn.status.snapshot()
            assert cached["source"] == "cache" and cached["as_of"] == good["as_of"]
            assert cached["balances"] == good["balances"]  # the last known truth, with its time
            for _ in range(5):
                if zyn.breaker.state == "open":
                    break
                zyn.status.sync(force=True)
            cached = zyn.status.snapshot()
            assert cached["source"] == "cache" and cached["circuit"]["state"] == "open"
            health = web.get("/healthz").get_json()
            assert health["circuit"]["state"] == "open" and health["exchange"]["circuit"] == "open"

            refused = say(zyn, f"buy 0.01 btc sl {stop}")
            assert "\n" not in refused.text and "circuit breaker" in refused.text, refused.text
            status = say(zyn, "status")
            assert "\n" not in status.text and "cached" in status.text, status.text
            assert len(rows(zyn, OrderRow)) == len(orders)
        finally:
            zyn.close()


# ----------------------------------------------------------------------------- live
def test_live_mode_needs_the_explicit_confirmation(tmp_path: Path) -> None:
    env = {"ZYN_MODE": "live", "KRAKEN_API_KEY": "k", "KRAKEN_API_SECRET": "c2VjcmV0",
           "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db"}
    with pytest.raises(UserError, match="ZYN_LIVE_CONFIRM=yes"):
        load_settings(env)
    with pytest.raises(UserError, match="ZYN_LIVE_CONFIRM=yes"):
        load_settings({**env, "ZYN_LIVE_CONFIRM": "no"})
    assert load_settings({**env, "ZYN_LIVE_CONFIRM": "yes"}).mode == "live"


def test_live_chat_buy_executes_on_the_sim_with_its_stop_there(tmp_path: Path, data_dir: Path) -> None:
    with kraken_sim(tmp_path, data_dir) as sim:
        zyn = build({**account_env(tmp_path, sim, "live"), "ZYN_LIVE_CONFIRM": "yes"})
        try:
            assert zyn.status.snapshot()["mode"] == "live"
            price = sim.price("BTC/USD")
            stop = int(price * Decimal("0.95"))
            echo = say(zyn, f"buy 0.01 btc sl {stop}")
            assert echo.kind == "confirm"
            assert sim.balances() == START_BALANCES  # nothing before the yes
            done = say(zyn, "yes")
            assert done.text.startswith("Bought 0.01") and f"stop {stop:,}" in done.text, done.text

            after = sim.balances()
            assert after["BTC"] == Decimal("0.51") and after["USD"] < 10_000 - Decimal("0.01") * price
            [stop_order] = sim.sim.exchange.fetch_open_orders()
            assert (stop_order.pair, stop_order.side, stop_order.type) == ("BTC/USD", "sell", "stop-loss")
            assert stop_order.price == stop and stop_order.amount == Decimal("0.01")

            orders = say(zyn, "orders")  # right after the yes: the account as it is now
            assert [r[0] for r in orders.rows] == [stop_order.id], orders
            snap = zyn.status.snapshot()
            assert snap["source"] == "exchange" and snap["balances"]["BTC"] == pytest.approx(0.51)
            # the buy is its own position (issue 22.1: from its aggregate); the 0.5 BTC that was on the
            # account before is one more row, claimed by no position
            [pos, outside] = snap["positions"]
            assert (pos["amount"], pos["origin"]) == (0.01, "manual") and pos["stop_price"] == pytest.approx(stop)
            assert (outside["amount"], outside["trade_id"], outside["stop_price"]) == (pytest.approx(0.5), None, None)
            assert [o["id"] for o in snap["open_orders"]] == [stop_order.id]
            [trade] = rows(zyn, TradeRow)
            assert trade.status == "open" and trade.source == "live"
            assert {(o.purpose, o.status) for o in rows(zyn, OrderRow)} == {("manual", "closed"), ("stop", "open")}
        finally:
            zyn.close()
