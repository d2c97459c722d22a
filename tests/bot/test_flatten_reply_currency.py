"""The flatten reply names its currency like every other money figure (found running the README
in a fresh clone, session 7: "Flattened: Closed 1 position(s) (#1 manual), P&L -0.21." had none).

The owner's own steps through the real composition root on a replay of real candles: `buy`,
`yes`, `flatten`, `yes`. A USDT account too, so the currency is the pair's quote, not a default.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.conversation.envelope import Envelope
from bot.wiring.app import build_zyn
from core.config import load_settings

DAY = 86_400_000


@pytest.mark.parametrize(("data", "pairs", "buy", "quote"), [
    ("kraken", "BTC/USD,ETH/USD", "buy 0.01 BTC", "USD"),
    ("binance", "BTC/USDT,ETH/USDT", "buy 0.01 BTC/USDT", "USDT"),
])
def test_the_flatten_reply_says_its_pnl_with_the_currency(  # noqa: PLR0913
    tmp_path: Path, data_dir: Path, data: str, pairs: str, buy: str, quote: str
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay", "ZYN_TIMEFRAME": "4h",
           "PAPER_DATA": str(data_dir / data), "ZYN_PAIRS": pairs}
    zyn = build_zyn(load_settings(env))
    try:
        def say(text: str) -> str:
            return str(zyn.dispatcher.handle(Envelope("cli", "owner", text)).text)

        zyn.replay.step(zyn.replay.start_ms() + 10 * DAY)  # type: ignore[union-attr,operator]
        assert "Trade #" in say(buy) + say("yes")
        assert "confirm" in say("flatten").lower()
        done = say("yes")
        assert re.fullmatch(rf"Flattened: Closed 1 position\(s\) \(#\d+ manual\), P&L [+-][\d,]+\.\d\d {quote}\.",
                            done), done
    finally:
        zyn.close()
