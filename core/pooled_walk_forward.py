"""Pooled walk-forward over a universe of pairs, with the random-skip control built in.

Why pooled: one pair gives tens of trades a year, too few for any model; the same strategy on a
whole folder of pairs gives hundreds. Each pair's candles are cut into `folds + 1` segments as in
`core.walk_forward` (segment 0 only trains); the model a signal in test fold k asks was trained
on the plain-strategy trades of *every* pair that closed before that fold's first candle (models
are cached per cutoff time, so pairs sharing a calendar share models). Why the control: a losing
strategy "improves" by trading less, so the learner must beat skipping the same share of entries
at random; per pair the learner's skip rate is applied by `seeds` random gates, and skill means
the learned average beats at least 95 % of the seeds' set averages
(bench/results/learner_protocol.md, learner_protocol_2026-11-30.md).
The plain-strategy trades of a full run are the training trades: the backtest is causal, so a
trade that closed before a cutoff is exactly the trade a backtest cut at that time would make.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from core.analyzer import TradeRecord, from_closed_trade
from core.backtest import Backtester, BacktestResult
from core.domain import Candle, Market, UserError
from core.learn_features import Universe
from core.learner_ml import MLModel, MLSpec, fit_ml
from core.learner_model import LearnerConfig, LearnerModel, fit_model
from core.metrics import ClosedTrade
from core.risk import RiskConfig
from core.strategy import Gate, SignalContext
from core.timeframes import timeframe_ms
from core.walk_forward import fold_starts, window

CONTROL_SEEDS = 20
SKILL_SHARE = 0.95
# The pre-registered variants (bench/results/learner_protocol_2026-11-30.md); None = the cell model.
VARIANTS: dict[str, MLSpec | None] = {
    "V0": None,
    "L-a": MLSpec("logistic", "margin"),
    "L-b": MLSpec("logistic", "q33"),
    "G-a": MLSpec("gbm", "margin"),
    "G-b": MLSpec("gbm", "q33"),
}
DEFAULT_VARIANT = "G-b"  # frozen by the round-2 selection rule on dev (bench/results/learner_protocol_2026-11-30.md)

Progress = Callable[[str], None]


class FoldModel(Protocol):
    def decide(self, pair: str, ctx: SignalContext) -> Gate: ...


@dataclass
class CellFoldModel:
    model: LearnerModel

    def decide(self, pair: str, ctx: SignalContext) -> Gate:
        return self.model.gate_signal(ctx)


@dataclass
class MLFoldModel:
    model: MLModel | None
    universe: Universe
    trained_on: int
    ready: dict[tuple[str, int], float] = field(default_factory=dict)  # (pair, candle ts) -> P(win)

    def prepare(self, pair: str, candle_ts: Sequence[int]) -> None:
        """Compute P(win) for every candle a signal could come from, in one batch (same numbers
        as one at a time; the features of a candle do not depend on the learned run)."""
        if self.model is None:
            return
        vectors = [self.universe.vector(pair, ts) for ts in candle_ts]
        self.ready.update(zip(((pair, ts) for ts in candle_ts), self.model.probs(vectors), strict=True))

    def decide(self, pair: str, ctx: SignalContext) -> Gate:
        if self.model is None:
            return Gate(True, 1.0, None, f"abstain: {self.trained_on} training trades")
        x = self.universe.vector(pair, ctx.candle.ts)
        return self.model.gate(x, self.ready.get((pair, ctx.candle.ts)))


@dataclass(frozen=True)
class TrainTrade:
    record: TradeRecord
    features: list[float]


@dataclass
class Trainer:
    """Fits (and caches) the model for a cutoff time from every pair's trades closed before it."""

    trades: list[TrainTrade]  # sorted by exit time
    variant: str
    timeframe: str
    universe: Universe
    cache: dict[int, FoldModel] = field(default_factory=dict)
    last_exit: dict[int, int | None] = field(default_factory=dict)  # cutoff -> latest training exit

    def model_for(self, cutoff_ts: int) -> FoldModel:
        if cutoff_ts not in self.cache:
            exits = [t.record.exit_ts for t in self.trades]
            train = self.trades[: bisect.bisect_left(exits, cutoff_ts)]
            self.last_exit[cutoff_ts] = train[-1].record.exit_ts if train else None
            self.cache[cutoff_ts] = self._fit(train, len(self.cache) + 1)
        return self.cache[cutoff_ts]

    def _fit(self, train: list[TrainTrade], version: int) -> FoldModel:
        spec = VARIANTS[self.variant]
        if spec is None:
            cfg = replace(LearnerConfig(), timeframe=self.timeframe)
            return CellFoldModel(fit_model([t.record for t in train], cfg, version))
        ml = fit_ml([t.features for t in train], [t.record.r > 0 for t in train], spec, version)
        return MLFoldModel(ml, self.universe, len(train))


