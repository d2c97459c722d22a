"""The `--servant` walk-forward: the default servant over a folder of pairs in one shared account.

What it runs (issue 17 point 4): each pair's plain-strategy trades (kernel, through the Strategy
port, one job per pair handed to a `TaskMap` as `--learn` does); the evidence gate walked over
them at every candle close (`core.evidence.walk`), so a signal is live only if the gate said
live at its candle's close using trades closed by then; the shared account (`core.evidence.account`)
with the account-wide risk cap. Baseline = the same account with the gate off (every signal
live, ZYN_EVIDENCE=off); control = per seed, a random live/shadow gate with the same number of
live signals per pair. The learner is not in it: its switch is judged on the frozen model, which
is not the live learner, so the switch cannot be on (core.learning.switch.verdict).
Default modules: none acts on entries (ZYN_FEATURES defaults to watchdog only).
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.domain import ClosedTrade, Market, UserError
from core.evidence.account import AccountRun, PairTape, simulate, union_times
from core.evidence.deflated import deflated_sharpe
from core.evidence.plain import as_evidence
from core.evidence.rule import DEFAULT_RULE, GateRule
from core.evidence.skill import has_skill, seeds_beaten
from core.evidence.walk import GateWalk, walk_gate
from core.market_data.arrays import CandleArrays
from core.markets.timeframes import timeframe_ms
from core.research.pair_backtest import PairBacktest
from core.research.task_map import TaskMap, serial_map
from core.strategy.account_risk import AccountRiskConfig
from core.strategy.risk import RiskConfig

Progress = Callable[[str], None]
CONTROL_SEEDS = 20


@dataclass(frozen=True)
class PlainJob:
    """One pair's plain run (a job: picklable, independent)."""

    pair: str
    timeframe: str
    market: Market
    arrays: CandleArrays
    backtest: PairBacktest


def run_plain(job: PlainJob) -> list[ClosedTrade]:
    return list(job.backtest.run(job.pair, job.timeframe, job.market, job.arrays).trades)


@dataclass
class ServantResult:
    timeframe: str
    rule: GateRule
    tapes: list[PairTape]
    walk: GateWalk
    live: dict[str, list[bool]]
    servant: AccountRun
    baseline: AccountRun
    controls: list[AccountRun]
    variants_tried: int
    seconds: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)

    def shadow_signals(self) -> int:
        return sum(flags.count(False) for flags in self.live.values())

    def summary(self) -> dict[str, object]:
        controls = [c.total_return for c in self.controls]
        servant = self.servant.total_return
        return {
            "baseline_return": self.baseline.total_return,
            "servant_return": servant,
            "control_return": math.fsum(controls) / len(controls),
            "control_seeds": len(controls),
            "seeds_beaten": seeds_beaten(servant, controls),
            "skill": has_skill(servant, controls, self.shadow_signals()),
            "live_trades": sum(self.servant.taken.values()),
            "shadow_trades": self.shadow_signals(),
            "baseline_max_drawdown": self.baseline.max_drawdown,
            "servant_max_drawdown": self.servant.max_drawdown,
            "deflated_sharpe": deflated_sharpe(self.servant.daily_returns(), self.variants_tried),
            "variants_tried": self.variants_tried,
        }

    def pair_row(self, tape: PairTape) -> dict[str, object]:
        p = tape.pair
        start = self.servant.start_equity
        return {
            "pair": p,
            "states": [{"at": _iso(at), "state": s} for at, s in self.walk.transitions[p]],
            "signals": len(tape.trades),
            "live_signals": self.live[p].count(True),
            "live_trades": self.servant.taken[p],
            "shadow_trades": self.live[p].count(False),
            "refused": self.servant.refused[p],
            "return_contribution": self.servant.pnl[p] / start,
            "baseline_contribution": self.baseline.pnl[p] / start,
        }

    def contract(self) -> dict[str, object]:
        """Exactly the `zyn backtest --data DIR --servant --json` object."""
        return {"timeframe": self.timeframe, "pairs": [self.pair_row(t) for t in self.tapes],
                "summary": self.summary()}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signal_close(tape: PairTape, trade: ClosedTrade, tf_ms: int) -> int:
    """When the entry was decided: the close of the candle before the entry candle (a gap in the
    candles makes it earlier than the entry candle's open)."""
    i = bisect.bisect_left(tape.ts, trade.entry_ts)
    return tape.ts[i - 1] + tf_ms if i > 0 else trade.entry_ts


def control_flags(live: Mapping[str, Sequence[bool]], seed: int) -> dict[str, list[bool]]:
    """A random live/shadow gate with the same number of live signals per pair (one per seed)."""
    rng = random.Random(seed)  # noqa: S311 - a control, not crypto
    out: dict[str, list[bool]] = {}
    for pair in sorted(live):
        flags = live[pair]
        chosen = set(rng.sample(range(len(flags)), flags.count(True)))
        out[pair] = [j in chosen for j in range(len(flags))]
    return out


def servant_walk_forward(  # noqa: PLR0913
    data: Mapping[str, tuple[CandleArrays, Market]],
    timeframe: str,
    seeds: int = CONTROL_SEEDS,
    *,
    rule: GateRule = DEFAULT_RULE,
    variants_tried: int = 1,
    risk: RiskConfig | None = None,
    account: AccountRiskConfig | None = None,
    progress: Progress | None = None,
    tasks: TaskMap = serial_map,
    backtest: PairBacktest | None = None,
) -> ServantResult:
    """Plain vs servant vs random gates over `data` (pair -> candle arrays, market), one account."""
    if not data:
        raise UserError("no pair files to walk forward over")
    if seeds < 1:
        raise UserError("--seeds must be at least 1")
    cfg = risk or RiskConfig()
    bt = backtest or PairBacktest(cfg=cfg)
    acct = account or AccountRiskConfig()
    tick = progress or (lambda _label: None)
    pairs = sorted(data)
    jobs = [PlainJob(p, timeframe, data[p][1], data[p][0], bt) for p in pairs]
    tapes = [PairTape.of(p, data[p][1], data[p][0], trades)
             for p, trades in zip(pairs, tasks(run_plain, jobs), strict=True)]
    tick("plain trades")
    tf_ms = timeframe_ms(timeframe)
    clock = union_times(tapes)
    evidence = [e for tape in tapes for e in as_evidence(tape.trades, timeframe)]
    walk = walk_gate(pairs, evidence, [t + tf_ms for t in clock], rule)
    live = {t.pair: [walk.state_at(t.pair, signal_close(t, tr, tf_ms)) == "live" for tr in t.trades] for t in tapes}
    tick("evidence gate")
    servant = simulate(tapes, live, tf_ms, cfg, acct, times=clock)
    baseline = simulate(tapes, {t.pair: [True] * len(t.trades) for t in tapes}, tf_ms, cfg, acct, times=clock)
    tick("servant and baseline")
    controls = []
    for seed in range(seeds):
        controls.append(simulate(tapes, control_flags(live, seed), tf_ms, cfg, acct, times=clock))
        tick(f"control seed {seed}")
    return ServantResult(timeframe, rule, tapes, walk, live, servant, baseline, controls, variants_tried)
