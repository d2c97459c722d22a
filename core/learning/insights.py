"""Insights: what Zyn has learned about its own trading, as short statements with evidence.

Why stored rows (telemetry `insights`): the status page, the `insights` command and the agent
all show the same set, each tied to the learner version it came from and carrying its evidence
(n, mean R, interval) so a claim can always be checked. A re-learn replaces the active set.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.learning.analyzer import CONTEXT_DIMENSIONS, SMALL_SAMPLE, AnalyzerReport, GroupStats, TradeAnalyzer
from core.learning.learner_model import LearnerModel, context_label
from core.learning.stats import rate_text
from core.telemetry.models import InsightRow

DIMENSION_NAMES = {
    "session": "session",
    "weekday": "weekday",
    "hour_bucket": "time of day",
    "vol_regime": "volatility regime",
    "trend": "trend strength",
}


@dataclass(frozen=True)
class Insight:
    title: str
    text: str
    evidence: dict[str, object] = field(default_factory=dict)


def _evidence(g: GroupStats, overall: float | None) -> dict[str, object]:
    lo, hi = g.r_ci if g.r_ci else (None, None)
    return {
        "dimension": g.dimension,
        "value": g.value,
        "n": g.n,
        "wins": g.wins,
        "mean_r": _r(g.expectancy_r),
        "ci": [_r(lo), _r(hi)],
        "win_rate": _r(g.win_rate),
        "win_ci": [_r(g.win_ci[0]), _r(g.win_ci[1])],
        "overall_r": _r(overall),
    }


def _r(x: float | None) -> float | None:
    return round(x, 4) if x is not None and abs(x) != float("inf") else None


def _group_text(g: GroupStats, overall: float | None) -> str:
    exp = g.expectancy_r or 0.0
    lo, hi = g.r_ci if g.r_ci else (float("-inf"), float("inf"))
    text = (
        f"{context_label(g.dimension, g.value)}: {exp:+.2f}R per trade over {g.n} trades "
        f"(95 % CI {lo:+.2f} to {hi:+.2f}R), won {rate_text(g.wins, g.n, SMALL_SAMPLE)}; "
        f"overall {overall or 0.0:+.2f}R"
    )
    if overall is not None and lo <= overall <= hi:
        text += " — not yet distinguishable from overall"
    return text + "."


def best_and_worst(report: AnalyzerReport, dimension: str) -> list[Insight]:
    """Best and worst value of one context dimension among groups with at least 20 trades."""
    groups = [
        g for g in report.groups.get(dimension, []) if g.n >= SMALL_SAMPLE and g.expectancy_r is not None
    ]
    if len(groups) < 2:
        return []
    ranked = sorted(groups, key=lambda g: g.expectancy_r or 0.0)
    overall = report.overall.expectancy_r
    name = DIMENSION_NAMES.get(dimension, dimension)
    return [
        Insight(
            f"Best {name}: {ranked[-1].value}",
            _group_text(ranked[-1], overall),
            _evidence(ranked[-1], overall),
        ),
        Insight(
            f"Worst {name}: {ranked[0].value}", _group_text(ranked[0], overall), _evidence(ranked[0], overall)
        ),
    ]


def learner_insights(model: LearnerModel) -> list[Insight]:
    """What the learner acts on: contexts it skips and contexts it sizes."""
    out = [
        Insight(
            f"Skipping entries: {c.label()}",
            f"I skip these entries. {model.cite(c)}.",
            {**c.evidence(), "overall_r": _r(model.overall_r), "action": "gate"},
        )
        for c in model.gated_cells()
    ]
    for c, delta in model.sized_cells():
        direction = "larger" if delta > 0 else "smaller"
        out.append(
            Insight(
                f"Sizing {direction}: {c.label()}",
                f"I size these entries {direction}. {model.cite(c)}.",
                {**c.evidence(), "overall_r": _r(model.overall_r), "action": "size"},
            )
        )
    return out


def build_insights(report: AnalyzerReport, model: LearnerModel | None = None) -> list[Insight]:
    """The overall record, best/worst per context dimension, and what the learner acts on."""
    o = report.overall
    if o.n < SMALL_SAMPLE:
        return [
            Insight(
                "Not enough trades yet",
                f"I have {o.n} closed trades; I need {SMALL_SAMPLE} before I say anything about what works.",
                {"n": o.n},
            )
        ]
    lo, hi = o.r_ci if o.r_ci else (float("-inf"), float("inf"))
    overall = Insight(
        "Overall record",
        f"Won {rate_text(o.wins, o.n, SMALL_SAMPLE)}; expectancy "
        f"{o.expectancy_r or 0.0:+.2f}R per trade (95 % CI {lo:+.2f} to {hi:+.2f}R).",
        _evidence(o, o.expectancy_r),
    )
    out = [overall]
    for dim in CONTEXT_DIMENSIONS:
        out += best_and_worst(report, dim)
    if model is not None:
        out += learner_insights(model)
    return out


def store_insights(db: Engine, insights: Sequence[Insight], version: int, now_ms: int = 0) -> int:
    """Deactivate the previous set and store this one; returns how many were stored."""
    with Session(db) as s:
        s.exec(update(InsightRow).where(col(InsightRow.active)).values(active=False))
        s.add_all(
            InsightRow(
                ts_ms=now_ms,
                learner_version=version,
                title=i.title,
                text=i.text,
                evidence_json=json.dumps(i.evidence),
                active=True,
            )
            for i in insights
        )
        s.commit()
    return len(insights)


def list_insights(db: Engine, active_only: bool = True) -> list[InsightRow]:
    stmt = select(InsightRow).order_by(col(InsightRow.id))
    if active_only:
        stmt = stmt.where(col(InsightRow.active))
    with Session(db) as s:
        return list(s.exec(stmt).all())


def refresh_insights(db: Engine, model: LearnerModel, now_ms: int = 0) -> int:
    """Analyze every closed trade in the database and store the new active insight set."""
    report = TradeAnalyzer(db).analyze()
    return store_insights(db, build_insights(report, model), model.version, now_ms)
