"""The evidence gate as the live autopilot consumes it: live or shadow per pair, at each candle close.

The gate itself (`core/evidence/`) only judges a record of trades. This module feeds it the live
way: at the close of a trading-timeframe candle (`at_ms`, before that candle's decision) it
computes the plain strategy's own trades on each configured pair's candles closed by then — the
candles Zyn holds, never later ones (in a replay: only those before the replay clock) — adds the
ones closed since the last call, and evaluates every pair once for that moment. The same rule,
fed the same candles, is what `zyn backtest --servant` walks forward; the parity test holds the
two to the same live/shadow states candle by candle.

The pairs forced live by the owner (`trade BTC anyway`, a standing rule) come from a callback so
a new rule counts from the next candle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from loguru import logger

from core.domain import Candle


class PairEvidenceView(Protocol):
    """What Zyn shows and decides from (core.evidence.PairEvidence satisfies it)."""

    @property
    def pair(self) -> str: ...
    @property
    def state(self) -> str: ...  # "live" | "shadow"
    @property
    def trades(self) -> int: ...
    @property
    def months(self) -> float: ...
    @property
    def expectancy_r(self) -> float | None: ...
    @property
    def interval_low(self) -> float | None: ...
    @property
    def interval_high(self) -> float | None: ...
    @property
    def pooled_r(self) -> float | None: ...
    @property
    def forced(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...


class TradeView(Protocol):
    @property
    def entered_ms(self) -> int: ...
    @property
    def closed_ms(self) -> int: ...


class GateView(Protocol):
    """core.evidence.EvidenceGate, as far as the live side needs it."""

    def add(self, trade: Any) -> None: ...

    def evaluate(
        self, pairs: Sequence[str], at_ms: int, forced: frozenset[str] = ...
    ) -> Mapping[str, PairEvidenceView]: ...


CandlesOf = Callable[[str, int], Sequence[Candle]]  # (pair, at_ms) -> candles closed by at_ms
TradesOf = Callable[[str, Sequence[Candle]], Sequence[Any]]  # the plain strategy's trades on them


class LiveEvidence:
    """Live/shadow per pair for the autopilot, evaluated once per candle close for every pair."""

    def __init__(
        self,
        gate: GateView,
        pairs: Sequence[str],
        candles_of: CandlesOf,
        trades_of: TradesOf,
        forced: Callable[[], frozenset[str]] = frozenset,
    ) -> None:
        self.gate, self.pairs = gate, tuple(pairs)
        self._candles_of, self._trades_of, self._forced = candles_of, trades_of, forced
        self._added: dict[str, set[tuple[int, int]]] = {}
        self._at: int | None = None
        self._verdicts: Mapping[str, PairEvidenceView] = {}
        self._seen: dict[str, int] = {}  # per pair: close time of the last candle its trades came from

    def verdict(self, pair: str, at_ms: int) -> PairEvidenceView:
        """The gate's state for `pair` at the close `at_ms` (computed once per close for all pairs)."""
        if self._at != at_ms or pair not in self._verdicts:
            self._refresh(at_ms, pair)
        return self._verdicts[pair]

    def latest(self) -> Mapping[str, PairEvidenceView]:
        """The verdicts of the last close evaluated (status, chat)."""
        return dict(self._verdicts)

    def _refresh(self, at_ms: int, extra: str) -> None:
        pairs = tuple(dict.fromkeys([*self.pairs, extra]))
        for pair in pairs:
            self._extend(pair, at_ms)
        self._verdicts = self.gate.evaluate(pairs, at_ms, self._forced())
        self._at = at_ms

    def _extend(self, pair: str, at_ms: int) -> None:
        candles = self._candles_of(pair, at_ms)
        if not candles or self._seen.get(pair) == candles[-1].ts:
            return
        self._seen[pair] = candles[-1].ts
        added = self._added.setdefault(pair, set())
        fresh = 0
        for trade in self._trades_of(pair, candles):
            key = (trade.entered_ms, trade.closed_ms)
            if trade.closed_ms <= at_ms and key not in added:
                added.add(key)
                self.gate.add(trade)
                fresh += 1
        if fresh:
            logger.bind(pair=pair, action="evidence", trades=len(added)).info("{} new trade(s) in the evidence", fresh)


def evidence_text(ev: PairEvidenceView) -> str:
    """One line per pair, the same in status, the dashboard and chat:
    `BTC/USD: shadow — 41 trades over 14 months, expectancy -0.12R (90 % interval -0.31 to +0.06), pooled -0.09R`."""
    head = f"{ev.pair}: {ev.state}" + (" (forced by your rule)" if ev.forced else "")
    if ev.trades == 0 or ev.expectancy_r is None:
        return f"{head} — no trades in its record yet"
    months = f"{ev.months:.0f} month{'s' if round(ev.months) != 1 else ''}"
    trades = f"{ev.trades} trade{'s' if ev.trades != 1 else ''}"
    line = f"{head} — {trades} over {months}, expectancy {ev.expectancy_r:+.2f}R"
    if ev.interval_low is not None and ev.interval_high is not None:
        line += f" (90 % interval {ev.interval_low:+.2f} to {ev.interval_high:+.2f})"
    if ev.pooled_r is not None:
        line += f", pooled {ev.pooled_r:+.2f}R"
    return line
