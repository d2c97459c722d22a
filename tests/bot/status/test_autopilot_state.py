"""The status JSON's `autopilot` part names the first reason the autopilot does not trade, in the
order the owner would fix them; it runs only when nothing stops it and the scheduler runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.status.autopilot import autopilot_state
from core.clock import SimClock


@dataclass
class Trading:
    paused_reason: str | None = None
    tripped: bool = False

    def halted(self) -> bool:
        return self.tripped


@dataclass
class Modules:
    stopped: str | None = None

    def entries_stopped(self, now_ms: int) -> str | None:
        return self.stopped


@dataclass
class Process:
    reconciling: bool = False
    scheduled: bool = True


FEED = object()  # any feed: only "is there one" matters here


def state(trading: Trading, modules: Modules, process: Process, feed: Any = FEED) -> dict[str, Any]:
    return autopilot_state(trading, modules, SimClock(0), feed, process)  # type: ignore[arg-type]


def test_it_runs_when_nothing_stops_it() -> None:
    assert state(Trading(), Modules(), Process()) == {"running": True, "paused_reason": None}


def test_the_first_reason_wins_in_the_owner_order() -> None:
    everything = Trading("owner said pause", tripped=True)
    assert state(everything, Modules("daily profit target reached"), Process(reconciling=True))["paused_reason"] \
        == "owner said pause"
    assert state(Trading(tripped=True), Modules("target"), Process(reconciling=True))["paused_reason"] \
        == "reconciling with the exchange after a start"
    assert state(Trading(tripped=True), Modules("target"), Process())["paused_reason"].startswith("daily loss")
    assert state(Trading(), Modules("target"), Process())["paused_reason"] == "target"
    assert state(Trading(), Modules(), Process(), feed=None)["paused_reason"].startswith("no market data")


def test_without_a_scheduler_nothing_trades_and_status_says_where_it_would() -> None:
    off = state(Trading(), Modules(), Process(scheduled=False))
    assert off == {"running": False, "paused_reason": "the autopilot runs only in `zyn run`, which is not running"}
