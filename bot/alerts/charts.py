"""Server-side charts: equity curve and daily P&L as PNG bytes (Telegram, Slack) or SVG text (web),
and the backtest plot — each drawn in a short-lived child process.

Why a child process: matplotlib, once imported, stays in the process for good (~33 MB resident:
its code, fonts, caches). `zyn run` drew a chart for the owner now and then and kept matplotlib
for the rest of its life (issue 20.5: <= 250 MB after 10 minutes of chat). Here the data goes to
`python -m bot.alerts.chart_child` as JSON and the bytes come back; the drawing itself is
`bot.alerts.chart_figures`, the same for the chat, the reports, the dashboard and `zyn backtest`.
Cost: a child's start and matplotlib's import on every chart (measured in bench/chart_latency.py).
Bounded: one chart process at a time (a module lock: a burst of charts waits instead of starting
a python per request), CHART_TIMEOUT_S per chart; any failure is `ChartUnavailable` with one line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

CHART_TIMEOUT_S = 30.0
_CHILD_LOCK = threading.Lock()


class ChartUnavailable(RuntimeError):  # noqa: N818 - the owner-facing name of what happened
    """The chart process failed or timed out; the message is one line, fit for a reply or a log."""


def equity_curve_png(points: Sequence[tuple[int, float]], title: str = "Equity", tz: str = "UTC") -> bytes:
    return _draw({"kind": "equity", "format": "png", "title": title, "tz": tz, "points": _points(points)})


def equity_curve_svg(points: Sequence[tuple[int, float]], title: str = "Equity", tz: str = "UTC") -> str:
    return _draw({"kind": "equity", "format": "svg", "title": title, "tz": tz,
                  "points": _points(points)}).decode("utf-8")


def daily_pnl_png(days: Sequence[tuple[date, float]], title: str = "Daily P&L") -> bytes:
    return _draw({"kind": "pnl", "format": "png", "title": title, "days": _days(days)})


def daily_pnl_svg(days: Sequence[tuple[date, float]], title: str = "Daily P&L") -> str:
    return _draw({"kind": "pnl", "format": "svg", "title": title, "days": _days(days)}).decode("utf-8")


def backtest_png(
    times_ms: Sequence[int], curves: Mapping[str, Sequence[float]], title: str, tz: str = "UTC"
) -> bytes:
    return _draw({"kind": "backtest", "format": "png", "title": title, "tz": tz,
                  "times_ms": [int(t) for t in times_ms],
                  "curves": {str(k): [float(v) for v in c] for k, c in curves.items()}})


def daily_pnl_from_equity(points: Sequence[tuple[int, float]], tz: str = "UTC") -> list[tuple[date, float]]:
    """Per local day: last equity of the day minus last equity of the day before (first day: its open)."""
    zone = ZoneInfo(tz)
    closes: dict[date, float] = {}
    first: tuple[date, float] | None = None
    for ts, equity in sorted(points):
        day = datetime.fromtimestamp(ts / 1000, tz=zone).date()
        first = first or (day, float(equity))
        closes[day] = float(equity)
    out: list[tuple[date, float]] = []
    previous = first[1] if first else 0.0
    for day in sorted(closes):
        out.append((day, closes[day] - previous))
        previous = closes[day]
    return out


def _points(points: Sequence[tuple[int, float]]) -> list[list[float]]:
    # floats travel through JSON exactly (repr round-trips), so the child draws the same numbers
    return [[int(t), float(v)] for t, v in points]


def _days(days: Sequence[tuple[date, float]]) -> list[list[str | float]]:
    return [[d.isoformat(), float(v)] for d, v in days]


def _draw(request: Mapping[str, object]) -> bytes:
    """Run the chart process on one request; its image bytes, or ChartUnavailable with one line."""
    payload = json.dumps(request).encode("utf-8")
    with _CHILD_LOCK:
        try:
            done = subprocess.run(  # noqa: S603 - our own module, no shell, data on stdin
                [sys.executable, "-m", "bot.alerts.chart_child"], input=payload, capture_output=True,
                timeout=CHART_TIMEOUT_S, check=False,
            )
        except subprocess.TimeoutExpired:
            raise ChartUnavailable(f"chart not drawn: the chart process took over {CHART_TIMEOUT_S:.0f} s") from None
        except OSError as exc:
            raise ChartUnavailable(f"chart not drawn: cannot start the chart process ({exc.strerror})") from None
    if done.returncode != 0 or not done.stdout:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ChartUnavailable(f"chart not drawn: {lines[-1][:200] if lines else f'exit status {done.returncode}'}")
    return done.stdout
