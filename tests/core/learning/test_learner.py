"""The learner abstains without evidence, gates a planted losing context, and versions its state."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from core.domain import Candle
from core.learning.insights import list_insights
from core.learning.learner import Learner
from core.learning.learner_model import LearnerConfig, LearnerModel, fit_model
from core.strategy.pinned import SignalContext
from core.telemetry.db import make_engine
from core.telemetry.models import LearnerStateRow, TradeRow

from .helpers import MONDAY, H, planted, record


def ctx_at(entry_hour: int, day: int = 30) -> SignalContext:
    """A signal whose 4h candle closes (entry time) at `entry_hour` UTC."""
    ts = MONDAY + day * 24 * H + entry_hour * H - 4 * H
    return SignalContext("BTC/USD", Candle(ts, 100, 101, 99, 100.5, 1), sma=100.0, atr=1.5, equity=10_000)


def test_abstains_when_it_has_learned_too_little() -> None:
    few = [record(MONDAY + i * 4 * H, -1.0 if (i * 4) % 24 < 8 else 0.3) for i in range(30)]
    learner = Learner()
    learner.fit(few)
    gate = learner.gate(ctx_at(0))
    assert gate.allow and gate.factor == 1.0 and gate.note.startswith("abstain: learned from 30")


def test_abstains_on_a_small_context_cell() -> None:
    recs = planted(360)
    model = fit_model(recs, LearnerConfig(min_n=1000, min_train_trades=10))
    gate = model.judge({"session": "Asia", "weekday": "Monday", "hour_bucket": "00-04"})
    assert gate.allow and gate.factor == 1.0 and "no context with reliable evidence" in gate.note


def test_gates_the_planted_losing_context_and_allows_the_rest() -> None:
    learner = Learner()
    model = learner.fit(planted(360))
    assert model.ready and model.overall_r is not None
    assert model.cells["session"]["Asia"].n == 120
    denied = learner.gate(ctx_at(0))
    assert not denied.allow and denied.version == model.version
    assert "R over" in denied.note and "overall -0.10R" in denied.note  # cites the numbers
    for hour in (8, 12, 16, 20):
        verdict = learner.gate(ctx_at(hour))
        assert verdict.allow and 0.5 <= verdict.factor <= 1.5


def test_size_factor_rises_in_a_reliably_better_context() -> None:
    recs = [
        record(
            MONDAY + i * 4 * H, ([3.0, 2.5, 3.2] if (i * 4) % 24 == 12 else [-1.0, 0.5, -0.2])[(i // 6) % 3]
        )
        for i in range(600)
    ]
    gate = Learner().fit(recs).judge({"hour_bucket": "12-16", "session": "Europe"})
    assert gate.allow and 1.0 < gate.factor <= 1.5 and gate.note.startswith("size")


def test_model_round_trips_through_json() -> None:
    model = fit_model(planted(360))
    again = LearnerModel.from_json(model.to_json())
    assert again.to_json() == model.to_json()
    feats = {
        "session": "Asia",
        "weekday": "Tuesday",
        "hour_bucket": "00-04",
        "vol_regime": "low",
        "trend": "weak",
    }
    assert again.judge(feats) == model.judge(feats)


def test_versions_increment_and_are_stored() -> None:
    db = make_engine("sqlite://")
    learner = Learner()
    learner.fit(planted(120))
    assert learner.save(db, now_ms=1) == 1
    learner.fit(planted(360))
    assert learner.save(db, now_ms=2) == 2
    loaded = Learner.load_latest(db)
    assert loaded.version == 2 and loaded.model.trained_on == 360
    with Session(db) as s:
        rows = s.exec(select(LearnerStateRow)).all()
    assert [r.version for r in rows] == [1, 2] and json.loads(rows[1].model_json)["trained_on"] == 360
    assert not loaded.gate(ctx_at(4)).allow and loaded.gate(ctx_at(4)).version == 2


def test_relearn_reports_changes_and_refreshes_insights() -> None:
    db = make_engine("sqlite://")
    learner = Learner()
    first = learner.relearn(db)
    assert first["version"] == 1 and first["trained_on"] == 0 and first["ready"] is False
    with Session(db) as s:
        for rec in planted(360):
            s.add(
                TradeRow(
                    pair=rec.pair,
                    source="paper",
                    status="closed",
                    entry_ms=rec.entry_ts,
                    exit_ms=rec.exit_ts,
                    pnl=rec.pnl,
                    r_multiple=rec.r,
                    fees=rec.fees,
                    atr_pct=rec.atr_pct,
                    trend_strength=rec.trend_strength,
                    exit_reason=rec.exit_reason,
                )
            )
        s.commit()
    second = learner.relearn(db)
    assert second["version"] == 2 and second["previous_version"] == 1 and second["trained_on"] == 360
    assert "Asia session" in second["newly_gated"]  # type: ignore[operator]
    titles = [i.title for i in list_insights(db)]
    assert (
        "Overall record" in titles
        and "Worst session: Asia" in titles
        and "Skipping entries: Asia session" in titles
    )
    assert all(i.learner_version == 2 for i in list_insights(db))
    assert len(list_insights(db, active_only=False)) > len(
        titles
    )  # the first set was deactivated, not deleted


def test_ridge_variant_gates_a_planted_trend_effect_and_round_trips() -> None:
    """The opt-in ridge model (tried on dev, not adopted) learns a planted trend effect, cites its
    numbers, abstains where it has no edge, and survives a JSON round trip."""
    recs = [
        record(MONDAY + i * 4 * H, ([-1.0, -1.0, -0.8] if i % 2 else [2.0, -1.0, 0.6])[(i // 2) % 3],
               trend=2.5 if i % 2 else 0.2)
        for i in range(600)
    ]
    learner = Learner(LearnerConfig(method="ridge"))
    model = learner.fit(recs)
    assert model.ridge is not None
    strong = SignalContext("BTC/USD", Candle(MONDAY, 100, 104, 99, 103.75, 1), sma=100.0, atr=1.5, equity=1e4)
    weak = SignalContext("BTC/USD", Candle(MONDAY, 100, 101, 99, 100.3, 1), sma=100.0, atr=1.5, equity=1e4)
    denied, allowed = learner.gate(strong), learner.gate(weak)
    assert not denied.allow and "predicted" in denied.note and denied.version == model.version
    assert allowed.allow and 0.5 <= allowed.factor <= 1.5
    again = LearnerModel.from_json(model.to_json())
    assert again.gate_signal(strong) == model.gate_signal(strong)
