"""Trade analyzer: how Zyn's closed trades did, overall and by context, with honest uncertainty.

Why: the owner asks "what works best for you?" and the learner needs per-context expectancy.
Both read the same `TradeRecord`s, built from the `trades` table (paper, live, backtest alike)
or straight from a backtest's `ClosedTrade`s. Every group carries n, a Wilson 95 % interval
for its win rate and a `small_sample` flag, so no small group is presented as a confident fact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.domain import ClosedTrade
from core.learning.stats import (
    max_drawdown_abs,
    mean,
    mean_ci,
    profit_factor,
    tercile_cuts,
    tercile_label,
    wilson,
)
from core.learning.trade_sources import BACKTEST_SOURCES, counted_once
from core.telemetry.models import TradeRow
from core.time_context import time_context

SMALL_SAMPLE = 20
VOL_NAMES = ("low", "mid", "high")
TREND_NAMES = ("weak", "moderate", "strong")
DIMENSIONS = ("pair", "session", "weekday", "hour_bucket", "vol_regime", "trend", "exit_reason")
CONTEXT_DIMENSIONS = ("session", "weekday", "hour_bucket", "vol_regime", "trend")
Cuts = tuple[float, float] | None


@dataclass(frozen=True)
class TradeRecord:
    """One closed round trip with what was known at its entry (the analyzer's only input)."""

    pair: str
    entry_ts: int
    exit_ts: int
    pnl: float
    r: float
    fees: float
    atr_pct: float | None  # ATR / close of the signal candle
    trend_strength: float | None  # (close - SMA) / ATR at the signal
    exit_reason: str
    source: str = "backtest"
    trade_id: int | None = None

    @property
    def holding_hours(self) -> float:
        return max(0, self.exit_ts - self.entry_ts) / 3_600_000


def from_closed_trade(t: ClosedTrade, source: str = "backtest") -> TradeRecord:
    close = t.signal_close or t.entry_price
    return TradeRecord(
        pair=t.pair,
        entry_ts=t.entry_ts,
        exit_ts=t.exit_ts,
        pnl=t.pnl,
        r=t.r_multiple,
        fees=t.fees,
        atr_pct=t.atr / close if t.atr > 0 and close > 0 else None,
        trend_strength=(t.signal_close - t.sma) / t.atr
        if t.atr > 0 and t.sma > 0 and t.signal_close > 0
        else None,
        exit_reason=t.reason,
        source=source,
    )


def from_trade_row(row: TradeRow) -> TradeRecord | None:
    """A closed TradeRow as a record; None for open or incomplete rows (nothing to learn yet)."""
    if row.status != "closed" or row.exit_ms is None or row.pnl is None:
        return None
    r = row.r_multiple
    if r is None:
        r = float(row.pnl / row.initial_risk) if row.initial_risk > 0 else 0.0
    atr_pct = row.atr_pct
    if atr_pct is None and row.atr and row.entry_price > 0:
        atr_pct = row.atr / float(row.entry_price)
    return TradeRecord(
        pair=row.pair,
        entry_ts=row.entry_ms,
        exit_ts=row.exit_ms,
        pnl=float(row.pnl),  # statistics are computed in floats; the row keeps the exact figure
        r=r,
        fees=float(row.fees),
        atr_pct=atr_pct,
        trend_strength=row.trend_strength,
        exit_reason=row.exit_reason or "unknown",
        source=row.source,
        trade_id=row.id,
    )


def load_records(
    db: Engine, sources: Iterable[str] | None = None, pair: str | None = None
) -> list[TradeRecord]:
    """Closed trades from the database in exit order, optionally only some sources / one pair.

    Backtest (bootstrap) trades that overlap the pair's own trading are dropped
    (`core.learning.trade_sources.counted_once`): one trade is never counted twice."""
    wanted = None if sources is None else set(sources)
    stmt = select(TradeRow).where(TradeRow.status == "closed")
    if wanted is not None:
        stmt = stmt.where(col(TradeRow.source).in_(sorted(wanted)))
    if pair is not None:
        stmt = stmt.where(TradeRow.pair == pair)
    with Session(db) as s:
        rows = s.exec(stmt).all()
    out = [rec for rec in (from_trade_row(r) for r in rows) if rec is not None]
    if wanted is None or wanted & BACKTEST_SOURCES:
        # whether a backtest trade counts depends on the pair's own trades: judge over all sources
        pool = out if wanted is None else load_records(db, None, pair)
        out = [r for r in counted_once(pool) if wanted is None or r.source in wanted]
    return sorted(out, key=lambda r: (r.exit_ts, r.entry_ts))


def context_features(
    ts_ms: int, atr_pct: float | None, trend: float | None, atr_cuts: Cuts, trend_cuts: Cuts
) -> dict[str, str]:
    """The context of an entry at `ts_ms` (entry time = close of the signal candle).

    The learner's gate and the analyzer call this same function, so a context learned from
    history is exactly the context a live signal is judged in.
    """
    tc = time_context(ts_ms)
    return {
        "session": tc.session,
        "weekday": tc.weekday,
        "hour_bucket": tc.hour_bucket,
        "vol_regime": tercile_label(atr_pct, atr_cuts, VOL_NAMES),
        "trend": tercile_label(trend, trend_cuts, TREND_NAMES),
    }


def record_features(rec: TradeRecord, atr_cuts: Cuts, trend_cuts: Cuts) -> dict[str, str]:
    out = context_features(rec.entry_ts, rec.atr_pct, rec.trend_strength, atr_cuts, trend_cuts)
    out["pair"] = rec.pair
    out["exit_reason"] = rec.exit_reason
    return out


def sample_cuts(records: Sequence[TradeRecord]) -> tuple[Cuts, Cuts]:
    """ATR% and trend-strength tercile cut points computed from this sample only."""
    atr = [r.atr_pct for r in records if r.atr_pct is not None]
    trend = [r.trend_strength for r in records if r.trend_strength is not None]
    return tercile_cuts(atr), tercile_cuts(trend)


@dataclass(frozen=True)
class GroupStats:
    dimension: str
    value: str
    n: int
    wins: int
    win_rate: float | None
    win_ci: tuple[float, float]
    profit_factor: float | None
    expectancy_r: float | None
    r_ci: tuple[float, float] | None
    avg_win: float | None
    avg_loss: float | None
    total_pnl: float
    max_drawdown: float
    avg_holding_hours: float | None
    small_sample: bool  # the words for a group: bot/text/learning.py (`group_line`)


def group_stats(dimension: str, value: str, records: Sequence[TradeRecord]) -> GroupStats:
    pnls = [r.pnl for r in sorted(records, key=lambda r: r.exit_ts)]
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p <= 0]
    ci = mean_ci([r.r for r in records])
    return GroupStats(
        dimension=dimension,
        value=value,
        n=len(records),
        wins=len(wins),
        win_rate=len(wins) / len(records) if records else None,
        win_ci=wilson(len(wins), len(records)),
        profit_factor=profit_factor(pnls),
        expectancy_r=ci[0] if ci else None,
        r_ci=(ci[1], ci[2]) if ci else None,
        avg_win=mean(wins),
        avg_loss=mean(losses),
        total_pnl=sum(pnls),
        max_drawdown=max_drawdown_abs(pnls),
        avg_holding_hours=mean([r.holding_hours for r in records]),
        small_sample=len(records) < SMALL_SAMPLE,
    )


