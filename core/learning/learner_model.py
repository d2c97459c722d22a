"""The learner's model: context expectancy (in R) that gates and sizes the pinned strategy.

Why this shape: the strategy's edge is small and trade counts are low (tens a year per pair),
so a context is only acted on when the evidence is strong. Per context value (session,
weekday, hour bucket, volatility regime, trend bucket) it keeps n, mean R and a 95 % interval;
the estimate is shrunk toward the overall mean with `prior_k` pseudo-trades, and below `min_n`
trades the learner abstains. An entry is denied only when its context is *reliably* negative
(the interval's upper bound below `deny_upper_r`) and clearly worse than overall; size moves
within [0.5, 1.5] only where the difference from overall is statistically significant.
Everything the gate uses is known at the close of the signal candle; tercile cut points come
from the training trades only. The opt-in ridge variant lives in `core.learning.learner_ridge`; its names
are re-exported here so existing imports keep working.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from core.learning.analyzer import (
    CONTEXT_DIMENSIONS,
    Cuts,
    TradeRecord,
    context_features,
    record_features,
    sample_cuts,
)
from core.learning.learner_config import LearnerConfig as LearnerConfig
from core.learning.learner_ridge import RIDGE_FEATURES as RIDGE_FEATURES
from core.learning.learner_ridge import RidgeFit as RidgeFit
from core.learning.learner_ridge import fit_ridge as fit_ridge
from core.learning.learner_ridge import numeric_features as numeric_features
from core.learning.learner_ridge import ridge_gate
from core.learning.stats import mean_ci, shrink, stdev
from core.markets.timeframes import timeframe_ms
from core.strategy.port import Gate, SignalContext


@dataclass(frozen=True)
class Cell:
    """What the model knows about one context value."""

    feature: str
    value: str
    n: int
    mean: float
    sd: float
    shrunk: float
    lo: float
    hi: float

    def label(self) -> str:
        return context_label(self.feature, self.value)

    def evidence(self) -> dict[str, object]:
        return {
            "feature": self.feature,
            "value": self.value,
            "n": self.n,
            "mean_r": round(self.mean, 4),
            "shrunk_r": round(self.shrunk, 4),
            "ci": [_round(self.lo), _round(self.hi)],
        }


def context_label(feature: str, value: str) -> str:
    """Human wording of a context value ("Asia session", "hour 00-04 UTC", "low volatility")."""
    words = {
        "session": f"{value} session",
        "weekday": f"{value} entries",
        "hour_bucket": f"hour {value} UTC",
        "vol_regime": f"{value} volatility",
        "trend": f"{value} trend",
    }
    return words.get(feature, f"{feature}={value}")


def _round(x: float) -> float | None:
    return round(x, 4) if math.isfinite(x) else None


@dataclass
class LearnerModel:
    version: int
    trained_on: int
    overall_r: float | None
    overall_sd: float
    cells: dict[str, dict[str, Cell]]
    atr_cuts: Cuts
    trend_cuts: Cuts
    last_exit_ts: int | None  # the latest exit among the training trades (leakage audits)
    config: LearnerConfig = field(default_factory=LearnerConfig)
    data_until_ms: int | None = None  # the latest candle the training trades came from, if known
    pair_atr_cuts: dict[str, tuple[float, float]] = field(default_factory=dict)  # per-pair terciles
    ridge: RidgeFit | None = None  # only with config.method == "ridge"

    @property
    def ready(self) -> bool:
        return self.overall_r is not None and self.trained_on >= self.config.min_train_trades

    def cell(self, feature: str, value: str) -> Cell | None:
        return self.cells.get(feature, {}).get(value)

    def denies(self, c: Cell) -> bool:
        """Reliably negative: enough trades, CI upper bound below the bar, clearly under overall."""
        cfg, overall = self.config, self.overall_r or 0.0
        return c.n >= cfg.min_n and c.hi < cfg.deny_upper_r and c.shrunk < overall - cfg.deny_margin_r

    def size_delta(self, c: Cell) -> float | None:
        """Shrunk minus overall when the difference is significant at `size_z`; else None."""
        if c.n < self.config.min_n or self.overall_r is None:
            return None
        gap, se = abs(c.mean - self.overall_r), c.sd / math.sqrt(c.n)
        if gap == 0 or (se > 0 and gap / se < self.config.size_z):
            return None
        return c.shrunk - self.overall_r

    def judge(self, features: dict[str, str]) -> Gate:
        """The verdict for an entry in this context; abstains (allow, 1.0x) without evidence."""
        cfg = self.config
        if not self.ready:
            return Gate(
                True,
                1.0,
                self.version,
                f"abstain: learned from {self.trained_on} closed trades, need {cfg.min_train_trades}",
            )
        known = [c for f in cfg.features if (c := self.cell(f, features.get(f, ""))) is not None]
        denied = sorted((c for c in known if self.denies(c)), key=lambda c: c.hi)
        if denied:
            return Gate(False, 1.0, self.version, self.cite(denied[0]))
        sized = [(c, d) for c in known if (d := self.size_delta(c)) is not None]
        if not sized:
            return Gate(True, 1.0, self.version, "no context with reliable evidence; plain size")
        score = sum(d for _, d in sized) / len(sized)
        factor = min(cfg.max_factor, max(cfg.min_factor, 1.0 + cfg.size_gain * score))
        strongest = max(sized, key=lambda cd: abs(cd[1]))[0]
        return Gate(True, round(factor, 3), self.version, f"size {factor:.2f}x: {self.cite(strongest)}")

    def gate_signal(self, ctx: SignalContext) -> Gate:
        """The verdict for a live/backtest signal (what `Learner.gate` and walk-forward call)."""
        if self.config.method == "ridge" and self.ready and self.ridge is not None:
            return self.judge_ridge(ctx)
        return self.judge(signal_features(self, ctx))

    def judge_ridge(self, ctx: SignalContext) -> Gate:
        """The ridge variant's verdict; the logic lives in `core.learning.learner_ridge`."""
        assert self.ridge is not None  # noqa: S101 - checked by the caller
        return ridge_gate(self.ridge, self.config, self.overall_r or 0.0, self.version, ctx)

    def cite(self, c: Cell) -> str:
        return (
            f"{c.label()}: {c.mean:+.2f}R over {c.n} trades (95 % CI {c.lo:+.2f} to {c.hi:+.2f}R; "
            f"overall {self.overall_r or 0.0:+.2f}R)"
        )

    def gated_cells(self) -> list[Cell]:
        return (
            [c for cells in self.cells.values() for c in cells.values() if self.denies(c)]
            if self.ready
            else []
        )

    def sized_cells(self) -> list[tuple[Cell, float]]:
        if not self.ready:
            return []
        return [(c, d) for cells in self.cells.values() for c in cells.values() if (d := self.size_delta(c))]

    def to_json(self) -> str:
        data = asdict(self)
        data["cells"] = {
            f: {v: _finite_cell(asdict(c)) for v, c in vs.items()} for f, vs in self.cells.items()
        }
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, version: int | None = None) -> LearnerModel:
        data = json.loads(text)
        cfg_data = dict(data.get("config", {}))
        cfg_data["features"] = tuple(cfg_data.get("features", CONTEXT_DIMENSIONS))
        cells = {f: {v: _cell_from(c) for v, c in vs.items()} for f, vs in data.get("cells", {}).items()}
        return cls(
            version=version if version is not None else int(data.get("version", 0)),
            trained_on=int(data.get("trained_on", 0)),
            overall_r=data.get("overall_r"),
            overall_sd=float(data.get("overall_sd", 0.0)),
            cells=cells,
            atr_cuts=_cuts(data.get("atr_cuts")),
            trend_cuts=_cuts(data.get("trend_cuts")),
            last_exit_ts=data.get("last_exit_ts"),
            config=LearnerConfig(**cfg_data),
            data_until_ms=data.get("data_until_ms"),
            pair_atr_cuts={
                p: c for p, v in data.get("pair_atr_cuts", {}).items() if (c := _cuts(v)) is not None
            },
            ridge=RidgeFit(**data["ridge"]) if data.get("ridge") else None,
        )


