"""The learner Zyn runs: its model, where the model is stored, and how it is (re)learned.

Why: the autopilot needs one object to ask "may I enter, and how big?" (`gate`, a GateFn);
the `learn` command and the nightly job need `relearn(db)` to report what changed; a fresh
install needs `bootstrap_from_backtest` so Zyn does not start ignorant. Each saved model is a
new `learner_state` row with an incrementing version, which every gated/sized decision cites.
The statistics themselves live in `core.learning.learner_model` (pure, no I/O).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from core.domain import Candle, ClosedTrade, Market
from core.learning.analyzer import TradeRecord, from_closed_trade, load_records
from core.learning.insights import refresh_insights
from core.learning.learner_model import (
    Cell,
    LearnerConfig,
    LearnerModel,
    context_label,
    empty_model,
    fit_model,
)
from core.learning.trade_sources import source_split
from core.market_data.arrays import CandleArrays
from core.markets.catalog import market_for
from core.research.pair_backtest import PairBacktest
from core.strategy.port import Gate, SignalContext
from core.strategy.risk import RiskConfig
from core.telemetry.models import LearnerStateRow, TradeRow
from core.time_context import features as time_features

BOOTSTRAP_SOURCE = "bootstrap"

__all__ = ["Learner", "LearnerConfig", "LearnerModel", "Cell"]


class Learner:
    """Holds the current model; `gate` is what the strategy calls at every would-be entry."""

    def __init__(self, config: LearnerConfig | None = None, model: LearnerModel | None = None) -> None:
        self.config = config or (model.config if model else LearnerConfig())
        self.model = model or empty_model(self.config)

    @property
    def version(self) -> int:
        return self.model.version

    def gate(self, ctx: SignalContext) -> Gate:
        return self.model.gate_signal(ctx)

    def fit(self, records: Sequence[TradeRecord]) -> LearnerModel:
        """Learn a new model (version = current + 1 until `save` assigns the stored one)."""
        self.model = fit_model(records, self.config, self.model.version + 1)
        return self.model

    @classmethod
    def load_latest(cls, db: Engine, config: LearnerConfig | None = None) -> Learner:
        """The newest stored model, or an empty (abstaining) one; `config` overrides the stored one."""
        with Session(db) as s:
            row = s.exec(
                select(LearnerStateRow).order_by(col(LearnerStateRow.version).desc()).limit(1)
            ).first()
        if row is None or row.version is None:
            return cls(config)
        model = LearnerModel.from_json(row.model_json, version=row.version)
        if config is not None:
            model.config = config
        return cls(config, model)

    def save(self, db: Engine, now_ms: int = 0, note: str = "") -> int:
        """Store the model as a new row; the version is one above the highest stored one."""
        with Session(db) as s:
            top = s.exec(select(func.max(LearnerStateRow.version))).one()
            version = int(top or 0) + 1
            self.model.version = version
            s.add(
                LearnerStateRow(
                    version=version,
                    ts_ms=now_ms,
                    trained_on=self.model.trained_on,
                    model_json=self.model.to_json(),
                    note=note,
                )
            )
            s.commit()
        return version

    def relearn(self, db: Engine, now_ms: int = 0) -> dict[str, object]:
        """Re-fit on every closed trade in the database, store it, refresh the insights, say what changed."""
        before = Learner.load_latest(db, self.config).model
        records = load_records(db)  # each trade once: bootstrap trades overlapping own trading dropped
        backtest, own = source_split(records)
        self.model = fit_model(records, self.config, before.version + 1)
        self.save(db, now_ms, note=f"relearn over {len(records)} closed trades ({backtest} backtest + {own} own)")
        changes = diff_models(before, self.model)
        changes["trained_on_backtest"], changes["trained_on_own"] = backtest, own
        changes["insights"] = refresh_insights(db, self.model, now_ms)
        return changes

    def bootstrap_from_backtest(
        self,
        db: Engine,
        data: Mapping[str, Sequence[Candle]],
        timeframe: str,
        markets: Mapping[str, Market] | None = None,
        cfg: RiskConfig | None = None,
        now_ms: int = 0,
        backtest: PairBacktest | None = None,
    ) -> dict[str, object]:
        """Backtest the plain strategy on `data` (pair -> candles of `timeframe`), store the trades
        as source 'bootstrap' (replacing earlier bootstrap trades of those pairs), then relearn.
        `backtest`: the strategy from the port and its engine (default: the default strategy)."""
        bt = backtest or PairBacktest(cfg=cfg or RiskConfig())
        rows: list[TradeRow] = []
        for pair, candles in data.items():
            market = (markets or {}).get(pair) or market_for(pair)
            result = bt.run(pair, timeframe, market, CandleArrays.from_candles(candles))
            rows += [trade_row(t, BOOTSTRAP_SOURCE) for t in result.trades]
        with Session(db) as s:
            s.exec(
                delete(TradeRow).where(
                    col(TradeRow.source) == BOOTSTRAP_SOURCE, col(TradeRow.pair).in_(list(data))
                )
            )
            number_below_owner_ids(s, rows)
            s.add_all(rows)
            s.commit()
        changes = self.relearn(db, now_ms)
        changes["bootstrapped_trades"] = len(rows)
        return changes


def number_below_owner_ids(s: Session, rows: Sequence[TradeRow]) -> None:
    """Give simulated (bootstrap) trades ids below every other trade's, counting down from -1:
    the owner's trade numbers come from the same id column and must not jump from 33 to 71
    because a `learn` stored 37 backtest trades (issue 22.9). SQLite and PostgreSQL both keep
    counting new rows up from the highest id, so negative ids never take an owner's number."""
    lowest = s.exec(select(func.min(TradeRow.id))).one()
    next_id = min(int(lowest or 0), 0) - 1
    for row in rows:
        row.id, next_id = next_id, next_id - 1


