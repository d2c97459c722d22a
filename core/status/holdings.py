"""The status snapshot's `positions`: one row per open position, from the exchange's balances,
the FIFO open lots and this mode's open positions.

Why apart from `core.status.service`: that module gathers, holds and persists the snapshot; this
one only decides, per pair, whether the position aggregate or the exchange's balance with its FIFO
entry is the row people read (`core.status.positions` turns the aggregates into rows).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.markets.pairs import split_pair
from core.status.cache import Account
from core.status.pnl import PnlReport
from core.status.positions import Targets, position_rows, stop_price_of


def positions_from(acc: Account | None, report: PnlReport, pairs: list[str], targets: Targets) -> list[dict[str, Any]]:
    """One row per open position. A pair holding one position (or coins Zyn did not buy)
    is the exchange's balance with its FIFO entry; a pair holding several (a manual buy beside
    the autopilot's) gets one row per position, each with its own amount, entry, stop order and
    target, plus a row for any coins beyond them."""
    if acc is None:
        return []
    out: list[dict[str, Any]] = []
    for pair in dict.fromkeys([*pairs, *targets.held]):  # + pairs held outside the list
        amount = acc.balances.total.get(split_pair(pair)[0], Decimal(0))
        if amount <= 0:
            continue
        mark = acc.prices.get(pair)
        held = targets.open.get(pair, [])
        if len(held) > 1 or (held and all(h.exact for h in held)):
            # the position aggregate is the truth: FIFO over the pair's fills would hand a
            # manual position the entry of an autopilot lot bought after it (issue 22.1)
            out.extend(position_rows(held, amount, acc.orders, mark))
            continue
        lots = report.open_lots.get(pair)
        unrealized = None
        if lots is not None and mark is not None and lots.amount > 0:
            unrealized = float(amount) * (float(mark) - lots.cost / lots.amount)
        out.append({
            "pair": pair, "amount": float(amount),
            "entry_price": lots.entry_price if lots else None,
            "mark_price": float(mark) if mark is not None else None,
            "unrealized_pnl": unrealized,
            "stop_price": stop_price_of(acc.orders, pair),
            "take_profit_price": targets.get(pair),
            "trade_id": held[0].trade_id if held else None,
            "origin": held[0].origin if held else None,
        })
    return out