@dataclass
class FoldRouter:
    """The learned run's GateFn: a signal in test fold k asks fold k's model; counts its verdicts."""

    pair: str
    starts: list[int]
    models: list[FoldModel]
    signals: int = 0
    skipped: int = 0
    last_note: str = ""

    def __call__(self, ctx: SignalContext) -> Gate:
        k = bisect.bisect_right(self.starts, ctx.candle.ts) - 1
        if k < 0:
            return Gate()  # training segment: the plain strategy
        verdict = self.models[k].decide(self.pair, ctx)
        self.signals += 1
        self.skipped += 0 if verdict.allow else 1
        self.last_note = verdict.note
        return verdict


@dataclass
class RandomGate:
    """Control: deny each entry from `start_ts` on with probability p, regardless of context."""

    p: float
    start_ts: int
    rng: random.Random

    def __call__(self, ctx: SignalContext) -> Gate:
        if ctx.candle.ts < self.start_ts:
            return Gate()
        return Gate(allow=self.rng.random() >= self.p, note="random control")


@dataclass
class PairRun:
    pair: str
    baseline: BacktestResult
    learned: BacktestResult
    skipped: int
    signals: int
    control_returns: list[float]

    @property
    def control_return(self) -> float:
        return sum(self.control_returns) / len(self.control_returns)

    def contract(self) -> dict[str, object]:
        return {
            "pair": self.pair,
            "baseline": self.baseline.summary(),
            "learned": self.learned.summary(),
            "skipped": self.skipped,
            "signals": self.signals,
            "control_return": self.control_return,
        }


def _ret(r: BacktestResult, key: str = "total_return") -> float:
    v = r.summary()[key]
    return float(v) if isinstance(v, int | float) else 0.0


@dataclass
class PooledResult:
    timeframe: str
    folds: int
    variant: str
    seeds: int
    pairs: list[PairRun]
    seconds: float = 0.0
    trained_until: dict[int, int | None] = field(default_factory=dict)  # fold cutoff -> last exit

    def seed_averages(self) -> list[float]:
        """Per control seed, the average return over the set's pairs."""
        n = len(self.pairs)
        return [sum(p.control_returns[i] for p in self.pairs) / n for i in range(self.seeds)]

    def summary(self) -> dict[str, object]:
        n = len(self.pairs)
        learned = sum(_ret(p.learned) for p in self.pairs) / n
        control = sum(p.control_return for p in self.pairs) / n
        beaten = sum(1 for s in self.seed_averages() if learned > s)
        return {
            "baseline_return": sum(_ret(p.baseline) for p in self.pairs) / n,
            "learned_return": learned,
            "control_return": control,
            "control_seeds": self.seeds,
            "seeds_beaten": beaten,
            "skill": has_skill(learned, control, beaten, self.seeds),
            "baseline_max_drawdown": sum(_ret(p.baseline, "max_drawdown") for p in self.pairs) / n,
            "learned_max_drawdown": sum(_ret(p.learned, "max_drawdown") for p in self.pairs) / n,
        }

    def contract(self) -> dict[str, object]:
        """Exactly the `zyn backtest --data DIR --learn --json` object."""
        return {
            "timeframe": self.timeframe,
            "folds": self.folds,
            "pairs": [p.contract() for p in self.pairs],
            "summary": self.summary(),
        }


def has_skill(learned: float, control_mean: float, beaten: int, seeds: int) -> bool:
    """The protocol's bar: above the control mean and above >= 95 % of the seeds' set averages."""
    return seeds > 0 and learned > control_mean and beaten >= math.ceil(SKILL_SHARE * seeds)


def _train_trades(
    baselines: Mapping[str, BacktestResult], universe: Universe, tf_ms: int
) -> list[TrainTrade]:
    out = [
        TrainTrade(from_closed_trade(t), universe.vector(pair, t.entry_ts - tf_ms))
        for pair, res in baselines.items()
        for t in res.trades
    ]
    return sorted(out, key=lambda t: (t.record.exit_ts, t.record.entry_ts))