def _finite_cell(d: dict[str, object]) -> dict[str, object]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def _cell_from(d: dict[str, object]) -> Cell:
    def num(key: str, missing: float) -> float:
        v = d.get(key)
        return float(v) if isinstance(v, int | float) else missing

    return Cell(
        str(d["feature"]),
        str(d["value"]),
        int(num("n", 0)),
        num("mean", 0.0),
        num("sd", 0.0),
        num("shrunk", 0.0),
        num("lo", -math.inf),
        num("hi", math.inf),
    )


def _cuts(v: object) -> Cuts:
    return (float(v[0]), float(v[1])) if isinstance(v, list | tuple) and len(v) == 2 else None


def fit_model(
    records: Sequence[TradeRecord],
    config: LearnerConfig | None = None,
    version: int = 0,
    data_until_ms: int | None = None,
) -> LearnerModel:
    """Learn per-context expectancy from closed trades (terciles from these trades only)."""
    cfg = config or LearnerConfig()
    rs = [r.r for r in records]
    overall = sum(rs) / len(rs) if rs else None
    atr_cuts, trend_cuts = sample_cuts(records)
    pair_cuts = pair_atr_cuts(records, cfg.min_n)
    groups: dict[str, dict[str, list[float]]] = {f: {} for f in cfg.features}
    for rec in records:
        feats = record_features(rec, pair_cuts.get(rec.pair, atr_cuts), trend_cuts)
        for f in cfg.features:
            groups[f].setdefault(feats[f], []).append(rec.r)
    cells = {
        f: {v: _make_cell(f, v, vals, overall or 0.0, cfg) for v, vals in by.items()}
        for f, by in groups.items()
    }
    return LearnerModel(
        version=version,
        trained_on=len(rs),
        overall_r=overall,
        overall_sd=stdev(rs),
        cells=cells,
        atr_cuts=atr_cuts,
        trend_cuts=trend_cuts,
        last_exit_ts=max((r.exit_ts for r in records), default=None),
        config=cfg,
        data_until_ms=data_until_ms,
        pair_atr_cuts=pair_cuts,
        ridge=fit_ridge(records, cfg.ridge_lambda, cfg.min_n) if cfg.method == "ridge" else None,
    )


