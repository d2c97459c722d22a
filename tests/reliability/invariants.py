"""The one invariants check run after every injected fault (see test_faults.py).

- the exchange's open orders are exactly the orders Zyn believes open;
- every position Zyn holds has exactly one stop on the exchange, for the amount held;
- no client reference was used twice (on the exchange or in Zyn's journal), and every order on
  the exchange is in Zyn's journal (none lost, none sent twice behind its back);
- the status snapshot agrees with the exchange, or says it is cached (with the time of its data);
- the fault left a trace in the telemetry (a log line naming it), when it is one that errs.
Each returns the list of broken rules, empty when all hold, so a failure says which and why.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from core.domain import Order
from core.telemetry.models import OrderRow, PositionRow, TradeRow


def _rows(db: Any, model: Any) -> list[Any]:
    with Session(db) as s:
        return list(s.exec(select(model)).all())


def open_orders_agree(exchange_open: list[Order], db: Any) -> list[str]:
    believed = {r.exchange_id for r in _rows(db, OrderRow) if r.status == "open" and r.exchange_id}
    actual = {o.id for o in exchange_open}
    if believed != actual:
        return [f"open orders differ: Zyn believes {sorted(believed)}, exchange has {sorted(actual)}"]
    return []


def one_stop_per_position(exchange_open: list[Order], db: Any) -> list[str]:
    """The amount held is the position row's (what is left after parts sold), else the trade's."""
    positions = {p.trade_id: p for p in _rows(db, PositionRow)}
    problems: list[str] = []
    for trade in (t for t in _rows(db, TradeRow) if t.status == "open"):
        position = positions.get(trade.id)
        held = Decimal(position.amount) if position is not None else Decimal(str(trade.amount))
        stop_id = position.stop_order_id if position is not None else trade.stop_order_id
        stops = [o for o in exchange_open if o.pair == trade.pair and o.side == "sell" and o.type == "stop-loss"
                 and o.id == stop_id]
        if len(stops) != 1:
            problems.append(f"trade {trade.id} {trade.pair}: {len(stops)} stop(s) on the exchange, want 1")
        elif stops[0].amount - stops[0].filled != held:
            problems.append(f"trade {trade.id}: stop for {stops[0].amount - stops[0].filled}, position holds {held}")
    return problems


def no_reference_twice(all_exchange_orders: list[Order], db: Any) -> list[str]:
    on_exchange = Counter(o.client_ref for o in all_exchange_orders if o.client_ref)
    in_journal = Counter(r.client_ref for r in _rows(db, OrderRow) if r.client_ref)
    twice = [ref for ref, n in on_exchange.items() if n > 1]
    twice += [ref for ref, n in in_journal.items() if n > 1]
    return [f"client reference used twice: {ref}" for ref in twice]


def every_order_journalled(all_exchange_orders: list[Order], db: Any) -> list[str]:
    rows = _rows(db, OrderRow)
    known = {r.exchange_id for r in rows if r.exchange_id} | {r.client_ref for r in rows if r.client_ref}
    lost = [o.id for o in all_exchange_orders if o.id not in known and (not o.client_ref or o.client_ref not in known)]
    return [f"order {oid} is on the exchange but not in Zyn's journal" for oid in lost]


def snapshot_agrees(snap: dict[str, Any], balances: dict[str, Decimal], exchange_open: list[Order]) -> list[str]:
    if snap.get("source") == "cache":
        return [] if snap.get("as_of") else ["a cached snapshot without the time of its data"]
    problems: list[str] = []
    shown = {k: Decimal(str(v)) for k, v in (snap.get("balances") or {}).items() if v}
    want = {k: v for k, v in balances.items() if v}
    tick = Decimal("0.0001")  # Kraken reports fiat to 4 decimals (the sim keeps more inside)
    if set(shown) != set(want) or any(abs(shown[k] - want[k]) > tick for k in want):
        problems.append(f"snapshot balances {shown} != exchange {want}")
    if sorted(o["id"] for o in snap.get("open_orders") or []) != sorted(o.id for o in exchange_open):
        problems.append("snapshot open orders differ from the exchange's")
    return problems


def in_telemetry(log_lines: list[str], needle: str | None) -> list[str]:
    if needle is None or any(needle in line for line in log_lines):
        return []
    return [f"nothing in the log mentions {needle!r}"]


def check_all(zyn: Any, paper_exchange: Any, log_lines: list[str], needle: str | None) -> list[str]:
    """Every invariant at once, on the state after the fault was cleared and Zyn synced."""
    return check_store(zyn.db, paper_exchange, zyn.status.snapshot()) + in_telemetry(log_lines, needle)


def check_store(db: Any, paper_exchange: Any, snap: dict[str, Any]) -> list[str]:
    """The invariants from Zyn's database and status snapshot alone: for a Zyn in another process."""
    exchange_open = paper_exchange.fetch_open_orders()
    everything = exchange_open + paper_exchange.fetch_closed_orders()
    balances = {k: v for k, v in paper_exchange.fetch_balances().total.items()}
    return (
        open_orders_agree(exchange_open, db)
        + one_stop_per_position(exchange_open, db)
        + no_reference_twice(everything, db)
        + every_order_journalled(everything, db)
        + snapshot_agrees(snap, balances, exchange_open)
    )
