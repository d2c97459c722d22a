"""A transcript of jimmy's ordinary day (issue 22's closing note), on real candles, in one process.

    .venv/bin/python bench/owner_day.py [--data ../shared/data/kraken]

Builds Zyn by its composition root on a replay (paper, PAPER_FEED=replay, throw-away SQLite file,
ZYN_EVIDENCE=off so the autopilot trades the plain strategy beside the owner), then talks to the
dispatcher as `zyn chat` does: morning status, a manual BTC buy, the replay until the autopilot
holds BTC beside it, `positions` (both rows, each its own entry), `trades`, `why`, `kill switch`.
Prints what the owner would read. Simulated time moves only through the replay driver.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAY, HOUR = 86_400_000, 3_600_000


def main() -> int:
    from loguru import logger

    from bot.conversation.envelope import Envelope, render_plain
    from bot.wiring.app import build_zyn
    from core.config import load_settings

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "kraken"))
    args = ap.parse_args()
    logger.remove()  # the transcript only: what the owner reads
    tmp = tempfile.mkdtemp(prefix="zyn-owner-day-")
    env = {"DATABASE_URL": f"sqlite:///{tmp}/zyn.db", "PAPER_FEED": "replay", "PAPER_DATA": args.data,
           "PAPER_SPEED": "36000", "ZYN_TIMEFRAME": "4h", "ZYN_EVIDENCE": "off", "ZYN_LOG_LEVEL": "ERROR"}
    zyn = build_zyn(load_settings(env))

    def when() -> str:
        return datetime.fromtimestamp(zyn.clock.now_ms() / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")

    def say(text: str) -> None:
        print(f"[{when()}] jimmy> {text}")
        print("  " + render_plain(zyn.dispatcher.handle(Envelope("cli", "owner", text))).replace("\n", "\n  "))

    try:
        start = zyn.replay.start_ms() or 0
        morning = (start // DAY + 20) * DAY + 8 * HOUR
        zyn.replay.step(morning)
        say("status")
        say("buy 0.05 BTC sl 1000 tp 90000")
        say("yes")
        for _ in range(60 * 6):  # 4-hour steps until the autopilot holds BTC beside the manual position
            zyn.replay.step(zyn.clock.now_ms() + 4 * HOUR)
            if zyn.trading.has_position("BTC/USD", "autopilot"):
                break
        say("positions")
        say("trades 5")
        newest = max(b.trade_id for b in zyn.trading.brackets("BTC/USD"))
        say(f"why {newest}")
        say("kill switch")
        say("status")
    finally:
        zyn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