@dataclass
class AnalyzerReport:
    overall: GroupStats
    groups: dict[str, list[GroupStats]] = field(default_factory=dict)
    atr_cuts: Cuts = None
    trend_cuts: Cuts = None

    def group(self, dimension: str, value: str) -> GroupStats | None:
        return next((g for g in self.groups.get(dimension, []) if g.value == value), None)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-safe data (infinite interval ends become null)."""
        out: dict[str, object] = {
            "overall": _finite(asdict(self.overall)),
            "groups": {d: [_finite(asdict(g)) for g in gs] for d, gs in self.groups.items()},
            "atr_cuts": _finite(self.atr_cuts),
            "trend_cuts": _finite(self.trend_cuts),
        }
        return out


def _finite(x: object) -> object:
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    return x


class TradeAnalyzer:
    """Statistics over closed trades; `db` is optional so a backtest's trades can be analyzed too."""

    def __init__(self, db: Engine | None = None) -> None:
        self.db = db

    def records(self, sources: Iterable[str] | None = None, pair: str | None = None) -> list[TradeRecord]:
        if self.db is None:
            return []
        return load_records(self.db, sources, pair)

    def analyze(self, records: Sequence[TradeRecord] | None = None) -> AnalyzerReport:
        recs = list(records) if records is not None else self.records()
        atr_cuts, trend_cuts = sample_cuts(recs)
        buckets: dict[str, dict[str, list[TradeRecord]]] = {d: {} for d in DIMENSIONS}
        for rec in recs:
            for dim, value in record_features(rec, atr_cuts, trend_cuts).items():
                buckets[dim].setdefault(value, []).append(rec)
        groups = {
            dim: [group_stats(dim, v, rs) for v, rs in sorted(by_value.items(), key=lambda kv: -len(kv[1]))]
            for dim, by_value in buckets.items()
        }
        return AnalyzerReport(group_stats("all", "all", recs), groups, atr_cuts, trend_cuts)

    def analyze_backtest(self, trades: Sequence[ClosedTrade]) -> AnalyzerReport:
        return self.analyze([from_closed_trade(t) for t in trades])
