"""Validate mode's reply: what each stop check tells the owner (bot/text/trading.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.text.trading import result_text
from core.trading.results import Code, TradeResult


def _validated(check: str, detail: str = "Kraken: EOrder:Insufficient funds") -> str:
    return result_text(TradeResult(
        True, Code.VALIDATED, pair="ETH/USD", side="buy", amount=Decimal("0.5"), price=Decimal("2000"),
        stop=Decimal("1900"), venue="Kraken", stop_check=check, detail=detail,
    ))


def test_a_stop_only_the_fill_would_fund_is_unchecked_not_refused() -> None:
    text = _validated("needs_fill")
    assert "could not be checked before a fill" in text and "REFUSED" not in text and "\n" not in text


@pytest.mark.parametrize(("check", "words"), [
    ("accepted", "would be accepted too"),
    ("refused", "would be REFUSED: Kraken: EOrder:Insufficient funds"),
    ("unchecked", "could not be checked: Kraken"),
])
def test_the_other_stop_checks_keep_their_words(check: str, words: str) -> None:
    assert words in _validated(check)
