"""The evidence record follows the owner's feature switch (issue 17 point 1), from the composition
root on a real replay (kraken candles, 4h, evidence gate ON, paper): `set feature mtf on` in chat
makes the next evaluations judge the mtf strategy's record, and `status` / "why not" say so; with
the default modules (none) they say nothing about it. The record's figures themselves are held to
the kernel backtest with mtf in tests/core/trading/test_live_evidence_modules.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.conversation.envelope import Envelope
from bot.wiring.app import Zyn, build_zyn
from core.config import load_settings
from core.trading.servant import record_modules_of
from tests.bot.test_servant_chat import servant_env

DAY = 86_400_000


@pytest.fixture(scope="module")
def zyn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zyn]:
    z = build_zyn(load_settings(servant_env(tmp_path_factory.mktemp("modset"))))
    yield z
    z.close()


def ask(zyn: Zyn, text: str) -> tuple[str, dict[str, str]]:
    reply = zyn.dispatcher.handle(Envelope("web", "owner", text))
    return reply.text, {str(row[0]): str(row[1]) for row in reply.rows}


def test_the_record_is_of_the_modules_switched_on_and_status_says_so_only_then(zyn: Zyn) -> None:
    replay = zyn.replay
    assert replay is not None
    start = replay.start_ms()
    assert start is not None
    replay.step(start + 120 * DAY)
    plain = zyn.status.snapshot()["evidence"]["BTC/USD"]
    assert plain["trades"] > 0 and record_modules_of(zyn.kv) == frozenset()
    text, rows = ask(zyn, "status")
    assert "evidence record of" not in rows  # the default (plain strategy) is not mentioned
    text, rows = ask(zyn, "why aren't you trading BTC?")
    assert "Its record is" not in text

    ask(zyn, "set feature mtf on")
    replay.step(start + 121 * DAY)  # applies from the next candle
    assert record_modules_of(zyn.kv) == frozenset({"mtf"})
    mtf = zyn.status.snapshot()["evidence"]["BTC/USD"]
    assert set(mtf) == set(plain)  # the contract's keys, nothing added
    assert mtf["trades"] < plain["trades"]  # mtf vetoes entries: its own, shorter record, not plain's
    _text, rows = ask(zyn, "status")
    assert rows["evidence record of"] == "the strategy with mtf"
    text, rows = ask(zyn, "why aren't you trading BTC?")
    assert "Its record is that of the strategy with mtf" in text and rows["evidence record of"]

    ask(zyn, "set feature mtf off")
    replay.step(start + 122 * DAY)
    assert record_modules_of(zyn.kv) == frozenset()
    back = zyn.status.snapshot()["evidence"]["BTC/USD"]
    assert back["trades"] >= plain["trades"]  # the plain record again, extended by the days since
    _text, rows = ask(zyn, "status")
    assert "evidence record of" not in rows
