"""In a replay the candle store holds only candles before the replay clock, and a chat `backtest SOL`
at a replay date uses only those (issue 17: it used the whole file, future included). Built by
the composition root on the real SOL/USDT hourly candles; the whole file is also imported into
the same database, and still nothing after the replay clock is read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.wiring.app import build_zyn
from core.clock import SimClock
from core.config import load_settings
from core.market_data.csv_loader import load_csv
from core.market_data.store_sql import SqlCandleStore
from core.messages import Envelope

H = 3_600_000
REPLAY_DATE = int(datetime(2022, 4, 4, 12, 30, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def sol(tmp_path: Path, data_dir: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "BINANCE_SOL-USDT_1h.csv").symlink_to(data_dir / "binance" / "BINANCE_SOL-USDT_1h.csv")
    return folder / "BINANCE_SOL-USDT_1h.csv"


def test_chat_backtest_at_a_replay_date_uses_only_the_candles_before_it(tmp_path: Path, sol: Path) -> None:
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
                              "PAPER_DATA": str(sol.parent), "ZYN_TIMEFRAME": "1h", "ZYN_PAIRS": "SOL/USDT"})
    every = load_csv(sol)
    clock = SimClock(REPLAY_DATE)
    zyn = build_zyn(settings, clock=clock)
    try:
        SqlCandleStore(zyn.db).add("SOL/USDT", "1h", every)  # the whole file, future included, in the database
        past = [c for c in every if c.ts + H <= REPLAY_DATE]
        assert 0 < len(past) < len(every) - 1000

        reply = zyn.dispatcher.handle(Envelope("cli", "owner", "backtest SOL"))
        assert reply.text.startswith(f"SOL/USDT on {len(past)} 1h candles"), reply.text
        assert reply.title == "Backtest SOL/USDT"  # `SOL` reads as SOL/USD; the one SOL pair here is meant
        assert zyn.candles.history("SOL/USDT", "1h") == past
        assert zyn.candles.history("SOL/USDT", "1h", until_ms=REPLAY_DATE + 500 * H) == past
        learned_from = zyn.learning.history_before(clock.now_ms())["SOL/USDT"]
        assert learned_from[-1].ts + H <= REPLAY_DATE and len(learned_from) == len(past)

        clock.set(REPLAY_DATE + 24 * H)  # the replay moves on: a day more, and not a candle beyond
        later = zyn.dispatcher.handle(Envelope("cli", "owner", "backtest SOL"))
        assert f"on {len(past) + 24} 1h candles" in later.text, later.text
    finally:
        zyn.close()


def test_the_replay_store_writes_nothing_from_after_the_clock(tmp_path: Path, sol: Path) -> None:
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
                              "PAPER_DATA": str(sol.parent), "ZYN_TIMEFRAME": "4h", "ZYN_PAIRS": "SOL/USDT"})
    zyn = build_zyn(settings, clock=SimClock(REPLAY_DATE))
    try:
        zyn.dispatcher.handle(Envelope("cli", "owner", "backtest SOL"))
        [row] = SqlCandleStore(zyn.db).coverage()
        assert (row.pair, row.timeframe) == ("SOL/USDT", "1h")
        assert row.last_ms + H <= REPLAY_DATE and row.last_ms + 2 * H > REPLAY_DATE
    finally:
        zyn.close()


def test_the_start_up_pass_keeps_the_replay_candles_up_to_the_clock(tmp_path: Path, sol: Path) -> None:
    from bot.wiring.history import start_backfill

    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
                              "PAPER_DATA": str(sol.parent), "ZYN_TIMEFRAME": "1h", "ZYN_PAIRS": "SOL/USDT"})
    zyn = build_zyn(settings, clock=SimClock(REPLAY_DATE))
    try:
        running = start_backfill(zyn.settings, zyn.market, zyn.exchange, zyn.candles, zyn.lifecycle)
        assert running is not None and running.done.wait(60)
        [row] = SqlCandleStore(zyn.db).coverage()
        past = [c for c in load_csv(sol) if c.ts + H <= REPLAY_DATE]
        assert (row.first_ms, row.last_ms, row.candles) == (past[0].ts, past[-1].ts, len(past))
    finally:
        zyn.close()  # stops the pass (it keeps following the clock until then)
