"""The kernel's run over one pair's candles as they arrive: each call costs the new candles, not
the whole history, and returns exactly the trades a fresh `KernelBacktester.run` over the same
candles would have closed.

Why: the evidence gate (core/trading/servant.py) needs the plain strategy's closed trades on every
pair at every candle close; re-running the kernel over each pair's whole history cost ~1 ms of
Python per pair per close (issue 20 point 4), so a 1,000-pair tick spent most of its time there.

How it stays exact: the loop is causal except at the last candle it holds, which it decides
without the next candle's open (an entry there cannot become pending). So the kept state is the
run over all candles but the last (`I_END`: the loop stops before it, knowing it exists), and the
last candle is run on a throw-away copy of that state, only when a trade could close in it (a
position open or an entry pending). Everything a fresh run computes for the candles before the
last is computed here from the same state with the same candles, in the same order.
"""

from __future__ import annotations

import copy

import numpy as np

from core.domain import ClosedTrade, Market
from core.kernel import layout as L
from core.kernel.backtest import KernelBacktester, _KernelRun
from core.kernel.flavour import Flavour
from core.kernel.modules import session_mask
from core.market_data.arrays import CandleArrays
from core.strategy.entry_rules import EntryRules
from core.strategy.risk import RiskConfig


class ResumableRun:
    """The kernel run (no gate; the advanced modules of `rules`, if any) of one pair, extended call by call.

    The modules stay exact: mtf reads candle i and earlier ones only, the daily target's state is in
    the loop's state, and the sessions' byte per candle is a function of that candle's time alone,
    so it is extended with the candles (`_hold`). `rules` must be this run's own object.

    Every call must hand the candles of the previous call (the same values) plus any newer ones;
    a caller that cannot promise that starts a new `ResumableRun` (core/evidence/plain_record.py
    checks it). Each call runs interpreted or compiled by its own work (`flavour` None: the first
    call over a long history may be compiled, the one-candle extensions are interpreted unless the
    compiled flavour is loaded already; core/kernel/flavour.py); the results are the same.
    """

    def __init__(self, pair: str, timeframe: str, market: Market, cfg: RiskConfig, start_equity: float,  # noqa: PLR0913
                 rules: EntryRules | None = None, flavour: Flavour | None = None) -> None:
        self._bt = KernelBacktester(pair, timeframe, market, cfg, start_equity, rules=rules, flavour=flavour)
        self._run: _KernelRun | None = None
        self._sent = 0  # trades already returned (the kept state's first ones, then the copy's)

    def closed(self, arrays: CandleArrays) -> list[ClosedTrade]:
        """The trades closed on `arrays` that no earlier call returned, oldest first."""
        n = len(arrays)
        if n == 0:
            return []
        run = self._run
        if run is None:
            run = self._run = _KernelRun(self._bt, arrays)
        _hold(run, arrays)
        if int(run.st[L.I_POS]) < n - 1:  # everything but the last candle, its successor now known
            run.st[L.I_END] = n - 1
            run.loop()
        last = run
        if run.st[L.I_HASPOS] == 1 or run.st[L.I_PENDING] == 1:  # a trade may close inside the last candle
            last = _copy(run)
            last.st[L.I_END] = 0
            last.loop()
        ntr = int(last.st[L.I_NTR])
        if ntr <= self._sent:
            return []
        new = last.closed_trades(self._sent, ntr)
        self._sent = ntr
        return new


def _hold(run: _KernelRun, arrays: CandleArrays) -> None:
    """Point the run at the longer arrays; the per-candle outputs grow by doubling (the loop writes
    them through raw pointers, so they must be at least as long as the candles)."""
    run.a = arrays
    n = len(arrays)
    flags, rules = run.modules, run.bt.rules
    held = len(flags.sessions)
    if held and held < n and rules is not None:  # the sessions' byte of each new candle (empty: always open)
        more = session_mask(rules.sessions, arrays.ts[held:] + flags.tf_ms)
        flags.sessions = np.concatenate((flags.sessions, more))
    if len(run.equity) < n:
        cap = max(n, 2 * len(run.equity))
        equity, codes = np.empty(cap, np.float64), np.zeros(cap, np.int8)
        equity[: len(run.equity)], codes[: len(run.codes)] = run.equity, run.codes
        run.equity, run.codes = equity, codes
    if int(run.st[L.I_NTR]) + 2 > run.ti.shape[0]:  # room for the last candle's copy (at most 2 exits)
        run.ti = np.concatenate((run.ti, np.zeros_like(run.ti)))
        run.tf = np.concatenate((run.tf, np.zeros_like(run.tf)))


def _copy(run: _KernelRun) -> _KernelRun:
    """A copy whose steps leave `run` as it was: its own state arrays, Decimal ledger and exact
    figures; the trade buffer and per-candle outputs are shared, as the copy writes only rows and
    candles that `run` has not reached yet (it re-writes them itself when it gets there)."""
    out = copy.copy(run)
    out.st, out.fs, out.ring = run.st.copy(), run.fs.copy(), run.ring.copy()
    out.ledger = copy.copy(run.ledger)
    out.gates, out.exact_equity, out.exact_pnl = dict(run.gates), dict(run.exact_equity), dict(run.exact_pnl)
    return out
