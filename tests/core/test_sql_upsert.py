"""Many upserts in three statements give what one upsert per row gave (issue 20.4)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, select

from core.sql_upsert import upsert_many


def test_existing_keys_are_updated_new_ones_inserted_the_last_row_of_a_key_wins() -> None:
    db = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("key", String, primary_key=True), Column("value", String),
                  Column("n", Integer))
    table.create(db)
    with db.begin() as conn:
        conn.execute(table.insert(), [{"key": f"k{i}", "value": "old", "n": 0} for i in range(0, 1200, 2)])
    statements: list[str] = []
    event.listen(db, "before_cursor_execute", lambda *a: statements.append(a[2].split()[0]))
    rows = [{"key": f"k{i}", "value": f"v{i}", "n": i} for i in range(1200)] + [{"key": "k3", "value": "last", "n": 3}]
    with db.begin() as conn:
        upsert_many(conn, table, "key", rows)
    assert statements.count("UPDATE") == 1 and statements.count("INSERT") == 1  # executemany each
    with db.connect() as conn:
        got = {r.key: (r.value, r.n) for r in conn.execute(select(table))}
    assert len(got) == 1200
    assert got["k0"] == ("v0", 0) and got["k1"] == ("v1", 1) and got["k3"] == ("last", 3)
    assert got["k1198"] == ("v1198", 1198)
