"""The trades the owner reads (`trades`, reports, the dashboard): Zyn's own journal first.

Why the journal and not FIFO over the fills: a pair may hold a manual position beside the
autopilot's, and FIFO hands the first sell the OLDEST lot — the manual one — so `trades` showed
another P&L than `why` for the same trade (issue 22.1). Each trade of this mode is its TradeRow:
entry, exit and net P&L as the position aggregate booked them (`core.trading.positions`); open
trades are listed too, valued at the mark like the status' positions. Sells FIFO matched to no
trade of ours (coins bought before Zyn, a sell outside it) still appear, with the exchange's id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.status.pnl import RoundTrip
from core.telemetry.models import PositionRow, TradeRow

EXIT_REASONS = {"take_profit": "target"}  # OrderRow.purpose -> the trade's exit reason wording


def iso_utc(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def trade_dict(row: TradeRow, saved: PositionRow | None, mark: Decimal | None) -> dict[str, Any]:
    """One trade as people read it; an open one's P&L is what it would make at the mark (before
    the exit fee), exactly as its `positions` row says."""
    closed = row.status == "closed"
    amount = saved.amount if saved is not None and not closed else row.amount
    if closed:
        pnl = float(row.pnl) if row.pnl is not None else None
    elif mark is not None:
        cost = saved.entry_cost if saved is not None else row.amount * row.entry_price + row.fees
        pnl = float(amount * mark - cost + (saved.realized if saved is not None else Decimal(0)))
    else:
        pnl = None
    return {
        "id": row.id, "pair": row.pair, "status": row.status, "amount": float(amount),
        "entry_price": float(row.entry_price), "entry_ms": row.entry_ms,
        "exit_price": float(row.exit_price) if closed and row.exit_price is not None else None,
        "exit_ms": row.exit_ms if closed else None, "exit_at": iso_utc(row.exit_ms) if closed else None,
        "fees": float(row.fees), "pnl": pnl, "win": pnl is not None and closed and pnl > 0,
        "exit_reason": EXIT_REASONS.get(row.exit_reason, row.exit_reason) if closed else "",
    }


def outside_trip(trip: RoundTrip, purpose: str = "", trade_id: int | None = None) -> dict[str, Any]:
    """A FIFO round trip no journaled trade closed: with our order's trade id and purpose when the
    sell was ours (a trade row of another mode or gone), else the exchange's order id."""
    d = trip.to_dict()
    d.update(id=trade_id if trade_id is not None else trip.order_id, status="closed",
             exit_reason=EXIT_REASONS.get(purpose, purpose), exit_at=iso_utc(trip.exit_ms))
    return d


def journal_trades(
    rows: Iterable[TradeRow],
    saved: Mapping[int, PositionRow],
    marks: Mapping[str, Decimal],
    outside: Sequence[tuple[RoundTrip, str, int | None]],
) -> list[dict[str, Any]]:
    """Every trade, newest first: open ones by entry time, closed ones by exit time. `outside`:
    FIFO round trips no journaled trade closed, each with its order's purpose and trade id."""
    out = [trade_dict(r, saved.get(r.id or 0), marks.get(r.pair)) for r in rows]
    out.extend(outside_trip(*o) for o in outside)
    out.sort(key=lambda t: (int(t.get("exit_ms") or t.get("entry_ms") or 0), str(t["id"])), reverse=True)
    return out


def closed_stats(trades: Sequence[Mapping[str, Any]]) -> dict[str, float | int | None]:
    """count / wins / losses / win_rate of the closed trades in `trades` (one count everywhere)."""
    closed = [t for t in trades if t.get("status") == "closed"]
    wins = sum(1 for t in closed if (t.get("pnl") or 0) > 0)
    count = len(closed)
    return {"count": count, "wins": wins, "losses": count - wins, "win_rate": wins / count if count else None}
