"""Realized P&L from the exchange's own trade history, matched first-in first-out.

Why from fills: the exchange's executions are the only record that cannot disagree with the
balances (our telemetry rows may miss a fill that happened while the bot was down). Why FIFO:
it is the matching Kraken's own cost-basis reports and most tax rules use, and it is
deterministic, so the status page, the chat and an outside check all get the same number.

Rules (all maths in Decimal, floats only in the returned report):
- Fills are processed in time order (a buy before a sell at the same millisecond).
- A buy opens a lot; its cost = amount x price + fee (fees are in the quote currency), so a buy
  fee is charged to the units it bought, pro rata when a lot is consumed in parts.
- A sell consumes the oldest lots first. Realized P&L of the matched part of a sell =
  proceeds - the sell fee (pro rata to the matched part) - cost of the consumed lots.
- A sell (or the part of one) with no open lot to consume — e.g. coins that were on the account
  before the bot's history starts — has an UNKNOWN cost basis. It is not counted at zero cost
  (that would report the whole proceeds as profit); it is excluded from P&L and round-trip
  counts and reported in `unmatched_sells` so the gap is visible rather than hidden.
- A round trip ("trade") is one sell order that closed lots (its fills grouped by order id);
  it is a win when its realized P&L > 0, otherwise a loss.
- Period windows are by the sell fill's timestamp, in UTC: `today` from 00:00 of the clock's
  UTC day, `week` from Monday 00:00 UTC of its ISO week, `all_time` everything. (The status
  shows `today` as equity now - equity at 00:00 UTC instead, the kill-switch's figure: issue 22.2.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from core.domain import Fill

Period = Literal["today", "week", "all_time"]
PERIODS: tuple[Period, ...] = ("today", "week", "all_time")
ZERO = Decimal("0")


@dataclass
class _Lot:
    amount: Decimal  # remaining units
    cost: Decimal  # remaining cost incl. the buy fee, in quote
    price: Decimal  # fill price (no fee), for the average entry price
    ts_ms: int  # when it was bought


@dataclass(frozen=True)
class Realization:
    """The matched part of one sell fill."""

    fill_id: str
    order_id: str
    pair: str
    ts_ms: int
    amount: Decimal
    proceeds: Decimal  # amount x price
    fee: Decimal  # sell fee on the matched part
    cost: Decimal  # cost of the consumed lots incl. their buy fees
    entry_value: Decimal  # consumed units x their buy prices (no fees)
    buy_fees: Decimal
    first_entry_ms: int

    @property
    def pnl(self) -> Decimal:
        return self.proceeds - self.fee - self.cost


@dataclass(frozen=True)
class RoundTrip:
    """One closing sell order with what it realized (floats: this goes to people and JSON)."""

    pair: str
    order_id: str
    entry_ms: int  # first buy consumed
    exit_ms: int  # last sell fill
    amount: float
    entry_price: float  # average buy price of the consumed units (no fees)
    exit_price: float  # average sell price of the matched units
    fees: float  # buy fees of the consumed units + sell fees
    pnl: float

    def to_dict(self) -> dict[str, object]:
        return {
            "pair": self.pair, "order_id": self.order_id, "entry_ms": self.entry_ms,
            "exit_ms": self.exit_ms, "amount": self.amount, "entry_price": self.entry_price,
            "exit_price": self.exit_price, "fees": self.fees, "pnl": self.pnl,
            "win": self.pnl > 0,
        }


@dataclass(frozen=True)
class OpenLots:
    """What is still held per the fills: amount, average fill price and cost incl. buy fees."""

    amount: float
    entry_price: float
    cost: float


@dataclass(frozen=True)
class UnmatchedSell:
    fill_id: str
    pair: str
    ts_ms: int
    amount: float  # the part of the sell with no lot behind it


@dataclass
class FifoResult:
    realizations: list[Realization] = field(default_factory=list)
    open_lots: dict[str, list[_Lot]] = field(default_factory=dict)
    unmatched: list[UnmatchedSell] = field(default_factory=list)


@dataclass(frozen=True)
class PnlReport:
    """Everything the status service shows about realized P&L; plain floats/ints."""

    pnl: dict[str, float]  # today, week, all_time
    by_pair: dict[str, float]  # all-time realized per pair
    trades: dict[str, float | int | None]  # count, wins, losses, win_rate
    round_trips: list[RoundTrip]  # oldest first
    open_lots: dict[str, OpenLots]
    unmatched_sells: list[UnmatchedSell]


def _ordered(fills: Iterable[Fill]) -> list[Fill]:
    """Time order; a buy before a sell in the same millisecond (the sell may close that buy)."""
    return sorted(fills, key=lambda f: (f.ts_ms, 0 if f.side == "buy" else 1))


def match_fifo(fills: Iterable[Fill]) -> FifoResult:
    """Run every fill through per-pair FIFO lot queues."""
    queues: dict[str, deque[_Lot]] = {}
    out = FifoResult()
    for f in _ordered(fills):
        if f.amount <= 0:
            continue
        q = queues.setdefault(f.pair, deque())
        if f.side == "buy":
            q.append(_Lot(amount=f.amount, cost=f.amount * f.price + f.fee, price=f.price, ts_ms=f.ts_ms))
            continue
        real, left = _consume(q, f)
        if real is not None:
            out.realizations.append(real)
        if left > 0:
            out.unmatched.append(UnmatchedSell(f.id, f.pair, f.ts_ms, float(left)))
    out.open_lots = {pair: list(q) for pair, q in queues.items() if q}
    return out


def _consume(q: deque[_Lot], f: Fill) -> tuple[Realization | None, Decimal]:
    """Take `f.amount` from the oldest lots; returns the matched part and what was left over."""
    need = f.amount
    cost = entry_value = buy_fees = ZERO
    entry_ms: int | None = None
    while need > 0 and q:
        lot = q[0]
        take = min(need, lot.amount)
        part_cost = lot.cost if take == lot.amount else lot.cost * take / lot.amount
        buy_fees += part_cost - take * lot.price
        cost += part_cost
        entry_value += take * lot.price
        entry_ms = lot.ts_ms if entry_ms is None else entry_ms
        lot.amount -= take
        lot.cost -= part_cost
        need -= take
        if lot.amount <= 0:
            q.popleft()
    matched = f.amount - need
    if matched <= 0 or entry_ms is None:
        return None, need
    real = Realization(
        fill_id=f.id, order_id=f.order_id, pair=f.pair, ts_ms=f.ts_ms, amount=matched,
        proceeds=matched * f.price, fee=f.fee * matched / f.amount, cost=cost,
        entry_value=entry_value, buy_fees=buy_fees, first_entry_ms=entry_ms,
    )
    return real, need


def round_trips(realizations: Sequence[Realization]) -> list[RoundTrip]:
    """Group realized sell fills by their order: one closing sell order is one trade."""
    groups: dict[tuple[str, str], list[Realization]] = {}
    for r in realizations:
        key = (r.pair, r.order_id or r.fill_id)
        groups.setdefault(key, []).append(r)
    trips = [_trip(pair, oid, rs) for (pair, oid), rs in groups.items()]
    trips.sort(key=lambda t: (t.exit_ms, t.order_id))
    return trips


def _trip(pair: str, order_id: str, rs: list[Realization]) -> RoundTrip:
    amount = sum((r.amount for r in rs), ZERO)
    fees = sum((r.fee + r.buy_fees for r in rs), ZERO)
    return RoundTrip(
        pair=pair, order_id=order_id,
        entry_ms=min(r.first_entry_ms for r in rs), exit_ms=max(r.ts_ms for r in rs),
        amount=float(amount),
        entry_price=float(sum((r.entry_value for r in rs), ZERO) / amount),
        exit_price=float(sum((r.proceeds for r in rs), ZERO) / amount),
        fees=float(fees), pnl=float(sum((r.pnl for r in rs), ZERO)),
    )


def period_starts(now_ms: int) -> dict[Period, int | None]:
    """Start (ms, inclusive) of each window for the clock's `now`; None = no lower bound."""
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = day - timedelta(days=day.weekday())
    return {
        "today": int(day.timestamp() * 1000),
        "week": int(monday.timestamp() * 1000),
        "all_time": None,
    }


