"""Shadow positions: the entries the autopilot would have made on a pair the evidence keeps in shadow.

Why: with the evidence gate on, a pair trades live only when its own record says the strategy
pays. Elsewhere the autopilot still decides every candle, and when the strategy would enter it
records a `shadow` decision with the same size, stop and target, sends no order, and follows the
would-be position here until its bracket would have closed it. Holding it keeps the strategy
"in position" (no second signal while the plain strategy would be holding), its exit feeds the
cool-off like a real one, and its outcome is the shadow record the owner sees beside the live one.

The bracket is walked as the paper engine walks a candle (open -> low -> high -> close; the stop
first): exit at min(open, stop) or at max(open, target). The fill is the open of the candle after
the decision. Fees are the pinned strategy's rate on both legs. State is kept in the kv table so
a restart resumes the position.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from loguru import logger

from core.domain import Candle
from core.telemetry.kv import KeyValueStore

SHADOW_PREFIX = "servant:shadow:"
RECORD_KEY = "servant:shadow_trades"
RECORD_KEEP = 500  # the most recent shadow trades kept for reports


@dataclass(frozen=True)
class ShadowPosition:
    pair: str
    decided_ts: int  # open time of the decision candle
    amount: str  # Decimal as text (JSON-safe)
    stop_distance: str
    target_distance: str | None
    entry_price: float | None = None  # the next candle's open, once seen
    entered_ms: int | None = None

    def levels(self, entry: float) -> tuple[float, float | None]:
        stop = entry - float(Decimal(self.stop_distance))
        target = entry + float(Decimal(self.target_distance)) if self.target_distance else None
        return stop, target


@dataclass(frozen=True)
class ShadowTrade:
    """A closed shadow position: what the trade would have made (quote, after fees) and in R."""

    pair: str
    entered_ms: int
    closed_ms: int
    entry: float
    exit: float
    amount: float
    pnl: float
    r: float
    reason: str  # stop | target


class ShadowBook:
    def __init__(self, kv: KeyValueStore, fee_rate: float = 0.0026) -> None:
        self.kv, self.fee_rate = kv, fee_rate
        self._open: dict[str, ShadowPosition] = {}
        for key in kv.keys(SHADOW_PREFIX):
            raw = kv.get_json(key)
            if isinstance(raw, dict):
                pos = ShadowPosition(**raw)
                self._open[pos.pair] = pos

    def holds(self, pair: str) -> bool:
        return pair in self._open

    def open(self, pair: str, decided_ts: int, amount: Decimal, stop_distance: Decimal,
             target_distance: Decimal | None) -> None:
        pos = ShadowPosition(pair, decided_ts, str(amount), str(stop_distance),
                             str(target_distance) if target_distance is not None else None)
        self._save(pos)

    def walk(self, pair: str, candle: Candle) -> ShadowTrade | None:
        """Follow the pair's shadow position through a closed candle after its decision; the
        closed trade when its stop or target would have been hit in it."""
        pos = self._open.get(pair)
        if pos is None or candle.ts <= pos.decided_ts:
            return None
        entry, entered = pos.entry_price, pos.entered_ms
        if entry is None or entered is None:
            entry, entered = candle.open, candle.ts
            pos = ShadowPosition(**{**asdict(pos), "entry_price": entry, "entered_ms": entered})
            self._save(pos)
        hit = _exit_in(candle, *pos.levels(entry))
        if hit is None:
            return None
        price, reason = hit
        return self._close(pos, entry, entered, price, reason, candle.ts)

    def records(self) -> list[ShadowTrade]:
        raw = self.kv.get_json(RECORD_KEY, [])
        return [ShadowTrade(**r) for r in raw if isinstance(r, dict)] if isinstance(raw, list) else []

    def _close(  # noqa: PLR0913
        self, pos: ShadowPosition, entry: float, entered: int, price: float, reason: str, ts: int
    ) -> ShadowTrade:
        amount = float(Decimal(pos.amount))
        fees = self.fee_rate * amount * (entry + price)
        pnl = amount * (price - entry) - fees
        risk = amount * float(Decimal(pos.stop_distance))
        trade = ShadowTrade(pos.pair, entered, ts, entry, price, amount, pnl,
                            pnl / risk if risk > 0 else 0.0, reason)
        records = [asdict(t) for t in self.records()][-(RECORD_KEEP - 1):]
        self.kv.set_json(RECORD_KEY, [*records, asdict(trade)])
        self.kv.delete(SHADOW_PREFIX + pos.pair)
        del self._open[pos.pair]
        logger.bind(pair=pos.pair, action="shadow_exit", reason=reason, r=round(trade.r, 3)).info(
            "shadow trade closed at {} ({}): {:+.2f}", price, reason, pnl
        )
        return trade

    def _save(self, pos: ShadowPosition) -> None:
        self._open[pos.pair] = pos
        self.kv.set_json(SHADOW_PREFIX + pos.pair, asdict(pos))


def _exit_in(candle: Candle, stop: float, target: float | None) -> tuple[float, str] | None:
    """Where a long bracket exits in this candle (stop before target, gaps fill at the open)."""
    if candle.open <= stop:
        return candle.open, "stop"
    if target is not None and candle.open >= target:
        return candle.open, "target"
    if candle.low <= stop:
        return stop, "stop"
    if target is not None and candle.high >= target:
        return target, "target"
    return None
