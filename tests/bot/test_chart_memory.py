"""Charts cost `zyn run` no memory for good (issue 20.5): they are drawn in a child process, so
matplotlib never enters the caller; a drawn figure lets go of its artists and Agg canvas at once
(in the child, and in `zyn backtest`); a failed chart is one clear line, never a traceback."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bot.alerts import chart_figures, charts
from bot.commands import account
from bot.conversation.parsed import Command

CURVE = [(1_700_000_000_000 + i * 3_600_000, 10_000.0 + i) for i in range(48)]


def test_a_saved_figure_keeps_no_axes_and_no_canvas() -> None:
    fig, ax = chart_figures.new_figure("Equity")
    ax.plot([1, 2, 3], [10.0, 11.0, 10.5])
    png = chart_figures.png(fig)
    assert png.startswith(b"\x89PNG")
    assert fig.axes == []
    assert fig.canvas is None


def test_charts_still_draw_after_the_clearing() -> None:
    first, second = charts.equity_curve_png(CURVE), charts.equity_curve_png(CURVE)
    assert first.startswith(b"\x89PNG") and first == second


def test_the_chart_process_draws_the_same_bytes_as_the_drawing_in_process() -> None:
    in_process = chart_figures.png(chart_figures.equity_figure(CURVE, "Equity", "Europe/Berlin"))
    assert charts.equity_curve_png(CURVE, "Equity", "Europe/Berlin") == in_process
    days = charts.daily_pnl_from_equity(CURVE)
    drawn_here = chart_figures.svg(chart_figures.pnl_figure(days, "Daily P&L")).decode()
    assert _without_clip_ids(charts.daily_pnl_svg(days)) == _without_clip_ids(drawn_here)


def _without_clip_ids(svg: str) -> str:
    """matplotlib names SVG clip paths and markers at random (uuid4): two drawings differ only there."""
    return re.sub(r"\b[pm][0-9a-f]{10}\b", "id", svg)


def test_drawing_a_chart_leaves_matplotlib_out_of_the_caller() -> None:
    script = ("import sys; from bot.alerts import charts; "
              f"png = charts.equity_curve_png({CURVE!r}); "
              "print(png[:4] == b'\\x89PNG', 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


def test_a_failed_chart_is_one_line_naming_the_cause() -> None:
    with pytest.raises(charts.ChartUnavailable) as failed:
        charts._draw({"kind": "pie", "format": "png", "title": "t"})  # noqa: SLF001 - a request the child refuses
    message = str(failed.value)
    assert "\n" not in message and "unknown chart kind 'pie'" in message and "Traceback" not in message


def test_the_chat_says_one_line_when_the_chart_process_fails() -> None:
    class Status:
        def equity_curve(self) -> list[tuple[int, float]]:
            return CURVE

    class Services:
        status = Status()

    class Ctx:  # a time zone the chart process cannot load: a real failure inside the child
        services, tz = Services(), "Nowhere/Atlantis"

    reply = account.chart(Ctx(), Command("chart"))  # type: ignore[arg-type]
    assert reply.image_png is None and "\n" not in reply.text and "could not be drawn" in reply.text
    assert "Nowhere/Atlantis" in reply.text and "Traceback" not in reply.text
