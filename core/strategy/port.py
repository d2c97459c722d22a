"""The Strategy port: what the autopilot and the backtest need from a trading strategy, and nothing more.

Why a port: the live autopilot, the fast backtest (and later a compiled kernel or a learner)
must drive the SAME strategy code, or the replay parity test means nothing; and a second
strategy must be one new module plus one line in `core/kernel/strategies.py::STRATEGIES`, not
edits across the core (the registry lives beside the kernel because it names the kernel's strategy;
the port names no implementation, so nothing here imports the kernel).

The contract, per pair (`PairSignal`, one instance per pair, owning its indicator state):
- `warm(candle, missed)` sees a closed candle without deciding (warm-up after a restart;
  `missed=True` for candles that closed while the process was down, so time-based state such as
  a cool-off counts them).
- `decide(candle, CloseContext(equity, flat, halted, next_open, gate)) -> Decision` at the close:
  `enter` carries the amount (already sized to the exchange's minimums, the stop included) and
  the bracket as Decimal distances from the fill (`stop_distance`, `target_distance`), so the
  stop sent to the exchange is computed from the actual fill price without floats.
- `record_exit(pnl, exit_candle_ts) -> bool` feeds a closed trade back (True: a pause started).
- `persisted()` / `restore(data)` round-trip the state that must survive a restart (JSON-able);
  indicator state is NOT persisted: it is rebuilt from candles by `warm`.

The account-wide daily-loss guard and the exits (stop on the exchange, target watched by the
bot) stay outside: they are risk rules of the account, not of a strategy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from core.domain import Candle, Market
from core.strategy.pinned import CloseContext, Decision
from core.strategy.pinned import Gate as Gate  # the port's value types, re-exported: a learner imports them
from core.strategy.pinned import GateFn as GateFn  # from here and never sees a concrete strategy
from core.strategy.pinned import SignalContext as SignalContext
from core.strategy.risk import RiskConfig


class PairSignal(Protocol):
    def warm(self, candle: Candle, *, missed: bool = False) -> None: ...

    def decide(self, candle: Candle, ctx: CloseContext) -> Decision: ...

    def record_exit(self, pnl: float, exit_candle_ts: int) -> bool: ...

    def apply_risk(self, cfg: RiskConfig) -> None: ...

    def persisted(self) -> dict[str, Any]: ...

    def restore(self, data: Mapping[str, Any]) -> None: ...


class Strategy(Protocol):
    """A named strategy; `for_pair` builds one pair's fresh signal state."""

    name: str

    def for_pair(self, pair: str, market: Market, cfg: RiskConfig) -> PairSignal: ...


class KernelStrategy(Strategy, Protocol):
    """A strategy with a compiled whole-array backtest (the pinned one): `zyn backtest` runs it;
    a strategy without one falls back to the reference `core.research.backtest.Backtester`."""

    def backtester(self, pair: str, timeframe: str, market: Market, cfg: RiskConfig, *,
                   rules: Any = None, gate: Any = None) -> Any: ...


def kernel_of(strategy: Strategy) -> KernelStrategy | None:
    return strategy if callable(getattr(strategy, "backtester", None)) else None  # type: ignore[return-value]