def trade_row(t: ClosedTrade, source: str) -> TradeRow:
    """A backtest trade as a telemetry row, with the same context fields live trades carry."""
    rec = from_closed_trade(t, source)
    amount, entry, stop = Decimal(repr(t.amount)), Decimal(repr(t.entry_price)), Decimal(repr(t.stop))
    return TradeRow(
        pair=t.pair,
        source=source,
        status="closed",
        entry_ms=t.entry_ts,
        exit_ms=t.exit_ts,
        amount=amount,
        entry_price=entry,
        exit_price=Decimal(repr(t.exit_price)),
        stop_price=stop,
        target_price=Decimal(repr(t.target)) if t.target is not None else None,
        initial_risk=amount * (entry - stop),
        fees=Decimal(repr(t.fees)),
        pnl=Decimal(repr(t.pnl)),
        r_multiple=t.r_multiple,
        exit_reason=t.reason,
        atr=t.atr,
        atr_pct=rec.atr_pct,
        sma=t.sma,
        trend_strength=rec.trend_strength,
        size_factor=t.size_factor,
        context_json=json.dumps(time_features(t.entry_ts)),
    )


def diff_models(before: LearnerModel, after: LearnerModel, min_shift_r: float = 0.05) -> dict[str, object]:
    """What a re-learn changed: versions, sample size, gated/sized contexts, moved estimates."""
    gated_b = {c.label(): c for c in before.gated_cells()}
    gated_a = {c.label(): c for c in after.gated_cells()}
    moved = []
    for feature, cells in after.cells.items():
        for value, c in cells.items():
            old = before.cell(feature, value)
            if old is None or abs(old.shrunk - c.shrunk) >= min_shift_r:
                moved.append(
                    {
                        "context": context_label(feature, value),
                        "n": c.n,
                        "before_r": round(old.shrunk, 3) if old else None,
                        "after_r": round(c.shrunk, 3),
                    }
                )
    return {
        "version": after.version,
        "previous_version": before.version or None,
        "trained_on": after.trained_on,
        "previous_trained_on": before.trained_on,
        "overall_r": _r(after.overall_r),
        "previous_overall_r": _r(before.overall_r),
        "ready": after.ready,
        "gated": sorted(gated_a),
        "newly_gated": sorted(set(gated_a) - set(gated_b)),
        "no_longer_gated": sorted(set(gated_b) - set(gated_a)),
        "sized": {c.label(): round(d, 3) for c, d in after.sized_cells()},
        "moved": moved,
    }


def _r(x: float | None) -> float | None:
    return round(x, 4) if x is not None else None
