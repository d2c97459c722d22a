"""A flatten's outcome in words: shared by the flatten alert (bot/text/safety.py) and the reply to
a flatten that did not finish (bot/text/trading.py), so both name the same steps the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.text import amount_text, price_places_text
from core.trading.results import ExitInfo, FlattenFailure, FlattenSold


def _exits(exits: Iterable[ExitInfo]) -> str:
    return ", ".join(f"{e.pair} #{e.trade_id} {e.origin}".strip() for e in exits)


def failure_text(failure: FlattenFailure) -> str:
    """One step a flatten could not do, as the owner reads it."""
    subject, error = failure.subject, failure.error
    if failure.step == "dust":
        return f"{subject} is below the minimum {error} (dust kept)"
    what = {"exit": f"exit {subject}", "read_orders": "read open orders", "cancel": f"cancel {subject}",
            "read_balances": "read balances", "sell": f"sell {subject}"}.get(failure.step, f"{failure.step} {subject}")
    return f"{what.strip()}: {error}"


def _sold(sold: FlattenSold) -> str:
    price = price_places_text(sold.price) if sold.price is not None else "?"
    return f"{amount_text(sold.amount)} {sold.base} at {price}"


def flatten_text(exits: tuple[ExitInfo, ...], canceled: int, sold: Iterable[FlattenSold] = (),
                 failed: Iterable[FlattenFailure] = ()) -> str:
    """'closed 2 position(s) (BTC/USD #3 autopilot, …), canceled 1 order(s), sold …, FAILED: …'."""
    closed = f"closed {len(exits)} position(s)" + (f" ({_exits(exits)})" if exits else "")
    parts = [closed, f"canceled {canceled} order(s)"]
    if sold_words := ", ".join(_sold(s) for s in sold):
        parts.append("sold " + sold_words)
    if failed_words := "; ".join(failure_text(f) for f in failed):
        parts.append("FAILED: " + failed_words)
    return ", ".join(parts)
