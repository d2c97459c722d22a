"""`zyn universe [--json]`: every exchange pair with in/out and the reason (feature `universe`).

Pure research: it reads public market data only (the candle files or the replay, else Kraken's
public pair list and tickers) and the owner's feature switch. It touches neither the book nor the
account, so it builds no `Zyn`, takes no lease and never asks the running owner: it builds just
the universe (`bot.wiring.modules.research_universe`), refreshes it once and prints it.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.cli.output import print_json
from core.domain import ExchangeError, ExchangeUnavailable
from core.strategy.features import FeatureSwitch

if TYPE_CHECKING:
    from bot.settings import ZynSettings


def cmd_universe(args: argparse.Namespace, settings: ZynSettings) -> int:
    from bot.wiring.modules import research_universe, rows_of  # lazy: keeps sqlalchemy, sqlmodel out of this import
    from core.telemetry.db import make_engine  # lazy: keeps alembic, sqlalchemy, sqlmodel out of this import
    from core.telemetry.kv import KeyValueStore  # lazy: keeps sqlalchemy, sqlmodel out of this import

    db = make_engine(settings.database_url)
    try:
        kv = KeyValueStore(db)
        enabled = FeatureSwitch(settings.modules.features, kv).enabled("universe")
        rows = rows_of(research_universe(settings, kv))
    except (ExchangeUnavailable, ExchangeError) as exc:  # a failure, not a bug: one line, exit 1
        print(f"zyn: universe: the exchange did not answer ({exc})", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    inside = sum(1 for r in rows if r["included"])
    if args.json:
        print_json({"feature_on": enabled, "pairs": len(rows), "included": inside, "universe": rows})
        return 0
    print(format_universe(rows, enabled))
    return 0


def format_universe(rows: list[dict[str, Any]], enabled: bool) -> str:
    inside = sum(1 for r in rows if r["included"])
    head = f"universe: {inside} of {len(rows)} pairs in" + ("" if enabled else " (feature off: trading ZYN_PAIRS)")
    lines = [head, f"{'pair':<12} {'':<4} {'price':>14} {'24h volume':>16} {'spread%':>8}  reason"]
    for r in rows:
        price = plain_number(r["price"]) if r.get("price") is not None else "-"
        vol = f"{r['volume_quote_24h']:,.0f}" if r.get("volume_quote_24h") is not None else "-"
        spread = f"{r['spread_pct']:.3f}" if r.get("spread_pct") is not None else "-"
        lines.append(f"{r['pair']:<12} {'in' if r['included'] else 'out':<4} {price:>14} {vol:>16} {spread:>8}  "
                     f"{r['reason']}")
    return "\n".join(lines)


def plain_number(x: float, digits: int = 6) -> str:
    """`digits` significant digits in fixed-point: 1.783e-05 -> 0.00001783, never exponent form."""
    return f"{Decimal(f'{x:.{digits}g}'):f}"
