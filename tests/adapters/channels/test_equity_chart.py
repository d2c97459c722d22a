"""The dashboard's equity chart is drawn once per curve change, per web app (no module-level cache)."""

from __future__ import annotations

from adapters.channels.dashboard import EquityChart


class CountingDrawing:
    """A chart drawing that says how often it was asked (the real one is matplotlib's, ~50 ms)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, points: list[tuple[int, float]]) -> str:
        self.calls += 1
        return f"<?xml?><svg data-n='{len(points)}'></svg>"


def test_the_same_curve_is_drawn_once_and_a_new_candle_draws_again() -> None:
    drawing = CountingDrawing()
    chart = EquityChart(drawing)
    curve = [(1, 100.0), (2, 101.5)]
    first = chart.svg(curve)
    assert first == "<svg data-n='2'></svg>" and chart.svg(list(curve)) == first and drawing.calls == 1
    assert chart.svg([*curve, (3, 99.0)]) == "<svg data-n='3'></svg>" and drawing.calls == 2


def test_two_web_apps_keep_their_own_drawings() -> None:
    a, b = EquityChart(CountingDrawing()), EquityChart(None)  # b: the dependency-free polyline
    curve = [(1, 100.0), (2, 101.5)]
    assert a.svg(curve) == "<svg data-n='2'></svg>"
    assert "<polyline" in b.svg(curve)


def test_a_broken_drawing_falls_back_to_the_polyline() -> None:
    def broken(points: list[tuple[int, float]]) -> str:
        raise ValueError("no fonts")

    assert "<svg" in EquityChart(broken).svg([(1, 1.0), (2, 2.0)])
