"""The pooled walk-forward's per-pair jobs: plain picklable values in, plain results out.

Why its own module: each pair's baseline run, learned run and random-skip control runs are
independent once the fold models exist, so `core.learning.pooled_walk_forward` hands them to a `TaskMap`
(this process, or Dask workers — bot/wiring/dask_map.py). A job carries the pair's candle columns, the
strategy/engine (`PairBacktest`, from the Strategy port) and, for the learned run, fold models
reduced to what a worker needs: the ML models' P(win) for each of this pair's test candles,
computed in the main process in the same batches as before, so a verdict is the same wherever
the job runs.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field, replace
from typing import Protocol

from core.domain import Market
from core.learning.learner_ml import MLModel
from core.learning.learner_model import LearnerModel
from core.market_data.arrays import CandleArrays
from core.research.backtest import BacktestResult
from core.research.pair_backtest import PairBacktest
from core.strategy.port import Gate, SignalContext


class FoldModel(Protocol):
    def decide(self, pair: str, ctx: SignalContext) -> Gate: ...


@dataclass
class CellFoldModel:
    model: LearnerModel

    def decide(self, pair: str, ctx: SignalContext) -> Gate:
        return self.model.gate_signal(ctx)


@dataclass
class PreparedFold:
    """An ML fold model for one pair: its verdict from the P(win) computed for each test candle."""

    model: MLModel | None  # the estimator is dropped: only the threshold and its notes are needed
    trained_on: int
    probs: dict[int, float] = field(default_factory=dict)  # candle ts -> P(win)

    @classmethod
    def of(cls, model: MLModel | None, trained_on: int, probs: dict[int, float]) -> PreparedFold:
        return cls(replace(model, estimator=None) if model is not None else None, trained_on, probs)

    def decide(self, pair: str, ctx: SignalContext) -> Gate:
        if self.model is None:
            return Gate(True, 1.0, None, f"abstain: {self.trained_on} training trades")
        return self.model.gate((), self.probs[ctx.candle.ts])


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


@dataclass(frozen=True)
class PairInput:
    """One pair of the universe as a job needs it; `first` = index of its first test candle."""

    pair: str
    timeframe: str
    market: Market
    arrays: CandleArrays
    first: int
    backtest: PairBacktest


def run_baseline(job: PairInput) -> BacktestResult:
    """The plain strategy over all of the pair's candles (its trades are the training trades)."""
    return job.backtest.run(job.pair, job.timeframe, job.market, job.arrays)


@dataclass(frozen=True)
class LearnedJob:
    data: PairInput
    starts: list[int]  # first candle ts of each test fold
    models: list[FoldModel]


@dataclass(frozen=True)
class LearnedOutcome:
    result: BacktestResult  # the whole run; the caller cuts the test window
    skipped: int
    signals: int


def run_learned(job: LearnedJob) -> LearnedOutcome:
    d = job.data
    router = FoldRouter(d.pair, job.starts, job.models)
    result = d.backtest.run(d.pair, d.timeframe, d.market, d.arrays, gate=router)
    return LearnedOutcome(result, router.skipped, router.signals)


@dataclass(frozen=True)
class ControlJob:
    """The pair's random-skip control: one run per seed 0..seeds-1 at the learner's skip rate p."""

    data: PairInput
    p: float
    seeds: int


def run_controls(job: ControlJob) -> list[float]:
    """Each seed's test-window return (a control, not crypto: seeded `random.Random`)."""
    d = job.data
    start_ts = int(d.arrays.ts[d.first])
    out = []
    for seed in range(job.seeds):
        gate = RandomGate(job.p, start_ts, random.Random(seed))  # noqa: S311
        result = d.backtest.run(d.pair, d.timeframe, d.market, d.arrays, gate=gate)
        out.append(window_return(result.equity_curve, d.first))
    return out


def window_return(curve: list[float], first: int) -> float:
    """total_return of the run cut at candle `first` (core.learning.walk_forward.window, then summary()):
    the same float operations, without building the other figures."""
    start = curve[first - 1]
    final = curve[-1] if len(curve) > first else start
    return final / start - 1.0