def pooled_walk_forward(  # noqa: PLR0913
    data: Mapping[str, tuple[Sequence[Candle], Market]],
    timeframe: str,
    folds: int = 5,
    seeds: int = CONTROL_SEEDS,
    variant: str = DEFAULT_VARIANT,
    *,
    risk: RiskConfig | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> PooledResult:
    """Baseline, learned and random-skip control for every pair, judged on its test folds.

    `progress` is called three times per pair (baseline, learned, control); `workers` > 1 runs
    the control backtests in that many processes."""
    if variant not in VARIANTS:
        raise UserError(f"unknown learner variant {variant!r}; one of {', '.join(VARIANTS)}")
    if not data:
        raise UserError("no pair files to walk forward over")
    if seeds < 1:
        raise UserError("--seeds must be at least 1")
    cfg = risk or RiskConfig()
    tick = progress or (lambda _label: None)
    firsts = {pair: fold_starts(len(c), folds) for pair, (c, _m) in data.items()}
    baselines: dict[str, BacktestResult] = {}
    for pair, (candles, market) in data.items():
        baselines[pair] = Backtester(pair, timeframe, market, cfg).run(candles)
        tick(f"baseline {pair}")
    trades: dict[str, Sequence[ClosedTrade]] = {p: r.trades for p, r in baselines.items()}
    universe = Universe({p: c for p, (c, _m) in data.items()}, trades, timeframe)
    trainer = Trainer(_train_trades(baselines, universe, timeframe_ms(timeframe)), variant, timeframe, universe)
    runs, jobs = [], []
    for pair, (candles, market) in data.items():
        idx = firsts[pair]
        starts = [candles[i].ts for i in idx]
        router = FoldRouter(pair, starts, [trainer.model_for(ts) for ts in starts])
        _prepare(router, pair, candles)
        learned = Backtester(pair, timeframe, market, cfg, gate=router).run(candles)
        base = window(baselines[pair], idx[0], candles, baselines[pair].seconds)
        runs.append(
            PairRun(pair, base, window(learned, idx[0], candles, learned.seconds), router.skipped, router.signals, [])
        )
        if router.skipped == 0:
            runs[-1].control_returns = [_ret(base)] * seeds  # no skips: every control run is the baseline
            tick(f"control {pair} (no skips: the baseline)")
        else:
            rate = router.skipped / router.signals
            jobs += [
                _ControlJob(len(runs) - 1, pair, candles, market, cfg, timeframe, idx[0], rate, seed)
                for seed in range(seeds)
            ]
        tick(f"learned {pair}")
    for job, ret in zip(jobs, _run_controls(jobs, workers), strict=True):
        runs[job.run].control_returns.append(ret)
        if job.seed == seeds - 1:
            tick(f"control {job.pair}")
    return PooledResult(timeframe, folds, variant, seeds, runs, trained_until=trainer.last_exit)


def _prepare(router: FoldRouter, pair: str, candles: Sequence[Candle]) -> None:
    """Batch the feature models' predictions over each test fold's candles."""
    bounds = [*router.starts, candles[-1].ts + 1]
    for k, model in enumerate(router.models):
        if isinstance(model, MLFoldModel):
            model.prepare(pair, [c.ts for c in candles if bounds[k] <= c.ts < bounds[k + 1]])


@dataclass(frozen=True)
class _ControlJob:
    """One random-skip control run: the pair's candles with a seeded RandomGate at rate p."""

    run: int
    pair: str
    candles: Sequence[Candle]
    market: Market
    cfg: RiskConfig
    timeframe: str
    first: int
    p: float
    seed: int

    def __call__(self) -> float:
        rng = random.Random(self.seed)  # noqa: S311 - a control, not crypto
        gate = RandomGate(self.p, self.candles[self.first].ts, rng)
        result = Backtester(self.pair, self.timeframe, self.market, self.cfg, gate=gate).run(self.candles)
        return _ret(window(result, self.first, self.candles, 0.0))


def _call(job: _ControlJob) -> float:
    return job()


def _run_controls(jobs: list[_ControlJob], workers: int) -> Iterator[float]:
    """The control runs are independent and most of the work: spread them over processes."""
    if workers <= 1 or len(jobs) < 2:
        yield from (job() for job in jobs)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_call, jobs, chunksize=max(1, len(jobs) // (8 * workers)))
