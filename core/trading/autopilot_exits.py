"""The autopilot's exit side: the cool-off every exit feeds, shadow exits, the kill-switch's feed.

Split from `core/trading/autopilot.py` (house rule: one job per module). `Autopilot` (its
subclass there) decides and enters at each close; this base keeps what follows an exit or stops
entries: `_on_exit` feeds every closed autopilot trade to the pair's strategy (the cool-off),
`_walk_shadow` does the same for a shadow position's exit, `_feed_guard` gives the close's
equity to the daily kill-switch (or notes an account with nothing in it, `cannot_trade`), and
`trip_detail` says why the kill-switch tripped. The pair's run (its strategy, restored from the
persisted state) and market are here because the exits feed them. The attributes are set by
`Autopilot.__init__` (the one constructor); they are declared here so this side type-checks.
Locking is unchanged: nothing here takes a lock; the callers (the tick's decision under the
trading lock, the bus when a position closes, the status reading `cannot_trade`) are the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from loguru import logger

from core.domain import Candle, Market, ZynError
from core.markets.timeframes import bucket_start
from core.strategy.daily_loss import DailyLossGuard, money
from core.strategy.pinned import Decision
from core.strategy.port import PairSignal, Strategy
from core.trading.door import TradingDoor
from core.trading.events import DailyLoss, PositionClosed
from core.trading.shadow import ShadowBook


@dataclass
class PairRun:
    strategy: PairSignal
    last_ts: int | None  # last candle decided (persisted)
    warmed_to: int | None = None  # last candle the indicators have seen in this process


class AutopilotExits:
    """The exit and cool-off side of `Autopilot` (its base class); see the module docstring."""

    service: TradingDoor
    strategy: Strategy
    pairs: tuple[str, ...]
    shadow: ShadowBook | None
    _zero_equity_told: set[str]
    _tf_ms: int
    _runs: dict[str, PairRun]

    @property
    def cannot_trade(self) -> str | None:
        """Why the autopilot cannot trade at all right now (status): an account with no money."""
        if not self._zero_equity_told:
            return None
        quotes = sorted({self._market(p).quote for p in self._zero_equity_told})
        return f"the account holds no {', '.join(quotes)} (equity 0): fund it in the pairs' quote currency"

    def _in_shadow(self, pair: str) -> bool:
        return self.shadow is not None and self.shadow.holds(pair)

    def _walk_shadow(self, run: PairRun, pair: str, history: Sequence[Candle]) -> None:
        """Follow the pair's shadow position through every candle since the last decision (one in
        normal running; all those missed while Zyn was down); its exit feeds the cool-off as a
        real exit does (the plain strategy would have taken that loss)."""
        if self.shadow is None or not self.shadow.holds(pair):
            return
        start = len(history) - 1
        while start > 0 and run.last_ts is not None and history[start - 1].ts > run.last_ts:
            start -= 1
        for candle in history[start:]:
            done = self.shadow.walk(pair, candle)
            if done is not None:
                run.strategy.record_exit(done.pnl, bucket_start(done.closed_ms, self._tf_ms))
                return

    def _feed_guard(self, pair: str, ts: int, equity: Decimal) -> bool:
        """The kill-switch sees the close's equity, except on an account with nothing in it: a
        zero-equity account cannot lose a day's 3 %, it cannot trade at all — say what is wrong
        (once per pair and process) instead of tripping every day."""
        if equity > 0 or self.service.has_position(pair):
            self._zero_equity_told.discard(pair)
            return self.service.mark_close(ts, equity)
        if pair not in self._zero_equity_told:
            self._zero_equity_told.add(pair)
            quote = self._market(pair).quote
            detail = (
                f"{pair}: the account holds no {quote} (equity 0): nothing to trade; fund it in {quote} "
                f"(paper: PAPER_BALANCE is paid in the pairs' quote currency)"
            )
            self.service.note_safety("zero_equity", detail)
        return False

    # ------------------------------------------------------------------ state
    def _run(self, pair: str) -> PairRun:
        run = self._runs.get(pair)
        if run is None:
            signal = self.strategy.for_pair(pair, self._market(pair), self.service.cfg)
            saved, last_ts = self.service.pair_state(pair)
            if saved is not None:
                signal.restore(saved)
            run = self._runs[pair] = PairRun(signal, last_ts)
        return run

    def _market(self, pair: str) -> Market:
        markets: Mapping[str, Market] = self.service.markets
        if pair not in markets:
            raise ZynError(f"unknown pair {pair}")
        return markets[pair]

    def _on_exit(self, done: PositionClosed) -> None:
        """Feed the closed trade back to the pair's strategy (cool-off), in trading-timeframe candles.
        A manual position's exit is the owner's, not the strategy's: it starts no cool-off."""
        if done.pair not in self.pairs or done.origin != "autopilot":
            return
        run = self._run(done.pair)
        started = run.strategy.record_exit(float(done.pnl), bucket_start(done.exit_ms, self._tf_ms))
        self.service.save_pair_state(done.pair, run.strategy.persisted(), run.last_ts)
        if started:
            logger.bind(pair=done.pair, action="cooloff").info(
                "cool-off started after trade {}", done.trade_id
            )



def trip_detail(guard: DailyLossGuard, d: Decision) -> DailyLoss:
    """Why the kill-switch tripped, quoting the limit in force (the owner's `set daily loss`)."""
    start = guard.start_equity or Decimal(0)
    equity = guard.last_equity if guard.last_equity is not None else money(d.equity or 0.0)
    return DailyLoss(equity, start, Decimal(str(guard.limit)), d.ts)