def period_pnl(realizations: Sequence[Realization], now_ms: int) -> dict[str, float]:
    """Realized P&L per window, by each sell fill's own timestamp."""
    out: dict[str, float] = {}
    for name, start in period_starts(now_ms).items():
        total = sum((r.pnl for r in realizations if start is None or r.ts_ms >= start), ZERO)
        out[name] = float(total)
    return out


def trade_stats(trips: Sequence[RoundTrip]) -> dict[str, float | int | None]:
    """count / wins / losses / win_rate (a fraction 0..1, None when there is no trade)."""
    wins = sum(1 for t in trips if t.pnl > 0)
    count = len(trips)
    return {
        "count": count, "wins": wins, "losses": count - wins,
        "win_rate": wins / count if count else None,
    }


def summarize_lots(lots: dict[str, list[_Lot]]) -> dict[str, OpenLots]:
    out: dict[str, OpenLots] = {}
    for pair, ls in lots.items():
        amount = sum((lot.amount for lot in ls), ZERO)
        if amount <= 0:
            continue
        value = sum((lot.amount * lot.price for lot in ls), ZERO)
        cost = sum((lot.cost for lot in ls), ZERO)
        out[pair] = OpenLots(amount=float(amount), entry_price=float(value / amount), cost=float(cost))
    return out


def compute_pnl(fills: Iterable[Fill], now_ms: int) -> PnlReport:
    """The full report for a trade history as of `now_ms` (pure: the caller owns the clock)."""
    res = match_fifo(fills)
    trips = round_trips(res.realizations)
    by_pair: dict[str, Decimal] = {}
    for r in res.realizations:
        by_pair[r.pair] = by_pair.get(r.pair, ZERO) + r.pnl
    return PnlReport(
        pnl=period_pnl(res.realizations, now_ms),
        by_pair={p: float(v) for p, v in sorted(by_pair.items())},
        trades=trade_stats(trips),
        round_trips=trips,
        open_lots=summarize_lots(res.open_lots),
        unmatched_sells=res.unmatched,
    )
