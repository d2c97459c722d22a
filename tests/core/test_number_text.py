"""One rule for numbers shown to people (core/text.py): half-up at the shown places, thousands
separators, no exponent notation, no "-0" (issue 18, point 2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.text import amount_text, money_text, money_with_currency, number_text, price_places_text, price_text


@pytest.mark.parametrize("value", [Decimal("62600.25"), 62600.25, "62600.25"])
def test_a_half_rounds_up_at_the_pairs_decimals(value: object) -> None:
    assert price_text("BTC/USD", value) == "62,600.3"  # Kraken's BTC/USD has one price decimal
    assert price_places_text(value, 1) == "62,600.3"


def test_half_up_also_for_money_amounts_and_fixed_numbers() -> None:
    assert money_text(Decimal("0.125")) == "+0.13" and money_with_currency(Decimal("2.675")) == "2.68 USD"
    assert amount_text(Decimal("0.000000125")) == "0.00000013"
    assert number_text(Decimal("0.5"), 0) == "1" and number_text(Decimal("1.5"), 0) == "2"


@pytest.mark.parametrize(("value", "amount", "price"), [
    (Decimal("1E-8"), "0.00000001", "0.00000001"),
    (1e-8, "0.00000001", "0.00000001"),
    ("1E-8", "0.00000001", "0.00000001"),
    (Decimal("1E+3"), "1,000", "1,000.00"),
    (0.0812345, "0.0812345", "0.0812345"),
    (Decimal("0.00001234567"), "0.00001235", "0.0000123457"),
])
def test_never_exponent_notation(value: object, amount: str, price: str) -> None:
    assert amount_text(value) == amount and price_places_text(value) == price
    for text in (amount_text(value), price_places_text(value), number_text(value), money_text(value)):
        assert "e" not in text.lower(), text


def test_thousands_separators_everywhere() -> None:
    assert amount_text(1234.5) == "1,234.5" and number_text(1234567) == "1,234,567"
    assert price_text("ETH/USD", 4065.261561571868) == "4,065.26" and money_text(-1234.5) == "-1,234.50"


def test_no_negative_zero() -> None:
    assert price_text("BTC/USD", -0.01) == "0.0" and money_text(Decimal("-0.001")) == "+0.00"
    assert amount_text(Decimal("-1E-9")) == "0" and money_with_currency(-0.001) == "0.00 USD"


def test_unreadable_values_are_a_dash() -> None:
    assert amount_text(None) == "-" and price_places_text("n/a") == "-" and number_text(float("nan")) == "-"
