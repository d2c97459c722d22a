"""Trading's safety notices in the owner's words (bot/text/safety.py): the same meaning the alerts
had when core wrote them, every price at the pair's decimals with separators and no exponent."""

from __future__ import annotations

from decimal import Decimal as D

from bot.text.safety import profit_lock_lines, safety_notice
from bot.text.trading import result_text
from core.trading import events as ev
from core.trading.results import Code, ExitInfo, FlattenFailure, FlattenSold, TradeResult

BTC = "BTC/USD"  # one price decimal on Kraken
T0 = 1_700_000_000_000  # 2023-11-14 22:13 UTC


def words(event: object) -> str:
    notice = safety_notice(event)  # type: ignore[arg-type]
    assert notice is not None
    return notice[1]


def test_a_position_without_a_stop_names_the_pair_the_trade_the_error_and_the_way_out() -> None:
    kind, text, data = safety_notice(ev.NakedPosition(BTC, 7, "EService:Unavailable")) or ("", "", {})
    assert (kind, data) == ("naked_position", {"pair": BTC, "trade_id": 7})
    assert text == ("BTC/USD trade #7 has NO stop on the exchange (EService:Unavailable); I retry on every sync. "
                    "`flatten BTC/USD` closes it.")
    assert words(ev.UnplannedFill(BTC, "OX1", D("0.01000000"))) == (
        "BTC/USD: buy OX1 filled 0.01 with no saved plan and no ATR known: it has NO stop. "
        "`flatten BTC/USD` closes it.")
    assert words(ev.StopRestored(BTC, 7)) == (
        "BTC/USD trade #7: protected again (its stop is on the exchange, or the position was closed)")


def test_prices_read_at_the_pairs_decimals_with_separators_and_never_as_an_exponent() -> None:
    assert words(ev.PartialFill(BTC, 3, "stop", D("0.04"), D("62600.25"), D("0.06"))) == (
        "BTC/USD trade #3: stop sold 0.04 at 62,600.3; 0.06 left")
    assert words(ev.OutcomeResolved(BTC, 4, D("1E-8"), D("61000.04"), D("59000"), planned=False)) == (
        "BTC/USD: the buy whose outcome was unknown filled (0.00000001 at 61,000.0); trade #4 is protected by its "
        "stop 59,000.0 (the strategy's ATR rule: no saved plan)")
    assert words(ev.OutcomeResolved(BTC, 4, D("0.002"), D("61000"), D("59000"), planned=True)).endswith("stop 59,000.0")


def test_partial_entries_stray_and_missing_stops_say_what_zyn_does_about_them() -> None:
    assert words(ev.PartialEntry(BTC, "OL1", D("0.004"), D("0.01"))) == (
        "BTC/USD: limit buy OL1 filled 0.004 of 0.01; the rest was canceled so what filled gets its stop now. "
        "Place a new order for more.")
    assert words(ev.StrayStops(BTC, 2, ("OS2", "OS3"), "OS1")) == (
        "BTC/USD trade #2: the exchange's stop OS2, OS3 showed beside Zyn's own OS1: cancelling it (one stop stays)")
    kind, text, _ = safety_notice(ev.StopMissing(BTC, 2, "OFAKE", 15)) or ("", "", {})
    assert kind == "stop_missing" and text == (
        "BTC/USD trade #2: the exchange does not know its stop OFAKE (15 s after it was accepted): placing it again")


def test_the_kill_switch_quotes_equity_the_days_start_and_the_owners_limit() -> None:
    loss = ev.DailyLoss(D("9690.004"), D("10000"), D("0.005"), T0)
    assert safety_notice(ev.KillSwitchTripped(loss)) == ("kill_switch", (
        "Kill-switch: equity 9,690.00 is 310.00 below the day's start 10,000.00, at or past the daily loss limit of "
        "0.5% (candle 2023-11-14 22:13 UTC). Flattening; no entries until tomorrow (UTC) or resume."), {})


def test_a_flatten_report_names_each_position_and_each_step_it_could_not_do() -> None:
    exits = (ExitInfo(3, "autopilot", "flatten", D("0.01"), D("62600.25"), D("-1.5"), BTC),
             ExitInfo(4, "manual", "flatten", D("1"), D("2000"), D("2"), "ETH/USD"))
    failed = (FlattenFailure("read_balances", "SOL/USD", "EService:Unavailable"),
              FlattenFailure("dust", "0.00001 SOL", "0.02"))
    event = ev.Flattened("owner", exits, 2, (FlattenSold("ETH", D("0.5"), D("2000.5")),), failed)
    assert safety_notice(event) == ("flatten", (
        "Flatten: closed 2 position(s) (BTC/USD #3 autopilot, ETH/USD #4 manual), canceled 2 order(s), "
        "sold 0.5 ETH at 2,000.50, FAILED: read balances: EService:Unavailable; 0.00001 SOL is below the minimum "
        "0.02 (dust kept)"), {"reason": "owner"})
    assert words(ev.Flattened("kill_switch", (), 0, (), ())) == "Flatten: closed 0 position(s), canceled 0 order(s)"
    reply = result_text(TradeResult(False, Code.PARTLY_FAILED, exits=exits[:1], failed=failed[:1]))
    assert reply == ("Flatten did not finish: closed 1 position(s) (BTC/USD #3 autopilot), canceled 0 order(s), "
                     "FAILED: read balances: EService:Unavailable")


def test_only_a_timed_resume_is_an_alert_the_owners_own_resume_is_a_reply() -> None:
    assert safety_notice(ev.TradingResumed("until 18:00", False, timed=True)) == (
        "resume", "Resumed as planned: the timed pause is over, the autopilot may enter again.", {})
    assert safety_notice(ev.TradingResumed("owner", False)) is None


def test_the_daily_profit_target_says_what_it_did_to_each_pair() -> None:
    outcomes = (
        ev.ProfitLockOutcome(BTC, "raised", stop=D("61234.56")),
        ev.ProfitLockOutcome("ETH/USD", "at_breakeven", stop=D("2000")),
        ev.ProfitLockOutcome("SOL/USD", "closed_by_stop", stop=D("150.5"), price=D("150.4")),
        ev.ProfitLockOutcome("XRP/USD", "failed", error="EOrder:Unknown order"),
    )
    assert profit_lock_lines("breakeven", outcomes) == [
        "BTC/USD: stop raised to break-even 61,234.6",
        "ETH/USD: stop 2,000.00 already at or above break-even",
        "SOL/USD: closed by its stop at 150.40 while it was raised to break-even 150.50",
        "XRP/USD: could not breakeven: EOrder:Unknown order",
    ]
    closed = ev.ProfitLockOutcome(BTC, "closed", exits=(ExitInfo(3, "autopilot", "profit_target", D("0.01"),
                                                              D("63000"), D("12.345"), BTC),))
    assert words(ev.ProfitTargetReached(D("0.015"), "flatten", (closed,))) == (
        "Daily profit target reached (+1.5% today): no new entries until the next UTC day; flatten: "
        "BTC/USD: closed #3 P&L +12.35 USD")
    assert words(ev.ProfitTargetReached(None, "hold", ())) == (
        "Daily profit target reached (the target today): no new entries until the next UTC day.")
