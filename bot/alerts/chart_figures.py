"""The matplotlib drawings behind every chart (equity, daily P&L, backtest) and their PNG/SVG bytes.

Why a module of its own: these run in the short-lived chart process (`bot.alerts.chart_child`), so
matplotlib (~33 MB resident once imported, never given back) stays out of `zyn run` (issue 20.5);
`bot.alerts.charts` is the callers' side that sends the data there. Tests and `zyn backtest` may
call these in process: the drawing is the same either way.

Why `Figure` + `FigureCanvasAgg` and never pyplot: pyplot keeps global current-figure state; a
Figure owned by one call and drawn on its own Agg canvas is headless and shares nothing. A module
lock serialises the drawing because matplotlib's font and text caches are not thread-safe.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_DRAW_LOCK = threading.Lock()
_SIZE = (8.0, 4.0)
_DPI = 100
_MS_PER_DAY = 86_400_000


def equity_figure(points: Sequence[tuple[int, float]], title: str, tz: str) -> Figure:
    fig, ax = new_figure(title)
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


def backtest_figure(
    times_ms: Sequence[int], curves: Mapping[str, Sequence[float]], title: str, tz: str = "UTC"
) -> Figure:
    """Backtest equity (one line per curve, e.g. baseline and learned) against candle dates."""
    fig, ax = new_figure(title)
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


def pnl_figure(days: Sequence[tuple[date, float]], title: str) -> Figure:
    fig, ax = new_figure(title)
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


def new_figure(title: str) -> tuple[Figure, Axes]:
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


def png(fig: Figure) -> bytes:
    return _save(fig, "png", None)


def svg(fig: Figure) -> bytes:
    return _save(fig, "svg", {"Date": None})


def _save(fig: Figure, fmt: str, metadata: dict[str, str | None] | None) -> bytes:
    buf = io.BytesIO()
    with _DRAW_LOCK:
        fig.tight_layout()
        fig.savefig(buf, format=fmt, metadata=metadata)
        # A Figure is a web of reference cycles: left to the cyclic collector, each chart's
        # artists and Agg buffer outlived the call (issue 20.5). Cleared here, freed now.
        fig.clear()
        fig.canvas = None  # type: ignore[assignment]
    return buf.getvalue()


def draw(request: Mapping[str, object]) -> bytes:
    """One chart from its JSON request (what `bot.alerts.charts` sends to the chart process)."""
    kind, fmt, title = str(request["kind"]), str(request["format"]), str(request["title"])
    tz = str(request.get("tz", "UTC"))
    if kind == "equity":
        fig = equity_figure([(int(_num(t)), _num(v)) for t, v in _pairs(request["points"])], title, tz)
    elif kind == "pnl":
        fig = pnl_figure([(date.fromisoformat(str(d)), _num(v)) for d, v in _pairs(request["days"])], title)
    elif kind == "backtest":
        times, curves = request["times_ms"], request["curves"]
        if not isinstance(times, list) or not isinstance(curves, dict):
            raise ValueError("backtest chart: times_ms must be a list and curves a mapping")
        fig = backtest_figure([int(_num(t)) for t in times],
                              {str(k): [_num(v) for v in _list(c)] for k, c in curves.items()}, title, tz)
    else:
        raise ValueError(f"unknown chart kind {kind!r}")
    if fmt == "png":
        return png(fig)
    if fmt == "svg":
        return svg(fig)
    raise ValueError(f"unknown chart format {fmt!r}")


def _pairs(value: object) -> list[tuple[object, object]]:
    return [(item[0], item[1]) for item in (_list(i) for i in _list(value))]


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError("chart data must be lists of numbers")
    return value


def _num(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"chart data: {value!r} is not a number")
    return float(value)
