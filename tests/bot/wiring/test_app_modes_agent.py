"""The LLM agent as the composition root wires it (OPENAI_API_KEY + OPENAI_BASE_URL): the real
`openai` client talks to a loopback fake Chat Completions server, its tools run Zyn's own chat
commands on a paper account priced by the Kraken sim. The model can read (get_pnl) but an order
it asks for (request_order) only becomes the owner's yes/no prompt."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.wiring.app import Zyn
from core.telemetry.models import OrderRow
from tests.bot.wiring.test_app_modes_sim import HOUR, RunningSim, build, kraken_sim, paper_env, rows, say
from tests.fakes import openai_server as fake

API_KEY = "sk-test-zyn-0123456789"
MODEL = "zyn-test-model"


@pytest.fixture
def llm() -> Iterator[fake.FakeOpenAIServer]:
    with fake.FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def agent_zyn(tmp_path: Path, data_dir: Path, llm: fake.FakeOpenAIServer) -> Iterator[tuple[Zyn, RunningSim]]:
    with kraken_sim(tmp_path, data_dir) as sim:
        env = {**paper_env(tmp_path, sim.url), "OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": llm.base_url,
               "OPENAI_MODEL": MODEL}
        zyn = build(env, clock=sim.sim.clock)
        zyn.scheduler.run_now("autopilot")
        zyn.scheduler.run_now("take_profit_watch")  # local prices from the sim
        try:
            yield zyn, sim
        finally:
            zyn.close()


def round_trip(zyn: Zyn, sim: RunningSim) -> None:
    """Buy and sell 0.01 BTC through chat commands (no LLM involved), 4 hours apart."""
    price = sim.price("BTC/USD")
    say(zyn, f"buy 0.01 btc/usd sl {int(price * Decimal('0.8'))} tp {int(price * Decimal('1.5'))}")
    assert say(zyn, "yes").text.startswith("Bought"), "the chat buy did not fill"
    sim.advance(4 * HOUR)
    zyn.scheduler.run_now("take_profit_watch")
    say(zyn, "sell 0.01 btc/usd")
    assert say(zyn, "yes").text.startswith("Sold"), "the chat sell did not fill"


def test_free_text_goes_through_the_agent_and_its_tool_reads_the_real_pnl(agent_zyn, llm) -> None:  # type: ignore[no-untyped-def]
    zyn, sim = agent_zyn
    round_trip(zyn, sim)
    week = zyn.status.pnl("week")
    assert week != 0
    assert llm.chat_requests() == []  # commands never reach the model
    llm.script(
        fake.tools(fake.tool_call("get_pnl", {"period": "week"}, "call_pnl")),
        fake.text(f"This week you are at {week:+.2f} USD after one round trip."),
    )

    reply = say(zyn, "how am I doing this week?")

    assert reply.kind == "text" and reply.text == f"This week you are at {week:+.2f} USD after one round trip."
    first, second = llm.chat_requests()
    assert first["model"] == MODEL and first["messages"][-1] == {"role": "user", "content": "how am I doing this week?"}
    names = {t["function"]["name"] for t in first["tools"]}
    assert {"get_pnl", "get_status", "request_order"} <= names
    assert llm.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
    [result] = [m for m in second["messages"] if m["role"] == "tool"]
    assert result["tool_call_id"] == "call_pnl"
    assert f"{week:,.2f} USD" in result["content"], result["content"]


def test_an_order_the_model_requests_waits_for_the_owners_yes(agent_zyn, llm) -> None:  # type: ignore[no-untyped-def]
    zyn, sim = agent_zyn
    price = sim.price("BTC/USD")
    stop = int(price * Decimal("0.95"))
    order = {"side": "buy", "amount": 0.01, "pair": "BTC/USD", "stop": stop}
    llm.script(fake.tools(fake.tool_call("request_order", order, "call_order")), fake.text("Order placed!"))
    before = zyn.status.snapshot()["balances"]

    reply = say(zyn, "please buy 0.01 bitcoin with a stop 5% below the price")

    assert reply.kind == "confirm" and reply.buttons == ["yes", "no"]
    assert "0.01" in reply.text and f"{stop:,}" in reply.text and "placed" not in reply.text.lower()
    assert len(llm.chat_requests()) == 1  # the confirmation ends the conversation with the model
    assert rows(zyn, OrderRow) == [] and zyn.status.snapshot()["balances"] == before

    done = say(zyn, "yes")

    assert done.text.startswith("Bought 0.01") and f"stop {stop:,}" in done.text, done.text
    assert len(llm.chat_requests()) == 1  # the owner's yes is a command, not a question for the model
    after = zyn.status.snapshot()
    assert after["balances"]["BTC"] == pytest.approx(0.01)
    assert [p["stop_price"] for p in after["positions"]] == [pytest.approx(stop)]
    assert {o.purpose for o in rows(zyn, OrderRow)} == {"manual", "stop"}
