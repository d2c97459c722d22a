"""The servant's answers say what the rule and the record really are (issue 17, acceptance audit).

Found running `zyn chat` against a replay: "why aren't you trading BTC?" said the pair goes live
"when at least 20 trades of the last 0 days" put the interval above 0 R — the pinned rule counts
its whole record (lookback 0 = all history) — and "would mtf help?" on 12 days of candles said
"over 0 months". No order path here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Engine

from bot.conversation.envelope import Envelope, Reply
from bot.conversation.intents import IntentClassifier
from bot.conversation.offline_engine import OfflineEngine
from bot.conversation.services import Services
from bot.dispatch.dispatcher import Dispatcher
from core.clock import SimClock
from core.evidence import DEFAULT_RULE
from core.research.what_if import VariantFigures, WhatIf
from core.telemetry.kv import KeyValueStore
from tests.bot.conftest import ALLOW
from tests.fakes.services import FakeStatus

Say = Callable[..., Reply]
EVIDENCE = {"state": "shadow", "trades": 11, "months": 0.4, "expectancy_r": -0.7, "interval_low": -0.99,
            "interval_high": -0.41, "pooled_r": -0.6, "forced": False}


class ShortHistory:
    """The servant port over 0.4 months of candles: plain loses, mtf loses less."""

    measurable = ("mtf", "profit_target")

    def what_if(self, feature: str | None = None, since_ms: int | None = None) -> Any:
        plain = VariantFigures("plain", -0.075, (-0.02, -0.03, 0.01, -0.035), 29)
        other = VariantFigures(feature or "", -0.016, (0.0, -0.01, 0.0, -0.006), 9) if feature else None
        return WhatIf(("BTC/USD", "ETH/USD"), 0.4, plain, other)

    def shadow_trades(self) -> Sequence[Any]:
        return []


class MeasuredHistory:
    """The servant port over `months` of candles where mtf beats plain in 3 of 4 folds."""

    measurable = ("mtf", "profit_target")

    def __init__(self, months: float, plain_trades: int) -> None:
        self.months, self.plain_trades = months, plain_trades

    def what_if(self, feature: str | None = None, since_ms: int | None = None) -> Any:
        plain = VariantFigures("plain", -0.05, (-0.02, -0.03, 0.01, -0.01), self.plain_trades)
        other = VariantFigures(feature or "", 0.02, (0.01, 0.0, 0.02, -0.01), 9) if feature else None
        return WhatIf(("BTC/USD", "ETH/USD"), self.months, plain, other)

    def shadow_trades(self) -> Sequence[Any]:
        return []


def _ask(port: Any, services: Services, db: Engine, clock: SimClock, classifier: IntentClassifier,
         question: str) -> str:
    dispatcher = Dispatcher(dataclasses.replace(services, servant=port), KeyValueStore(db), db, clock,
                            ALLOW, "jimmy", OfflineEngine(classifier))
    return dispatcher.handle(Envelope("telegram", "111", question)).text


def test_a_short_or_thin_history_gives_the_figures_but_says_it_is_too_little_to_tell(
    services: Services, status: FakeStatus, db: Engine, clock: SimClock, intent_classifier: IntentClassifier
) -> None:
    """0.4 months, or 14 months with 5 plain trades: the measured numbers, and no verdict drawn from noise."""
    status.snap["evidence"] = {"BTC/USD": EVIDENCE, "ETH/USD": EVIDENCE}
    for port in (ShortHistory(), MeasuredHistory(14.0, 5)):
        for question in ("would mtf help?", "should I turn on mtf?", "should I keep trading?"):
            text = _ask(port, services, db, clock, intent_classifier, question)
            assert "too little history to tell" in text and "in shadow" in text, text
            assert "trades" in text and "%" in text, text
            for verdict in ("measured better", "measured worse", "No clear difference", "standing aside did better",
                            "trading paid", "are close"):
                assert verdict not in text, text


def test_enough_history_gives_a_verdict_and_only_three_month_folds_are_called_quarters(
    services: Services, status: FakeStatus, db: Engine, clock: SimClock, intent_classifier: IntentClassifier
) -> None:
    status.snap["evidence"] = {"BTC/USD": EVIDENCE, "ETH/USD": EVIDENCE}
    year = _ask(MeasuredHistory(12.0, 40), services, db, clock, intent_classifier, "would mtf help?")
    assert "mtf measured better here" in year and "better in 3 of 4 quarters" in year, year
    assert "too little history" not in year
    half_year = _ask(MeasuredHistory(6.0, 40), services, db, clock, intent_classifier, "would mtf help?")
    assert "better in 3 of 4 equal parts of that period" in half_year and "quarter" not in half_year, half_year
    keep = _ask(MeasuredHistory(6.0, 40), services, db, clock, intent_classifier, "should I keep trading?")
    assert "standing aside did better" in keep and "positive in 1 of 4 equal parts" in keep, keep
    short = _ask(ShortHistory(), services, db, clock, intent_classifier, "would mtf help?")
    assert "quarter" not in short and "equal parts of that period" in short, short


def test_why_not_trading_names_the_whole_record_when_the_rule_has_no_lookback(say: Say, status: FakeStatus) -> None:
    assert DEFAULT_RULE.lookback_days == 0  # the pinned rule counts every trade of the pair's record
    status.snap["evidence"] = {"BTC/USD": EVIDENCE, "ETH/USD": EVIDENCE}
    text = say("why aren't you trading BTC?").text
    assert "at least 20 trades of its whole record" in text and "last 0 days" not in text


def test_a_short_history_is_said_in_tenths_of_a_month_not_zero_months(
    services: Services, status: FakeStatus, db: Engine, clock: SimClock, intent_classifier: IntentClassifier
) -> None:
    status.snap["evidence"] = {"BTC/USD": EVIDENCE, "ETH/USD": EVIDENCE}
    dispatcher = Dispatcher(dataclasses.replace(services, servant=ShortHistory()), KeyValueStore(db), db, clock,
                            ALLOW, "jimmy", OfflineEngine(intent_classifier))
    for question in ("would mtf help?", "should I keep trading?"):
        text = dispatcher.handle(Envelope("telegram", "111", question)).text
        assert "over 0.4 months of candles" in text and "over 0 months" not in text, text


def test_the_evidence_line_of_a_young_record_says_tenths_of_a_month() -> None:
    """The one line status, the dashboard and chat share: "3 trades over 0 months" said nothing."""
    from core.evidence import PairEvidence
    from core.trading.servant import evidence_text

    young = PairEvidence("BTC/USDT", "shadow", 3, 0.4, -0.16, -1.09, 0.77, -0.16, False)
    old = PairEvidence("BTC/USD", "shadow", 41, 14.2, -0.12, -0.31, 0.06, -0.09, False)
    assert evidence_text(young).startswith("BTC/USDT: shadow — 3 trades over 0.4 months, expectancy -0.16R")
    assert evidence_text(old) == ("BTC/USD: shadow — 41 trades over 14 months, expectancy -0.12R "
                                  "(90 % interval -0.31 to +0.06), pooled -0.09R")


def test_trade_anyway_naming_a_quote_he_does_not_trade_is_refused_the_bare_coin_finds_his_pair(
    services: Services, status: FakeStatus, db: Engine, clock: SimClock, intent_classifier: IntentClassifier
) -> None:
    """A standing rule that sends orders must be about the pair the owner typed: on a USDT account
    `trade BTC/USD anyway` used to become a rule for BTC/USDT (its confirmation said so, but the owner
    asked for another pair). `trade BTC anyway` still means his BTC pair."""
    status.snap["evidence"] = {"BTC/USDT": EVIDENCE, "ETH/USDT": EVIDENCE}
    usdt = dataclasses.replace(services, pairs=("BTC/USDT", "ETH/USDT"))
    dispatcher = Dispatcher(usdt, KeyValueStore(db), db, clock, ALLOW, "jimmy", OfflineEngine(intent_classifier))

    def ask(text: str) -> Reply:
        return dispatcher.handle(Envelope("telegram", "111", text))

    for typed in ("trade BTC/USD anyway", "trade btcusd anyway"):
        refused = ask(typed)
        assert refused.kind == "error" and "I don't trade BTC/USD; my pairs are BTC/USDT, ETH/USDT" in refused.text
        assert "no pending" in ask("yes").text.lower() or ask("rules").text.startswith("No standing rules")
    for typed in ("trade BTC anyway", "trade xbt anyway", "trade BTC/USDT anyway"):
        echoed = ask(typed)
        assert echoed.kind == "confirm" and "trade BTC/USDT live whatever its evidence says" in echoed.text, typed
        assert "Dropped" in ask("no").text


def test_a_one_trade_record_says_too_few_trades_instead_of_a_zero_width_interval() -> None:
    """Against the sim-exchange one pooled trade gave "(90 % interval +1.83 to +1.83)": a certainty it lacks."""
    from core.evidence import PairEvidence
    from core.trading.servant import evidence_text

    one = PairEvidence("BTC/USD", "shadow", 1, 0.1, 1.83, 1.83, 1.83, 1.83, False)
    assert evidence_text(one) == ("BTC/USD: shadow — 1 trade over 0.1 months, expectancy +1.83R "
                                  "(too few trades for an interval), pooled +1.83R")
    flat = PairEvidence("ETH/USD", "shadow", 5, 1.0, 0.5, 0.5, 0.5, 0.5, False)
    assert "too few trades for an interval" in evidence_text(flat) and "0.50 to +0.50" not in evidence_text(flat)
    assert (one.to_json()["interval_low"], one.to_json()["interval_high"]) == (1.83, 1.83)  # JSON keeps its numbers
