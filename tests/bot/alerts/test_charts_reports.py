"""Charts are valid PNG/SVG and thread-safe; reports read right in the owner's time zone."""

import threading
import xml.etree.ElementTree as ET  # noqa: S405  (parsing our own output)
from datetime import date

from bot.alerts.charts import daily_pnl_from_equity, daily_pnl_png, daily_pnl_svg, equity_curve_png, equity_curve_svg
from bot.alerts.reports import (
    build_daily_summary,
    build_weekly_report,
    daily_report_event,
    daily_summary,
    max_drawdown,
    weekly_report,
    weekly_report_event,
)
from bot.conversation.services import Services
from core.clock import SimClock
from tests.fakes.services import HOUR, T0

PNG = b"\x89PNG\r\n\x1a\n"
CURVE = [(T0 - (48 - i) * 4 * HOUR, 10_000 + 3.0 * i - (i % 5) * 4.0) for i in range(49)]


def _is_svg(text: str) -> bool:
    return ET.fromstring(text.encode()).tag.endswith("svg")  # noqa: S314


def test_equity_curve_png_and_svg() -> None:
    png = equity_curve_png(CURVE, tz="Europe/Berlin")
    assert png.startswith(PNG) and len(png) > 5000
    svg = equity_curve_svg(CURVE)
    assert _is_svg(svg) and "<path" in svg


def test_daily_pnl_png_and_svg() -> None:
    days = daily_pnl_from_equity(CURVE, "UTC")
    assert len(days) == 9 and days[0][0] == date(2024, 5, 24)
    assert round(sum(v for _, v in days), 6) == round(CURVE[-1][1] - CURVE[0][1], 6)
    assert daily_pnl_png(days).startswith(PNG)
    assert _is_svg(daily_pnl_svg(days))


def test_empty_data_still_renders() -> None:
    assert equity_curve_png([]).startswith(PNG)
    assert "no data yet" in equity_curve_svg([(T0, 1.0)])
    assert daily_pnl_png([]).startswith(PNG)
    assert daily_pnl_from_equity([]) == []


def test_charts_from_many_threads() -> None:
    results: list[bytes] = []
    errors: list[BaseException] = []

    def draw() -> None:
        try:
            results.append(equity_curve_png(CURVE))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=draw) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 6 and all(r.startswith(PNG) for r in results)


def test_daily_summary(services: Services, clock: SimClock) -> None:
    reply = daily_summary(services, clock, "UTC", "jimmy")
    assert reply.title == "Daily summary — Sat 01 Jun 2024"
    assert reply.text == (
        "jimmy, today +12.30 USD (week -4.50 USD, all time +112.30 USD). "
        "1 trade closed today (1 won, 0 lost); 1 open position."
    )
    rows = reply.row_dict()
    assert rows["Equity"] == "10,012.30 USD" and rows["Kill-switch"] == "ok (today 12.30)"
    text = build_daily_summary(services, clock)
    assert text.startswith("Daily summary") and "P&L this week" in text


def test_daily_summary_uses_the_owner_time_zone(services: Services, clock: SimClock) -> None:
    # 12:00 UTC is 05:00 in Los Angeles: the trade closed at 10:00 UTC (03:00 local) is today.
    assert "1 trade closed today" in daily_summary(services, clock, "America/Los_Angeles").text
    # 12:00 UTC is 01:00 on Sunday in Tonga: its day began at 11:00 UTC, after that trade.
    tonga = daily_summary(services, clock, "Pacific/Tongatapu")
    assert "0 trades closed today" in tonga.text and tonga.title.endswith("Sun 02 Jun 2024")


def test_weekly_report(services: Services, clock: SimClock) -> None:
    reply = weekly_report(services, clock, "UTC", "jimmy")
    # the report's P&L is the sum of the trades it lists (its own 7-day window), not the ISO week's
    assert reply.text.startswith("jimmy, the last 7 days: +20.00 USD over 2 closed trades")
    rows = reply.row_dict()
    assert rows["P&L, last 7 days"] == "+20.00 USD"
    assert rows["Win rate"] == "50 %" and rows["Best trade"] == "#3 BTC/USD +30.00 USD"
    assert rows["Worst trade"] == "#2 ETH/USD -10.00 USD" and "Max drawdown" in rows
    assert reply.image_png is not None and reply.image_png.startswith(PNG)
    assert "Weekly report" in build_weekly_report(services, clock)


def test_report_events(services: Services, clock: SimClock) -> None:
    daily = daily_report_event(services, clock)
    weekly = weekly_report_event(services, clock)
    assert daily.kind == "daily_report" and "P&L today" in daily.text
    assert weekly.kind == "weekly_report" and weekly.data["image_png"]


def test_reports_on_demand_from_chat(say) -> None:  # type: ignore[no-untyped-def]
    assert say("pnl today").title.startswith("Daily summary")
    assert say("report week").title.startswith("Weekly report")
    assert say("report today").title.startswith("Daily summary")


def test_max_drawdown() -> None:
    assert max_drawdown([100, 120, 90, 130]) == 0.25
    assert max_drawdown([1, 2, 3]) == 0.0
    assert max_drawdown([]) == 0.0
