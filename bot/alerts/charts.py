"""Server-side charts: equity curve and daily P&L as PNG bytes (Telegram, Slack) or SVG text (web).

Why `Figure` + `FigureCanvasAgg` and never pyplot: pyplot keeps global current-figure state that
leaks between the web threads, the Telegram poller and the scheduler; a Figure owned by one call
and drawn on its own Agg canvas is headless (no display needed) and shares nothing. A module lock
serialises the actual drawing because matplotlib's font and text caches are not thread-safe.
matplotlib (~55 MB resident) is imported by the first chart drawn, not when the chat commands are
imported: most `zyn run` processes never draw one (issue 20.5).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_DRAW_LOCK = threading.Lock()
_SIZE = (8.0, 4.0)
_DPI = 100
_MS_PER_DAY = 86_400_000


def equity_curve_png(points: Sequence[tuple[int, float]], title: str = "Equity", tz: str = "UTC") -> bytes:
    return _png(_equity_figure(points, title, tz))


def equity_curve_svg(points: Sequence[tuple[int, float]], title: str = "Equity", tz: str = "UTC") -> str:
    return _svg(_equity_figure(points, title, tz))


def daily_pnl_png(days: Sequence[tuple[date, float]], title: str = "Daily P&L") -> bytes:
    return _png(_pnl_figure(days, title))


def daily_pnl_svg(days: Sequence[tuple[date, float]], title: str = "Daily P&L") -> str:
    return _svg(_pnl_figure(days, title))


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


def _equity_figure(points: Sequence[tuple[int, float]], title: str, tz: str) -> Figure:
    fig, ax = _new_figure(title)
    data = sorted(points)
    if len(data) < 2:
        _no_data(ax)
        return fig
    zone = ZoneInfo(tz)
    xs = [ts / _MS_PER_DAY for ts, _ in data]  # matplotlib date numbers: days since the 1970 epoch
    ys = [float(v) for _, v in data]
    ax.plot(xs, ys, color="#1f77b4", linewidth=1.6)
    ax.fill_between(xs, ys, min(ys), color="#1f77b4", alpha=0.12)
    ax.xaxis_date(tz=zone)
    fig.autofmt_xdate()
    ax.set_ylabel("USD")
    return fig


def backtest_png(
    times_ms: Sequence[int], curves: Mapping[str, Sequence[float]], title: str, tz: str = "UTC"
) -> bytes:
    return _png(backtest_figure(times_ms, curves, title, tz))


def backtest_figure(
    times_ms: Sequence[int], curves: Mapping[str, Sequence[float]], title: str, tz: str = "UTC"
) -> Figure:
    """Backtest equity (one line per curve, e.g. baseline and learned) against candle dates."""
    fig, ax = _new_figure(title)
    n = min([len(times_ms), *(len(c) for c in curves.values())]) if curves else 0
    if n < 2:
        _no_data(ax)
        return fig
    xs = [t / _MS_PER_DAY for t in times_ms[-n:]]
    for label, curve in curves.items():
        ax.plot(xs, [float(v) for v in curve[-n:]], linewidth=1.2, label=label)
    if len(curves) > 1:
        ax.legend(loc="best")
    ax.xaxis_date(tz=ZoneInfo(tz))
    fig.autofmt_xdate()
    ax.set_ylabel("equity (USD)")
    return fig


def _pnl_figure(days: Sequence[tuple[date, float]], title: str) -> Figure:
    fig, ax = _new_figure(title)
    if not days:
        _no_data(ax)
        return fig
    labels = [d.strftime("%m-%d") for d, _ in days]
    values = [float(v) for _, v in days]
    colors = ["#2ca02c" if v >= 0 else "#d62728" for v in values]
    ax.bar(labels, values, color=colors)
    ax.axhline(0, color="#444444", linewidth=0.8)
    ax.set_ylabel("USD")
    if len(labels) > 10:
        ax.tick_params(axis="x", labelrotation=60)
    return fig


def _new_figure(title: str) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy: matplotlib loads only when used
    from matplotlib.figure import Figure  # lazy: matplotlib loads only when used

    fig = Figure(figsize=_SIZE, dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return fig, ax


def _no_data(ax: Axes) -> None:
    ax.text(0.5, 0.5, "no data yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _png(fig: Figure) -> bytes:
    return _save(fig, "png", None)


def _svg(fig: Figure) -> str:
    return _save(fig, "svg", {"Date": None}).decode("utf-8")


def _save(fig: Figure, fmt: str, metadata: dict[str, str | None] | None) -> bytes:
    buf = io.BytesIO()
    with _DRAW_LOCK:
        fig.tight_layout()
        fig.savefig(buf, format=fmt, metadata=metadata)
        # A Figure is a web of reference cycles: left to the cyclic collector, each chart's
        # artists and Agg buffer outlived the request and `zyn run` grew ~40 MB a minute while
        # the owner asked for charts (issue 20.5, bench/run_memory.py). Cleared here, freed now.
        fig.clear()
        fig.canvas = None  # type: ignore[assignment]
    return buf.getvalue()
