"""A database's open trades belong to the mode that opened them: refuse to start another mode on it.

Why: jimmy runs `zyn run` live (ZYN_MODE=live in one terminal's environment), kills it and starts it
again from another terminal without those variables. The new process was a paper-mode owner on the
same `var/zyn.db`; its reconcile found the live position's coins missing from the paper exchange and
closed the live trade as `missing` — the coins and their stop stayed on Kraken, the target watch and
the trade's record were lost. The same goes for paper trades under a live owner. So a mode that
differs from the open trades' is one line and exit 2, read-only, before anything is built.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from collections import Counter
from pathlib import Path

from core.config import redact_url
from core.domain import UserError

MODES = ("paper", "validate", "live")  # trades.source; `backtest` rows are research, never open money
OPEN_TRADES = "SELECT source, pair FROM trades WHERE status = 'open'"


def open_trades_by_mode(url: str) -> list[tuple[str, str]]:
    """(mode, pair) of every open trade in the database at `url`; none when it has no ledger yet."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() == "sqlite":
        path = Path((rest[1:] if rest.startswith("/") else rest).split("?", 1)[0])
        if not path.is_file():
            return []  # a new database: nothing to check, and nothing is created here
        # read-only, never created; quoted as a URI (a "?" or "#" in a folder name is a path, as in fast_client)
        conn = sqlite3.connect(f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro", uri=True, timeout=5)
        try:
            return [(str(m), str(p)) for m, p in conn.execute(OPEN_TRADES)]
        except sqlite3.OperationalError:  # no trades table yet
            return []
        finally:
            conn.close()
    import psycopg  # lazy: PostgreSQL's driver only where the database is PostgreSQL

    try:
        with psycopg.connect("postgresql://" + rest, connect_timeout=3) as pg:
            return [(str(m), str(p)) for m, p in pg.execute(OPEN_TRADES)]
    except psycopg.errors.UndefinedTable:
        return []


def check_ledger_mode(mode: str, url: str) -> None:
    """UserError naming the mode the database's open trades need, when `mode` is not it."""
    other = Counter((m, p) for m, p in open_trades_by_mode(url) if m in MODES and m != mode)
    if not other:
        return
    held = min(m for m, _ in other)
    pairs = ", ".join(sorted({p for m, p in other if m == held}))
    count = sum(n for (m, _), n in other.items() if m == held)
    raise UserError(
        f"ZYN_MODE={mode}: DATABASE_URL={redact_url(url)} holds {count} open {held} trade(s) ({pairs}); "
        f"start with ZYN_MODE={held} and its keys, or give {mode} mode its own DATABASE_URL"
    )
