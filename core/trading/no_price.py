"""The one line the owner reads when a price look-up fails before an order (issue: README run, s7).

Why one function in core: a coin order (`buy 0.01 btc`, core/trading/manual.py) and a dollar order
(`buy $100 of BTC`, the chat's market port in bot/) both need a price first; each wrote its own
line, and the coin order showed Kraken's raw code ("EOrder:no price yet for BTC/USD") where the
dollar order said "no market data yet". Both now say it here, the same way.
"""

from __future__ import annotations

import re

_ERROR_CODE = re.compile(r"^E[A-Za-z]+:")  # Kraken's "EOrder:" style prefix


def no_price_line(pair: str, error: str) -> str:
    """'no price for BTC/USD right now (no market data yet)': the exchange's reason without its
    error code, and the paper engine's "no price yet for PAIR" said plainly, without repeating."""
    reason = _ERROR_CODE.sub("", error.strip()).strip()
    detail = "no market data yet" if "no price yet" in reason else reason
    return f"no price for {pair} right now ({detail})"
