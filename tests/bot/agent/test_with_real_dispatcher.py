"""End to end through the real Dispatcher: free text -> agent -> tool -> the dispatcher's own
confirmation; only the owner's `yes` reaches the trading service. Memory via the real commands."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from bot.agent.engine import AgentEngine
from bot.conversation.envelope import Envelope
from bot.conversation.offline_engine import OfflineEngine
from bot.conversation.services import Services
from bot.dispatch.dispatcher import Dispatcher
from core.clock import SimClock
from core.telemetry.kv import KeyValueStore
from core.trading.commands import Command, Pause, PlaceManualOrder
from core.trading.results import Code, TradeResult
from tests.fakes import openai_server as fake

T0 = 1_714_996_800_000  # 2024-05-06 12:00 UTC


@dataclass(frozen=True)
class Preview:
    text: str
    amount: Decimal
    pair: str
    side: str
    price_est: Decimal | None
    stop: Decimal | None
    target: Decimal | None
    est_cost: Decimal | None
    closes_positions: int = 0


@dataclass(frozen=True)
class Result:
    ok: bool
    text: str
    data: dict[str, Any] = field(default_factory=dict)  # the port's ActionResultLike has it


@dataclass
class Trading:
    placed: list[Any] = field(default_factory=list)
    paused: list[str] = field(default_factory=list)

    def preview_order(self, req: Any) -> Preview:
        cost = req.amount * (req.price or Decimal(61000))
        return Preview("", req.amount, req.pair, req.side, req.price, req.stop, req.target, cost)

    def place_manual(self, req: Any) -> Result:
        self.placed.append(req)
        return Result(True, f"Placed {req.side} {req.amount} {req.pair}.")

    def cancel(self, order_id: str | None) -> Result:
        return Result(True, "cancelled")

    def flatten(self, reason: str) -> Result:
        return Result(True, "flat")

    def pause(self, reason: str) -> object:
        self.paused.append(reason)
        return Result(True, "Autopilot paused.")

    def resume(self) -> Result:
        return Result(True, "resumed")

    def handle(self, cmd: Command) -> TradeResult:
        if isinstance(cmd, PlaceManualOrder):
            self.place_manual(cmd.order)
            o = cmd.order
            return TradeResult(True, Code.LIMIT_PLACED, o.pair, o.side, o.amount, o.price, order_id="O1")
        if isinstance(cmd, Pause):
            self.pause(cmd.reason)
            return TradeResult(True, Code.PAUSED)
        return TradeResult(True, Code.CLOSED)


class Status:
    def snapshot(self) -> Mapping[str, Any]:
        return {
            "mode": "paper",
            "equity_usd": 10_000.0,
            "pnl": {"today": 0.0, "week": 0.0, "all_time": 0.0},
            "trades": {"count": 0, "wins": 0, "losses": 0, "win_rate": 0.0},
            "positions": [],
            "open_orders": [],
            "autopilot": {"running": True, "paused_reason": ""},
            "kill_switch": {"tripped": False, "daily_pnl": 0.0, "limit": -300.0},
            "circuit": {"state": "closed", "failures": 0},
            "balances": {"USD": 10_000.0},
        }

    def pnl(self, period: str) -> float:
        return 0.0

    def recent_trades(self, n: int) -> Sequence[Mapping[str, Any]]:
        return []

    def positions(self) -> Sequence[Mapping[str, Any]]:
        return []

    def open_orders(self) -> Sequence[Mapping[str, Any]]:
        return []

    def equity_curve(self) -> Sequence[tuple[int, float]]:
        return []


def _dispatcher(db: Engine, kv: KeyValueStore, agent: AgentEngine, trading: Trading) -> Dispatcher:
    services = Services(trading=trading, status=Status())
    return Dispatcher(services, kv, db, SimClock(T0), {}, "jimmy", agent)


def test_agent_order_waits_for_the_owners_yes(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    db: Engine,
    kv: KeyValueStore,
) -> None:
    order = {"side": "buy", "amount": 0.01, "pair": "BTC/USD", "price": 61000, "stop": 59000}
    server.script(fake.tools(fake.tool_call("request_order", order, "o1")), fake.text("Order placed!"))
    trading = Trading()
    dispatcher = _dispatcher(db, kv, make_agent(fallback=OfflineEngine()), trading)
    env = Envelope("cli", "jimmy", "i reckon a hundredth of the orange coin at 61k with a floor at 59k")

    reply = dispatcher.handle(env)

    assert reply.kind == "confirm" and reply.buttons
    assert "placed" not in reply.text.lower()
    assert trading.placed == []
    assert len(server.chat_requests()) == 1

    done = dispatcher.handle(Envelope("cli", "jimmy", "yes"))

    assert [(o.side, o.amount, o.pair, o.price, o.stop) for o in trading.placed] == [
        ("buy", Decimal("0.01"), "BTC/USD", Decimal(61000), Decimal(59000))
    ]
    assert done.text.startswith("Limit buy 0.01 BTC/USD at 61,000.0 placed (order O1)")


def test_rate_limited_agent_answers_with_the_real_offline_engine(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    db: Engine,
    kv: KeyValueStore,
) -> None:
    server.script(fake.error(429, "Rate limit reached", retry_after="30"))
    dispatcher = _dispatcher(db, kv, make_agent(fallback=OfflineEngine()), Trading())

    reply = dispatcher.handle(Envelope("cli", "jimmy", "how am I doing this week?"))

    assert reply.kind == "text"
    assert reply.text.endswith("(LLM unavailable: rate limited — answered offline)")


def test_memory_and_forget_commands_show_the_agents_memory(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    db: Engine,
    kv: KeyValueStore,
) -> None:
    server.script(fake.text("Noted, you like ETH."), fake.text("You told me you like ETH."))
    dispatcher = _dispatcher(db, kv, make_agent(fallback=OfflineEngine()), Trading())
    owner = "cli", "jimmy"

    dispatcher.handle(Envelope(*owner, "by the way, I like ETH"))
    assert "by the way, I like ETH" in dispatcher.handle(Envelope(*owner, "memory")).text
    dispatcher.handle(Envelope(*owner, "what do I like?"))
    second = server.chat_requests()[1]["messages"]
    assert {"role": "user", "content": "by the way, I like ETH"} in second
    assert {"role": "assistant", "content": "Noted, you like ETH."} in second
    assert second[-1] == {"role": "user", "content": "what do I like?"}
    assert sum(m["content"] == "what do I like?" for m in second) == 1
    assert not any(m["content"] == "memory" or "what I remember" in m["content"] for m in second[1:])

    dispatcher.handle(Envelope(*owner, "forget"))

    assert "don't remember anything" in dispatcher.handle(Envelope(*owner, "memory")).text


def test_what_the_strict_grammar_cannot_parse_goes_to_the_agent(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    db: Engine,
    kv: KeyValueStore,
) -> None:
    order = {"side": "buy", "amount": 0.001, "pair": "BTC/USD"}
    server.script(fake.tools(fake.tool_call("request_order", order, "o1")), fake.text("Please confirm."))
    trading = Trading()
    dispatcher = _dispatcher(db, kv, make_agent(fallback=OfflineEngine()), trading)

    reply = dispatcher.handle(Envelope("cli", "jimmy", "buy 0.001 BTC/USD zork now"))

    assert reply.kind == "confirm" and "don't understand" not in reply.text
    assert server.chat_requests()[0]["messages"][-1]["content"] == "buy 0.001 BTC/USD zork now"
    assert trading.placed == []
    dispatcher.handle(Envelope("cli", "jimmy", "yes"))
    assert [(o.side, o.amount, o.pair) for o in trading.placed] == [("buy", Decimal("0.001"), "BTC/USD")]


def test_without_an_llm_a_malformed_order_is_still_one_clear_line(db: Engine, kv: KeyValueStore) -> None:
    dispatcher = _dispatcher(db, kv, OfflineEngine(), Trading())  # type: ignore[arg-type]
    reply = dispatcher.handle(Envelope("cli", "jimmy", "buy 0.001 BTC/USD zork now"))
    assert reply.kind == "error" and "I don't understand 'zork' in the order" in reply.text
