"""How far one owner action travels through the code: files, file-to-file moves, commits and
exchange calls of a chat "yes" and of an autopilot entry (issue 18's measure, before/after).

Why: the review counted a chat "yes" walking 41 files with 338 moves and 14 commits; whether the
trading boundary made that path shorter is only known by measuring it the same way on both sides.
This drives the real composition root (`build_zyn`) in paper mode over a replay of the real Kraken
candles in ../shared/data and traces with `sys.setprofile`:

- files: distinct project files (core/, bot/, adapters/, scheduler/) with at least one Python call;
- moves: calls from a project frame in one file to a project function in another file;
- commits: SQLAlchemy `commit` events on the database engine;
- exchange calls: public methods of the exchange object called from outside its own class.

Run: `.venv/bin/python bench/call_trace.py` (prints one line per traced action).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from loguru import logger
from sqlalchemy import event
from sqlmodel import Session, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.conversation.envelope import Envelope  # noqa: E402
from bot.wiring.app import build_zyn  # noqa: E402
from core.config import load_settings  # noqa: E402
from core.telemetry.models import OrderRow  # noqa: E402

DAY = 86_400_000
PACKAGES = tuple(str(ROOT / p) + os.sep for p in ("core", "bot", "adapters", "scheduler"))


@dataclass
class Trace:
    """What one traced action touched."""

    exchange_type: type
    files: set[str] = field(default_factory=set)
    moves: int = 0
    commits: int = 0
    exchange_calls: int = 0

    def profile(self, frame: FrameType, what: str, _arg: Any) -> None:
        if what != "call":
            return
        callee = frame.f_code.co_filename
        if not callee.startswith(PACKAGES):
            return
        self.files.add(callee)
        caller = frame.f_back
        source = caller.f_code.co_filename if caller is not None else ""
        if source.startswith(PACKAGES) and source != callee:
            self.moves += 1
        name = frame.f_code.co_name
        this = frame.f_locals.get("self")
        if not name.startswith("_") and isinstance(this, self.exchange_type):
            outer = caller.f_locals.get("self") if caller is not None else None
            if not isinstance(outer, self.exchange_type):
                self.exchange_calls += 1

    def line(self, label: str) -> str:
        return (f"{label}: {len(self.files)} files, {self.moves} file-to-file moves, {self.commits} commits, "
                f"{self.exchange_calls} exchange calls")


def traced(zyn: Any, action: Any) -> tuple[Trace, Any]:
    trace = Trace(type(zyn.exchange))

    def on_commit(_conn: Any) -> None:
        trace.commits += 1

    event.listen(zyn.db, "commit", on_commit)
    sys.setprofile(trace.profile)
    try:
        result = action()
    finally:
        sys.setprofile(None)
        event.remove(zyn.db, "commit", on_commit)
    return trace, result


def autopilot_orders(zyn: Any) -> int:
    with Session(zyn.db) as s:
        return int(s.exec(select(func.count()).select_from(OrderRow)).one())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "kraken"))
    args = ap.parse_args()
    logger.remove()  # the trace's own lines only
    with tempfile.TemporaryDirectory() as tmp:
        env = {"DATABASE_URL": f"sqlite:///{tmp}/zyn.db", "PAPER_FEED": "replay", "ZYN_EVIDENCE": "off",
               "PAPER_DATA": args.data, "PAPER_SPEED": "36000", "ZYN_TIMEFRAME": "4h"}
        zyn = build_zyn(load_settings(env))
        try:
            say = zyn.dispatcher.handle
            zyn.replay.step(zyn.replay.start_ms() + 10 * DAY)
            say(Envelope("cli", "owner", "buy 0.01 BTC"))
            trace, reply = traced(zyn, lambda: say(Envelope("cli", "owner", "yes")))
            print(trace.line('chat "yes" (buy 0.01 BTC)'), "|", str(reply.text).splitlines()[0][:70])
            stamps = sorted({ts for ts, _pair, _i in zyn.replay._events if ts > zyn.clock.now_ms()})
            for ts in stamps:
                before = autopilot_orders(zyn)
                trace, _ = traced(zyn, lambda ts=ts: zyn.replay.step(ts))
                if autopilot_orders(zyn) > before:
                    print(trace.line("autopilot entry (the replay step whose decision entered)"))
                    break
        finally:
            zyn.close()


if __name__ == "__main__":
    main()
