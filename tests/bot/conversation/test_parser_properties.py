"""Property-based: whatever the text, the parser answers with a command, None or one UserError
line, and every amount or price it lets through is a finite, positive, bounded Decimal."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.parser import MAX_AMOUNT, MAX_PRICE, parse, parse_number
from core.domain import UserError

WORDS = ["buy", "sell", "/buy", "btc", "eth/usd", "XBTUSD", "BTC", "USD", "at", "@", "sl", "tp", "sl=",
         "0.01", "1", "0", "-1", "1e309", "-1e309", "1E-400", "nan", "sNaN", "inf", "1,000.5", "1,00",
         "$5", "0x1f", "１２", "٣", "99999999999999999999", "status", "pnl", "week", "cancel", "all",
         "why", "trades", "100", "stats", "by", "hour", "set", "risk", "alerts", "off", "chart", "🙂"]
NUMBERISH = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.integers().map(str),
    st.text(alphabet="0123456789.,-+eE$_ ", max_size=25),
)
CHAT = st.one_of(st.lists(st.sampled_from(WORDS), max_size=9).map(" ".join), st.text(max_size=80))


def _money_ok(value: Decimal | None, maximum: Decimal) -> bool:
    return value is None or (value.is_finite() and Decimal(0) < value <= maximum)


@settings(max_examples=1000, deadline=None, derandomize=True, database=None)
@given(CHAT)
def test_any_text_is_a_command_none_or_one_user_error_line(text: str) -> None:
    try:
        command = parse(text)
    except UserError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    if command is not None and command.order is not None:
        order = command.order
        assert _money_ok(order.amount, MAX_AMOUNT) and order.amount is not None
        for price in (order.price, order.stop, order.target):
            assert _money_ok(price, MAX_PRICE)


@settings(max_examples=1000, deadline=None, derandomize=True, database=None)
@given(NUMBERISH)
def test_amounts_and_prices_are_finite_positive_and_bounded_or_refused(raw: str) -> None:
    for what, maximum in (("amount", MAX_AMOUNT), ("price", MAX_PRICE)):
        try:
            value = parse_number(raw, what, maximum)
        except UserError as exc:
            assert "\n" not in str(exc) and what in str(exc)
            continue
        assert value.is_finite() and Decimal(0) < value <= maximum
