"""A column type for money that is sent to the exchange: exact Decimals on every database.

Why not plain `Numeric`: PostgreSQL's NUMERIC is exact, but SQLite has no decimal type and
SQLAlchemy stores a Numeric there as a REAL (a float), so 29000.12345678901234 would come back
as 29000.123456789013. This type is NUMERIC(38, 18) on PostgreSQL and the decimal's text on
SQLite; both give back the Decimal that was saved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    impl = Numeric(38, 18)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(38, 18, asdecimal=True))

    def process_bind_param(self, value: Decimal | float | int | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        # A float (an analytics writer, an old caller) goes through its shortest repr, as the
        # backtest's ledger does: 0.1 is stored as 0.1, not as its 55-digit binary expansion.
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return str(exact) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value))  # NUMERIC(38, 18) pads zeros: equal Decimals, longer text
