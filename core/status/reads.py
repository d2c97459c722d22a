"""The status service's database reads: the open trades' targets and positions, this mode's
journal of trades, and which of our orders an exchange order id was.

Why apart from `core.status.service`: that module gathers, holds and persists the snapshot; these
only read the telemetry tables, each read failing soft (a warning and an empty answer) so that
status always answers.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.status.cache import CacheView
from core.status.pnl import PnlReport
from core.status.positions import Held, Targets
from core.status.trades import journal_trades
from core.telemetry.models import OrderRow, PositionRow, TradeRow

log = logging.getLogger(__name__)


def all_trades(db: Engine, mode: str, view: CacheView, report: PnlReport) -> list[dict[str, Any]]:
    """Every trade of `mode`, newest first (`core.status.trades.journal_trades`)."""
    marks = view.account.prices if view.account is not None else {}
    try:
        with Session(db) as s:
            rows = s.exec(select(TradeRow).where(TradeRow.source == mode)).all()
            saved = {p.trade_id: p for p in s.exec(select(PositionRow)).all()}
    except Exception as exc:
        log.warning("status: trades table unreadable (%s)", type(exc).__name__)
        rows, saved = [], {}
    journaled = {r.id for r in rows}
    known = our_orders(db, [t.order_id for t in report.round_trips])
    outside = [(t, *known.get(t.order_id, ("", None))) for t in report.round_trips]
    return journal_trades(rows, saved, marks, [o for o in outside if o[2] not in journaled])


def our_orders(db: Engine, exchange_ids: list[str]) -> dict[str, tuple[str, int | None]]:
    """exchange order id -> (purpose, trade id) for the ids that are orders of ours."""
    if not exchange_ids:
        return {}
    try:
        with Session(db) as s:
            rows = s.exec(select(OrderRow).where(col(OrderRow.exchange_id).in_(exchange_ids))).all()
    except Exception as exc:
        log.warning("status: orders table unreadable (%s)", type(exc).__name__)
        return {}
    return {r.exchange_id: (r.purpose, r.trade_id) for r in rows}


def targets(db: Engine, mode: str) -> Targets:
    """Bot-watched take-profit per pair: the newest open trade of this mode (not backtests),
    and this mode's open positions per pair (`open`, oldest first).

    `held` also names open trades' pairs outside the configured list (a universe pair that
    dropped out, a manual buy of another pair): their positions must still show."""
    try:
        with Session(db) as s:
            rows = s.exec(
                select(TradeRow).where(
                    TradeRow.status == "open", TradeRow.source != "backtest", TradeRow.source != "bootstrap",
                ).order_by(col(TradeRow.entry_ms))
            ).all()
            saved = {p.trade_id: p for p in s.exec(select(PositionRow)).all()}
    except Exception as exc:
        log.warning("status: trades table unreadable (%s)", type(exc).__name__)
        return Targets()
    out = Targets()
    for r in sorted(rows, key=lambda r: (r.source == mode, r.entry_ms, r.id or 0)):
        if r.source == mode and r.pair not in out.held:
            out.held.append(r.pair)
        if r.target_price is not None:
            out[r.pair] = float(r.target_price)
        if r.source == mode and r.id is not None:
            out.open.setdefault(r.pair, []).append(Held.of(r, saved.get(r.id)))
    return out
