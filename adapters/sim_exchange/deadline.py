"""AddOrder's `deadline`, checked as Kraken checks it.

Why (docs.kraken.com, Spot REST AddOrder `deadline`, and the error list): "RFC3339 timestamp
(e.g. 2021-04-01T00:18:45Z) after which the matching engine should reject the new order
request, in presence of latency or order queueing. min now() + 2 seconds, max now() + 60
seconds." A request that reaches the engine after its deadline is refused with
`EService:Deadline elapsed` and nothing executes; a deadline that is not a time, or further
than 60 s ahead, is a bad argument. The sim checks on its own wall clock (Kraken's server time),
not on the replay clock, and after any `delay` fault, so a request held in transit is late.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from adapters.sim_exchange.context import KrakenError

MAX_AHEAD_S = 60.0
ELAPSED = "EService:Deadline elapsed"
INVALID = "EGeneral:Invalid arguments:deadline"


def parse_deadline(raw: str) -> float:
    """RFC3339 (`2021-04-01T00:18:45Z`, fractions allowed) -> Unix seconds; else a bad argument."""
    text = raw.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise KrakenError(INVALID) from None
    if moment.tzinfo is None:
        raise KrakenError(INVALID)
    return moment.timestamp()


def check_deadline(params: dict[str, str], now: Callable[[], float] = time.time) -> None:
    """Raise Kraken's refusal when `deadline` has passed (or is malformed / too far ahead)."""
    raw = params.get("deadline", "")
    if not raw.strip():
        return
    deadline, at = parse_deadline(raw), now()
    if deadline > at + MAX_AHEAD_S:
        raise KrakenError(INVALID)
    if at > deadline:
        raise KrakenError(ELAPSED)
