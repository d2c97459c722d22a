"""The system prompt's facts, conversation memory in the request, and `memory` / `forget`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.agent import build_free_text_engine
from bot.agent.engine import AgentEngine
from bot.agent.prompt import default_time_context, status_performance, time_words
from bot.conversation.memory import ConversationMemory, forget, show_memory
from core.clock import SimClock
from core.config import Settings
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import MessageRow
from tests.fakes import openai_server as fake
from tests.fakes.chat_fakes import FakeDispatcher, FakeEnvelope, FakeOfflineEngine

T0 = 1_714_953_600_000  # 2024-05-06 00:00 UTC, a Monday


def _say(db: Engine, *texts: str, channel: str = "cli", user_id: str = "jimmy") -> None:
    """Store alternating user/Zyn messages, as the dispatcher does."""
    with Session(db) as s:
        for i, text in enumerate(texts):
            direction = "in" if i % 2 == 0 else "out"
            s.add(
                MessageRow(
                    ts_ms=T0 + i * 60_000, channel=channel, user_id=user_id, direction=direction, text=text
                )
            )
        s.commit()


def test_system_prompt_carries_name_time_preferences_and_performance(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
    kv: KeyValueStore,
) -> None:
    kv.set("pref:risk", "low")
    kv.set("pref:report_hour", "8")
    kv.set("pending:cli:jimmy", "buy 1 BTC")  # not a preference: must not leak into the prompt
    server.script(fake.text("ok"))

    make_agent().answer(env, "hi", dispatcher)

    [request] = server.chat_requests()
    system = request["messages"][0]
    assert system["role"] == "system"
    content = system["content"]
    assert "jimmy" in content
    assert "Monday 2024-05-06 14:00 UTC, Europe/US overlap" in content
    assert "report_hour = 8; risk = low" in content
    assert "12 closed trades, 7 won" in content
    assert "buy 1 BTC" not in content
    assert 'must answer "yes"' in content
    assert request["messages"][-1] == {"role": "user", "content": "hi"}


def test_name_and_time_zone_follow_the_dispatcher(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    env: FakeEnvelope,
) -> None:
    @dataclass
    class Dispatcher(FakeDispatcher):
        user_name: str = "Jim"
        tz: str = "Europe/Berlin"

    server.script(fake.text("ok"))
    clock = SimClock(T0 + 14 * 3_600_000)  # Monday 14:00 UTC = 16:00 in Berlin

    make_agent(time_context=None, clock=clock).answer(env, "hi", Dispatcher())

    system = server.chat_requests()[0]["messages"][0]["content"]
    assert "You are Zyn, Jim's" in system
    assert "Monday 2024-05-06 16:00" in system and "Europe/Berlin" in system


def test_failing_prompt_facts_are_left_out_not_fatal(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
) -> None:
    def broken() -> str:
        raise RuntimeError("status service down")

    server.script(fake.text("ok"))
    assert make_agent(performance=broken, time_context=broken).answer(env, "hi", dispatcher).text == "ok"
    assert "Recent performance" not in server.chat_requests()[0]["messages"][0]["content"]


def test_default_time_context_and_status_summary() -> None:
    clock = SimClock(T0 + 14 * 3_600_000)
    text = default_time_context(clock, "Europe/Berlin")()
    assert "2024" in text and "06" in text


def test_the_prompt_time_words_name_local_and_utc_time_and_the_weekend() -> None:
    ts = 1_704_551_400_000  # Saturday 2024-01-06 14:30 UTC
    text = time_words(SimClock(ts), "Europe/Berlin")
    assert "Saturday 2024-01-06 15:30 in Europe/Berlin" in text and "14:30 UTC" in text and "weekend" in text

    class Status:
        def snapshot(self) -> dict[str, Any]:
            return {
                "mode": "paper",
                "equity_usd": 10250.5,
                "pnl": {"today": 12.5, "week": -3, "all_time": 250.5},
                "trades": {"count": 9, "wins": 5, "losses": 4},
                "positions": [{}],
                "autopilot": {"paused_reason": "owner"},
                "kill_switch": {"tripped": False},
            }

    summary = status_performance(Status())()
    assert "equity 10,250.50 USD" in summary and "9 closed trades (5 won, 4 lost)" in summary
    assert "autopilot paused: owner" in summary and "1 open positions" in summary


def test_recent_turns_go_to_the_model_and_old_ones_fold_into_the_summary(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
    db: Engine,
) -> None:
    _say(db, "I like ETH", "Noted.", "what about SOL?", "SOL is not traded.", "why no trades?")
    memory = ConversationMemory(db, keep_turns=3)
    server.script(fake.text("first"), fake.text("second"))

    make_agent(memory=memory).answer(env, "why no trades?", dispatcher)  # the dispatcher stored it already

    messages = server.chat_requests()[0]["messages"]
    assert [(m["role"], m["content"]) for m in messages[1:]] == [
        ("assistant", "Noted."),
        ("user", "what about SOL?"),
        ("assistant", "SOL is not traded."),
        ("user", "why no trades?"),
    ]
    assert "I like ETH" not in messages[0]["content"]  # the summary was empty before this answer
    summary = memory.summary("cli", "jimmy")
    assert summary.splitlines() == ["[2024-05-06 00:00] jimmy: I like ETH", "[2024-05-06 00:01] Zyn: Noted."]

    make_agent(memory=memory).answer(env, "and now?", dispatcher)
    second = server.chat_requests()[1]["messages"]
    assert "jimmy: I like ETH" in second[0]["content"]
    assert [m["content"] for m in second[1:]] == [
        "what about SOL?",
        "SOL is not traded.",
        "why no trades?",
        "and now?",
    ]


def test_summary_keeps_the_newest_lines_within_budget(db: Engine) -> None:
    _say(db, *[f"message number {i} " + "x" * 50 for i in range(20)])
    memory = ConversationMemory(db, keep_turns=2, summary_chars=400)
    assert memory.fold("cli", "jimmy", user_name="jimmy") == 18
    summary = memory.summary("cli", "jimmy")
    assert len(summary) <= 400
    assert "message number 17" in summary and "message number 0 " not in summary
    assert memory.fold("cli", "jimmy") == 0  # idempotent


def test_memory_shows_and_forget_clears_but_keeps_the_audit_log(db: Engine) -> None:
    assert show_memory(db, "cli", "jimmy") == "I don't remember anything about our conversations yet."
    _say(db, "my name is Jimmy", "Hi Jimmy!", "I trade on Sundays", "Noted.")
    _say(db, "someone else", channel="sms", user_id="+100")
    ConversationMemory(db, keep_turns=2).fold("cli", "jimmy", user_name="jimmy")

    shown = show_memory(db, "cli", "jimmy")
    assert "jimmy: my name is Jimmy" in shown  # folded into the summary
    assert "- you: I trade on Sundays" in shown and "- Zyn: Noted." in shown
    assert "someone else" not in shown

    forget(db, "cli", "jimmy")

    assert show_memory(db, "cli", "jimmy") == "I don't remember anything about our conversations yet."
    assert "someone else" in show_memory(db, "sms", "+100")
    with Session(db) as s:
        assert len(s.exec(select(MessageRow).where(MessageRow.channel == "cli")).all()) == 4
    _say(db, "hello again")
    assert "- you: hello again" in show_memory(db, "cli", "jimmy")


def test_forgotten_turns_do_not_reach_the_model(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
    db: Engine,
) -> None:
    _say(db, "my secret plan", "ok")
    forget(db, "cli", "jimmy")
    server.script(fake.text("hi"))

    make_agent().answer(env, "hello", dispatcher)

    assert "secret" not in str(server.chat_requests()[0]["messages"])


def test_factory_uses_the_offline_engine_without_a_key(db: Engine, kv: KeyValueStore) -> None:
    offline = FakeOfflineEngine()
    clock = SimClock(T0)
    assert build_free_text_engine(Settings(), db=db, fallback=offline, clock=clock, kv=kv) is offline
    with_key = Settings(openai_api_key="sk-x", openai_base_url="http://127.0.0.1:9/v1", openai_model="m")
    engine = build_free_text_engine(with_key, db=db, fallback=offline, clock=clock, kv=kv)
    assert isinstance(engine, AgentEngine) and engine.model == "m"
    assert "sk-x" not in repr(engine.__dict__.get("model"))


def test_fold_never_splits_a_question_from_its_answer_and_skips_memory_commands(db: Engine) -> None:
    _say(db, "memory", "Here is what I remember ...", "hi", "Hello!", "status?", "All good.")
    memory = ConversationMemory(db, keep_turns=3)

    assert memory.fold("cli", "jimmy", user_name="jimmy") == 4  # 3 would strand "Hello!" without "hi"

    assert memory.summary("cli", "jimmy").splitlines() == [
        "[2024-05-06 00:02] jimmy: hi",
        "[2024-05-06 00:03] Zyn: Hello!",
    ]
    assert [t.text for t in memory.recent_turns("cli", "jimmy")] == ["status?", "All good."]


def _closed(source: str, i: int, pnl: float) -> Any:
    from core.telemetry.models import TradeRow

    entry = T0 + i * 3_600_000
    return TradeRow(
        pair="BTC/USD",
        source=source,
        status="closed",
        entry_ms=entry,
        exit_ms=entry + 1_800_000,
        amount=0.01,
        entry_price=60_000.0,
        exit_price=61_000.0,
        initial_risk=20.0,
        pnl=pnl,
        r_multiple=pnl / 20.0,
    )


def test_performance_line_combines_status_and_the_analyzer(db: Engine) -> None:
    from bot.agent.prompt import performance_summary
    from core.learning.analyzer import TradeAnalyzer

    with Session(db) as s:
        s.add_all([_closed("paper", 0, 50.0), _closed("paper", 1, -20.0), _closed("paper", 2, 30.0)])
        s.add(_closed("backtest", 3, -5.0))
        s.commit()

    class BrokenStatus:
        def snapshot(self) -> dict[str, Any]:
            raise RuntimeError("exchange down")

    summary = performance_summary(BrokenStatus(), TradeAnalyzer(db))
    assert summary is not None
    line = summary()
    assert line.startswith("overall: won 2 of 3 (") and "small sample" in line  # backtest trade excluded
    assert performance_summary(None, None) is None
