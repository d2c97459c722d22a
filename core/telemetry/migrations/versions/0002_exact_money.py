"""Exact money on orders and trades; a position knows whose it is (autopilot or manual).

- orders.amount/price, trades' amounts, prices, risk, fees and P&L, positions.initial_risk:
  float -> `ExactDecimal` (NUMERIC(38, 18) on PostgreSQL, the decimal's text on SQLite). Each
  stored float becomes the Decimal of its shortest repr (29000.1 -> Decimal("29000.1"), the way
  the backtest's ledger reads floats), computed in Python on both databases: SQLite's and
  PostgreSQL's own casts keep only 15 significant digits.
- positions.origin ("autopilot" for every existing row: before this revision a manual buy and
  the autopilot's were one position) and positions.placed_by: a pair may now hold a manual
  position beside the autopilot's, each with its own stop and target.
- open positions still kept the oldest way, as bracket JSON in the kv store
  (`trading:bracket:<trade_id>`, before the positions table), are moved into `positions` exactly
  and their kv rows deleted (this replaces the move that used to run on every load).

Revision ID: 0002_exact_money
Revises: 0001_baseline
"""

from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from core.telemetry.exact_decimal import ExactDecimal

revision = "0002_exact_money"
down_revision: str | None = "0001_baseline"
branch_labels = None
depends_on = None

# table -> (primary key, [(column, nullable)])
MONEY: dict[str, tuple[str, list[tuple[str, bool]]]] = {
    "orders": ("id", [("amount", False), ("price", True)]),
    "trades": (
        "id",
        [
            ("amount", False),
            ("entry_price", False),
            ("exit_price", True),
            ("stop_price", True),
            ("target_price", True),
            ("initial_risk", False),
            ("fees", False),
            ("pnl", True),
        ],
    ),
    "positions": ("trade_id", [("initial_risk", False)]),
}


def exact(value: object) -> Decimal | None:
    """A stored float as the Decimal of its shortest repr (None stays None)."""
    if value is None:
        return None
    return Decimal(repr(float(str(value)))) if not isinstance(value, Decimal) else value


def upgrade() -> None:
    conn = op.get_bind()
    for table, (key, columns) in MONEY.items():
        names = [name for name, _ in columns]
        rows = conn.execute(sa.text(f"SELECT {key}, {', '.join(names)} FROM {table}")).all()  # noqa: S608
        with op.batch_alter_table(table) as batch:
            for name, nullable in columns:
                batch.alter_column(
                    name,
                    existing_type=sa.Float(),
                    type_=ExactDecimal(),
                    existing_nullable=nullable,
                    postgresql_using=f"{name}::text::numeric",
                )
        target = sa.table(table, sa.column(key), *(sa.column(n, ExactDecimal()) for n in names))
        for row in rows:
            values = {n: exact(v) for n, v in zip(names, row[1:], strict=True)}
            conn.execute(target.update().where(target.c[key] == row[0]).values(**values))
    with op.batch_alter_table("positions") as batch:
        batch.add_column(sa.Column("origin", sa.String(), nullable=False, server_default="autopilot"))
        batch.add_column(sa.Column("placed_by", sa.String(), nullable=False, server_default=""))
    _move_kv_brackets(conn)


LEGACY_PREFIX = "trading:bracket:"
_DECIMALS = ("amount", "entry_price", "entry_cost", "entry_fee", "stop", "sold", "proceeds", "realized", "exit_fees")


def _move_kv_brackets(conn: sa.engine.Connection) -> None:
    """Brackets stored as kv JSON (the layout before the positions table) become positions rows."""
    kv = sa.table("kv", sa.column("key"), sa.column("value"))
    cols = [sa.column(n, ExactDecimal()) for n in (*_DECIMALS, "target", "initial_risk")]
    positions = sa.table(
        "positions", sa.column("trade_id"), sa.column("pair"), sa.column("entry_ref"), sa.column("stop_order_id"),
        sa.column("entry_ms"), sa.column("updated_ms"), sa.column("origin"), sa.column("placed_by"), *cols,
    )
    rows = conn.execute(sa.select(kv.c.key, kv.c.value).where(kv.c.key.startswith(LEGACY_PREFIX))).all()
    for key, value in rows:
        data = json.loads(value)
        trade_id = int(data["trade_id"])
        exists = conn.execute(sa.select(positions.c.trade_id).where(positions.c.trade_id == trade_id)).first()
        if exists is None:
            target = data.get("target")
            conn.execute(positions.insert().values(
                trade_id=trade_id, pair=str(data["pair"]), entry_ref=str(data.get("entry_ref") or ""),
                stop_order_id=str(data.get("stop_order_id") or ""), entry_ms=int(data.get("entry_ms") or 0),
                updated_ms=0, origin="autopilot", placed_by="",
                target=Decimal(target) if target not in (None, "None") else None,
                initial_risk=Decimal(repr(float(data.get("initial_risk") or 0))),
                **{n: Decimal(str(data.get(n) or 0)) for n in _DECIMALS},
            ))
        conn.execute(kv.delete().where(kv.c.key == key))


def downgrade() -> None:
    raise NotImplementedError("money columns are not turned back into floats")
