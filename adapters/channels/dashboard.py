"""Data for the status dashboard: a snapshot that never raises, the equity chart, decisions,
and what Zyn has learned (active insights with the evidence behind each).

The chart is an inline SVG so the page needs no JS library and no CDN (Zyn runs offline):
the composition root passes the matplotlib drawing (`bot.alerts.charts.equity_curve_svg`, the same as the
PNGs sent to Telegram/Slack); a plain polyline drawn here is the fallback.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from loguru import logger as log
from sqlalchemy import text

from adapters.channels.ports import StatusLike

ChartSvg = Callable[[list[tuple[int, float]]], str]  # matplotlib's drawing (bot.alerts.charts), given by the root
EMPTY_SNAPSHOT: dict[str, Any] = {
    "mode": "?",
    "as_of": "",
    "source": "",
    "balances": {},
    "equity_usd": None,
    "positions": [],
    "open_orders": [],
    "pnl": {"today": None, "week": None, "all_time": None},
    "trades": {},
    "autopilot": {},
    "kill_switch": {},
    "circuit": {},
    "evidence": {},
}


def safe_snapshot(status: StatusLike | None) -> dict[str, Any]:
    """The status snapshot, or an empty one with `error` set (the page must still render)."""
    if status is None:
        return {**EMPTY_SNAPSHOT, "error": "no status service"}
    try:
        return {**EMPTY_SNAPSHOT, **status.snapshot()}
    except Exception as exc:
        log.warning("dashboard: snapshot failed: {}", type(exc).__name__)
        return {**EMPTY_SNAPSHOT, "error": f"status unavailable ({type(exc).__name__})"}


def safe_curve(status: StatusLike | None) -> list[tuple[int, float]]:
    """The equity curve, or [] when the status service cannot give one."""
    if status is None:
        return []
    try:
        return [(int(t), float(v)) for t, v in status.equity_curve()]
    except Exception as exc:
        log.warning("dashboard: equity curve failed: {}", type(exc).__name__)
        return []


def decisions_from_db(db: Any, limit: int = 20) -> list[dict[str, Any]]:
    """Latest autopilot decisions (the `decisions` telemetry table), newest first."""
    query = text(
        "SELECT ts_ms, pair, action, reason, price FROM decisions ORDER BY ts_ms DESC, id DESC LIMIT :n"
    )
    try:
        with db.connect() as conn:
            rows = conn.execute(query, {"n": int(limit)}).mappings().all()
    except Exception as exc:
        log.warning("dashboard: decisions unavailable: {}", type(exc).__name__)
        return []
    return [{**dict(r), "time": _iso(r["ts_ms"])} for r in rows]


def insights_from_db(db: Any) -> list[dict[str, Any]]:
    """Active insights (telemetry `insights`) for the page: title, text and the evidence's n.

    Only the sample size is shown next to each claim: the text already cites rates and
    intervals, and n is what tells the owner how much to trust it. Never raises: a missing
    table or a broken row must not take the status page down.
    """
    try:
        from core.learning.insights import list_insights  # lazy: keeps sqlmodel out of this import

        rows = list_insights(db)
    except Exception as exc:
        log.warning("dashboard: insights unavailable: {}", type(exc).__name__)
        return []
    return [
        {
            "title": r.title,
            "text": r.text,
            "n": _evidence_n(r.evidence_json),
            "learner_version": r.learner_version,
            "time": _iso(r.ts_ms) if r.ts_ms else "",
        }
        for r in rows
    ]


def safe_settings(rows: Callable[[], list[tuple[str, str]]] | None) -> list[tuple[str, str]]:
    """The owner's trading settings as (label, value) rows, or [] (the page must render without)."""
    if rows is None:
        return []
    try:
        return list(rows())
    except Exception as exc:
        log.warning("dashboard: settings unavailable: {}", type(exc).__name__)
        return []


def _evidence_n(evidence_json: str) -> int | None:
    """The sample size from a stored evidence blob, or None if absent or unreadable."""
    try:
        n = json.loads(evidence_json or "{}").get("n")
    except (ValueError, AttributeError):
        return None
    return int(n) if isinstance(n, int | float) and not isinstance(n, bool) else None


def _iso(ts_ms: Any) -> str:
    try:
        return datetime.fromtimestamp(int(ts_ms) / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


class EquityChart:
    """Equity curve as inline SVG: the composition root's `chart` drawing if given, else a polyline.

    The last drawing is kept, keyed on the curve's length and last point: the page polls every few
    seconds and the curve changes once a candle. One per web app, built with its blueprint (no
    module-level cache); safe to call from the server's request threads.
    """

    def __init__(self, chart: ChartSvg | None = None, width: int = 640, height: int = 200) -> None:
        self._chart, self._width, self._height = chart, width, height
        self._lock = threading.Lock()
        self._key: object = None
        self._svg = ""

    def svg(self, points: Sequence[tuple[int, float]]) -> str:
        key = (len(points), tuple(points[-1]) if points else None)
        with self._lock:
            if self._svg and self._key == key:
                return self._svg
        drawn = _chart_svg(self._chart, points) if self._chart is not None else ""
        svg = drawn or polyline_svg(points, self._width, self._height)
        with self._lock:
            self._key, self._svg = key, svg
        return svg


def _chart_svg(chart: ChartSvg, points: Sequence[tuple[int, float]]) -> str:
    try:
        svg = str(chart(list(points)))
    except Exception as exc:  # a broken chart drawing must not break the page
        log.warning("dashboard: equity chart unavailable: {}: {}", type(exc).__name__, str(exc)[:200])
        return ""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def polyline_svg(points: Sequence[tuple[int, float]], width: int = 640, height: int = 200) -> str:
    """A dependency-free line chart: min/max labels, one polyline; only numbers are interpolated."""
    pts = [(float(t), float(v)) for t, v in points if v == v][-2000:]
    head = (
        f'<svg id="equity-chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" height="{height}" role="img" aria-label="equity curve">'
    )
    if len(pts) < 2:
        msg = "no equity history yet"
        return f'{head}<text x="{width // 2}" y="{height // 2}" text-anchor="middle">{msg}</text></svg>'
    t0, t1 = pts[0][0], pts[-1][0]
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    span_t, span_v, pad = (t1 - t0) or 1.0, (hi - lo) or 1.0, 24
    xs = [pad + (t - t0) / span_t * (width - 2 * pad) for t, _ in pts]
    ys = [height - pad - (v - lo) / span_v * (height - 2 * pad) for _, v in pts]
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    colour = "#1a7f37" if pts[-1][1] >= pts[0][1] else "#cf222e"
    return (
        f'{head}<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>'
        f'<text x="4" y="14" font-size="11">{hi:,.2f}</text>'
        f'<text x="4" y="{height - 6}" font-size="11">{lo:,.2f}</text></svg>'
    )
