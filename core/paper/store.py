"""Persistence of the paper account in tables `paper_*` (SQLite or PostgreSQL).

Money is stored as decimal strings, not floats or NUMERIC, so what is read back after a
restart is exactly what was computed (SQLite would round NUMERIC through a float). Each batch
of `Changes` is written in one transaction so a crash never leaves half an action behind.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import BigInteger, Table, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, SQLModel

from core.domain import Fill, Order
from core.paper.engine import Changes, PaperState
from core.sql_upsert import upsert_many

_SALT = "salt"
_COUNTER = "counter"
_PRICE = "price:"


class PaperBalanceRow(SQLModel, table=True):
    """Total per asset; reservations are derived from open orders, never stored twice."""

    __tablename__ = "paper_balances"
    asset: str = Field(primary_key=True)
    total: str = "0"


class PaperOrderRow(SQLModel, table=True):
    __tablename__ = "paper_orders"
    id: str = Field(primary_key=True)
    seq: int = Field(index=True, sa_type=BigInteger)
    pair: str = ""
    side: str = ""
    type: str = ""
    amount: str = "0"
    price: str | None = None
    status: str = Field(default="open", index=True)
    filled: str = "0"
    average_price: str | None = None
    fee: str = "0"
    client_ref: str = Field(default="", index=True)
    created_ms: int = Field(default=0, sa_type=BigInteger)
    closed_ms: int | None = Field(default=None, sa_type=BigInteger)


class PaperFillRow(SQLModel, table=True):
    __tablename__ = "paper_fills"
    id: str = Field(primary_key=True)
    seq: int = Field(index=True, sa_type=BigInteger)
    order_id: str = Field(index=True)
    pair: str = ""
    side: str = ""
    amount: str = "0"
    price: str = "0"
    fee: str = "0"
    ts_ms: int = Field(default=0, index=True, sa_type=BigInteger)


class PaperStateRow(SQLModel, table=True):
    """Key/value: the id salt and counter, and the last price per pair (`price:BTC/USD`)."""

    __tablename__ = "paper_state"
    key: str = Field(primary_key=True)
    value: str = ""


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _dec(value: Decimal) -> str:
    return format(value, "f")


def _opt_dec(value: Decimal | None) -> str | None:
    return None if value is None else _dec(value)


def _to_dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class PaperStore:
    """Loads and writes one paper account; knows nothing about matching."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        SQLModel.metadata.create_all(
            engine,
            tables=[_table(m) for m in (PaperBalanceRow, PaperOrderRow, PaperFillRow, PaperStateRow)],
        )

    def load(self) -> PaperState | None:
        """The stored account, or None for a database that never held one."""
        with self._engine.connect() as conn:
            state = {row.key: row.value for row in conn.execute(select(_table(PaperStateRow)))}
            if _SALT not in state:
                return None
            result = PaperState(salt=state[_SALT], counter=int(state.get(_COUNTER, "0")))
            result.prices = _prices(state)
            for row in conn.execute(select(_table(PaperBalanceRow))):
                result.balances[row.asset] = Decimal(row.total)
            orders = conn.execute(select(_table(PaperOrderRow)).order_by(_table(PaperOrderRow).c.seq))
            result.orders = [(row.seq, _order(row)) for row in orders]
            fills = conn.execute(select(_table(PaperFillRow)).order_by(_table(PaperFillRow).c.seq))
            result.fills = [(row.seq, _fill(row)) for row in fills]
        return result

    def apply(self, changes: Changes) -> None:
        """Write one action's changes atomically (all or nothing)."""
        if changes.is_empty():
            return
        with self._engine.begin() as conn:
            if changes.wipe:
                for model in (PaperFillRow, PaperOrderRow, PaperBalanceRow):
                    conn.execute(delete(_table(model)))
            for asset, total in changes.balances.items():
                _upsert(conn, _table(PaperBalanceRow), "asset", {"asset": asset, "total": _dec(total)})
            for seq, order in changes.orders.values():
                _upsert(conn, _table(PaperOrderRow), "id", _order_values(seq, order))
            if changes.fills:
                conn.execute(insert(_table(PaperFillRow)), [_fill_values(s, f) for s, f in changes.fills])
            state = [{"key": key, "value": value} for key, value in _state_values(changes).items()]
            if len(state) > 1:  # a replay step's quotes, one per pair (issue 20.4)
                upsert_many(conn, _table(PaperStateRow), "key", state)
            else:
                for row in state:
                    _upsert(conn, _table(PaperStateRow), "key", row)


def _upsert(conn: Connection, table: Table, key: str, values: dict[str, Any]) -> None:
    """Portable upsert (SQLite and PostgreSQL): update, insert when nothing was there."""
    rest = {k: v for k, v in values.items() if k != key}
    result = conn.execute(update(table).where(table.c[key] == values[key]).values(**rest))
    if result.rowcount == 0:
        conn.execute(insert(table).values(**values))


def _state_values(changes: Changes) -> dict[str, str]:
    values: dict[str, str] = {}
    if changes.salt is not None:
        values[_SALT] = changes.salt
    if changes.counter is not None:
        values[_COUNTER] = str(changes.counter)
    for pair, (price, ts_ms) in changes.prices.items():
        values[_PRICE + pair] = json.dumps({"price": _dec(price), "ts_ms": ts_ms})
    return values


def _prices(state: dict[str, str]) -> dict[str, tuple[Decimal, int]]:
    prices: dict[str, tuple[Decimal, int]] = {}
    for key, value in state.items():
        if key.startswith(_PRICE):
            data = json.loads(value)
            prices[key[len(_PRICE) :]] = (Decimal(data["price"]), int(data["ts_ms"]))
    return prices


def _order_values(seq: int, order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "seq": seq,
        "pair": order.pair,
        "side": order.side,
        "type": order.type,
        "amount": _dec(order.amount),
        "price": _opt_dec(order.price),
        "status": order.status,
        "filled": _dec(order.filled),
        "average_price": _opt_dec(order.average_price),
        "fee": _dec(order.fee),
        "client_ref": order.client_ref,
        "created_ms": order.created_ms,
        "closed_ms": order.closed_ms,
    }


def _order(row: Any) -> Order:
    return Order(
        id=row.id,
        pair=row.pair,
        side=row.side,
        type=row.type,
        amount=Decimal(row.amount),
        price=_to_dec(row.price),
        status=row.status,
        filled=Decimal(row.filled),
        average_price=_to_dec(row.average_price),
        fee=Decimal(row.fee),
        client_ref=row.client_ref,
        created_ms=row.created_ms,
        closed_ms=row.closed_ms,
    )


def _fill_values(seq: int, fill: Fill) -> dict[str, Any]:
    return {
        "id": fill.id,
        "seq": seq,
        "order_id": fill.order_id,
        "pair": fill.pair,
        "side": fill.side,
        "amount": _dec(fill.amount),
        "price": _dec(fill.price),
        "fee": _dec(fill.fee),
        "ts_ms": fill.ts_ms,
    }


def _fill(row: Any) -> Fill:
    return Fill(
        id=row.id,
        order_id=row.order_id,
        pair=row.pair,
        side=row.side,
        amount=Decimal(row.amount),
        price=Decimal(row.price),
        fee=Decimal(row.fee),
        ts_ms=row.ts_ms,
    )
