"""`zyn data import PATH [--pair P] [--timeframe TF]` and `zyn data status [--json]`: the candle store.

Why no `Zyn` here: importing candles and listing coverage touch only the `candles` table, not the
book or the account, so these commands build the store alone on the configured database (no
lease, no exchange). `zyn run` on the same database sees imported candles at once.
Import reads and checks the whole file first (`core.market_data.store_import`), then writes it in
one transaction: a bad line is one line on stderr (exit 2) and nothing is written; importing the
same file again changes nothing (one row per pair, timeframe and open time).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.output import print_json
from core.market_data.store_import import read_candle_files

if TYPE_CHECKING:
    from bot.settings import ZynSettings
    from core.market_data.store import CandleStore
    from core.market_data.store_import import CandleFile


def add_data_parser(sub: Any) -> None:
    """The `data` command and its two verbs (called by `bot.cli.main.build_parser`)."""
    data = sub.add_parser("data", help="the candle store: import candle files, show coverage")
    # the metavar names the verbs in "zyn data" typed bare (else argparse says "required: data_command")
    verbs = data.add_subparsers(dest="data_command", required=True, parser_class=type(data),
                                metavar="{import,status}")
    imp = verbs.add_parser("import", help="import a candle CSV (ours, or Kraken's OHLCVT download)")
    imp.add_argument("path")
    imp.add_argument("--pair")
    imp.add_argument("--timeframe")
    verbs.add_parser("status", help="coverage per pair and timeframe").add_argument("--json", action="store_true")


def cmd_data(args: argparse.Namespace, settings: ZynSettings) -> int:
    from core.market_data.store_sql import SqlCandleStore  # lazy: keeps sqlalchemy, sqlmodel out of this import
    from core.telemetry.db import make_engine  # lazy: keeps alembic, sqlalchemy, sqlmodel out of this import

    if args.data_command == "import":

        files = read_candle_files(args.path, args.pair, args.timeframe)  # everything checked before a write
    db = make_engine(settings.database_url)
    try:
        store = SqlCandleStore(db)
        if args.data_command == "import":
            for line in import_files(store, files):
                print(line)
            return 0
        return _status(store, bool(args.json))
    finally:
        db.dispose()


def import_files(store: CandleStore, files: list[CandleFile]) -> list[str]:
    """Write each checked file; one summary line per file (how many candles were new)."""
    from core.status.trades import iso_utc  # lazy: keeps sqlalchemy, sqlmodel out of this import

    lines: list[str] = []
    for f in files:
        before = _count(store, f.pair, f.timeframe)
        changed = _changed(store, f)
        store.add(f.pair, f.timeframe, f.candles)
        new = _count(store, f.pair, f.timeframe) - before
        kind = "Kraken OHLCVT" if f.fmt == "kraken" else "CSV"
        replaced = f", {changed} stored with other prices replaced" if changed else ""
        lines.append(f"imported {f.name} ({kind}): {f.pair} {f.timeframe}, {len(f.candles)} candles "
                     f"({new} new{replaced}), {iso_utc(f.candles[0].ts)} to {iso_utc(f.candles[-1].ts)}")
    return lines


def _changed(store: CandleStore, f: CandleFile) -> int:
    """How many of the file's candles are already stored with other prices (the import replaces them:
    the newer reading wins). Said on the summary line, so a file of the wrong pair does not pass as
    "0 new" while it rewrites that pair's history."""
    first, last = f.candles[0].ts, f.candles[-1].ts
    stored = {c.ts: c for c in store.history(f.pair, f.timeframe) if first <= c.ts <= last}
    return sum(1 for c in f.candles
               if (old := stored.get(c.ts)) is not None
               and (old.open, old.high, old.low, old.close, old.volume) != (c.open, c.high, c.low, c.close, c.volume))


def _count(store: CandleStore, pair: str, timeframe: str) -> int:
    return next((c.candles for c in store.coverage() if c.pair == pair and c.timeframe == timeframe), 0)


def coverage_rows(store: CandleStore) -> list[dict[str, Any]]:
    """The contract's rows: pair, timeframe, first, last (ISO times), candles."""
    from core.status.trades import iso_utc  # lazy: keeps sqlalchemy, sqlmodel out of this import

    return [{"pair": c.pair, "timeframe": c.timeframe, "first": iso_utc(c.first_ms), "last": iso_utc(c.last_ms),
             "candles": c.candles} for c in store.coverage()]


def _status(store: CandleStore, as_json: bool) -> int:
    rows = coverage_rows(store)
    if as_json:
        print_json({"pairs": rows})
        return 0
    if not rows:
        print("no candles stored yet (zyn run keeps what it fetches; zyn data import PATH adds files)")
        return 0
    print(f"{'pair':<12} {'tf':<4} {'first':<21} {'last':<21} {'candles':>8}")
    for r in rows:
        print(f"{r['pair']:<12} {r['timeframe']:<4} {r['first']:<21} {r['last']:<21} {r['candles']:>8}")
    return 0
