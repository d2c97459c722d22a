"""Many upserts in three statements: which keys exist, one UPDATE for those, one INSERT for the rest.

Why: a universe tick writes one row per pair into the same keyed table (the pairs' states in
`kv`, the paper account's quotes in `paper_state`); UPDATE-then-INSERT per row is two round
trips each. Portable (SQLite and PostgreSQL): no dialect ON CONFLICT; the caller's transaction
makes the set atomic, as the per-row upserts were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection

CHUNK = 500  # keys per IN (...) query, well under SQLite's bound-parameter limit


def upsert_many(conn: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Upsert `rows` (column -> value, each with `key`) into `table`; the last row of a key wins."""
    latest = {row[key]: row for row in rows}
    keys = list(latest)
    existing: set[Any] = set()
    for i in range(0, len(keys), CHUNK):
        existing.update(conn.execute(select(table.c[key]).where(table.c[key].in_(keys[i:i + CHUNK]))).scalars())
    updates = [{"_k": k, **{f"_v_{c}": v for c, v in row.items() if c != key}}
               for k, row in latest.items() if k in existing]
    inserts = [dict(row) for k, row in latest.items() if k not in existing]
    if updates:
        columns = [c for c in updates[0] if c != "_k"]
        stmt = update(table).where(table.c[key] == bindparam("_k"))
        conn.execute(stmt.values({c[len("_v_"):]: bindparam(c) for c in columns}), updates)
    if inserts:
        conn.execute(insert(table), inserts)