def pair_atr_cuts(records: Sequence[TradeRecord], min_n: int) -> dict[str, tuple[float, float]]:
    """ATR% terciles per pair with enough trades: "high volatility" means high *for this pair*,
    so a pooled model does not confuse a volatile coin with a volatile moment."""
    by_pair: dict[str, list[TradeRecord]] = {}
    for rec in records:
        by_pair.setdefault(rec.pair, []).append(rec)
    out = {p: sample_cuts(rs)[0] for p, rs in by_pair.items() if len(rs) >= min_n}
    return {p: c for p, c in out.items() if c is not None}


def _make_cell(feature: str, value: str, rs: list[float], overall: float, cfg: LearnerConfig) -> Cell:
    ci = mean_ci(rs, cfg.z)
    assert ci is not None  # noqa: S101 - groups are never empty
    m, lo, hi = ci
    return Cell(feature, value, len(rs), m, stdev(rs), shrink(len(rs), m, overall, cfg.prior_k), lo, hi)


def signal_features(model: LearnerModel, ctx: SignalContext) -> dict[str, str]:
    """Context of a live/backtest signal, from the signal candle's close only."""
    ts = ctx.candle.ts + timeframe_ms(model.config.timeframe)
    close = ctx.candle.close
    atr_pct = ctx.atr / close if ctx.atr > 0 and close > 0 else None
    trend = (close - ctx.sma) / ctx.atr if ctx.atr > 0 and ctx.sma > 0 else None
    atr_cuts = model.pair_atr_cuts.get(ctx.pair, model.atr_cuts)
    return context_features(ts, atr_pct, trend, atr_cuts, model.trend_cuts)


def empty_model(config: LearnerConfig | None = None, version: int = 0) -> LearnerModel:
    return fit_model([], config, version)
