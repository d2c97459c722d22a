"""A drawn chart lets go of its artists and its Agg canvas at once (issue 20.5: `zyn run` grew
~40 MB a minute while the owner asked for charts, the figures waiting for the cyclic collector)."""

from __future__ import annotations

from bot.alerts import charts


def test_a_saved_figure_keeps_no_axes_and_no_canvas() -> None:
    fig, ax = charts._new_figure("Equity")  # noqa: SLF001 - the figure every chart is drawn on
    ax.plot([1, 2, 3], [10.0, 11.0, 10.5])
    png = charts._png(fig)  # noqa: SLF001
    assert png.startswith(b"\x89PNG")
    assert fig.axes == []
    assert fig.canvas is None


def test_charts_still_draw_after_the_clearing() -> None:
    curve = [(1_700_000_000_000 + i * 3_600_000, 10_000.0 + i) for i in range(48)]
    first, second = charts.equity_curve_png(curve), charts.equity_curve_png(curve)
    assert first.startswith(b"\x89PNG") and first == second
