"""The plain-phrasing grammar (bot/conversation/parser_plain.py): spoken numbers, timed pauses,
polite wrappers, and orders read only from messages that name them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.conversation.parser import parse
from bot.conversation.parser_plain import number_words, pause_span, percent_value, unwrap_polite


@pytest.mark.parametrize(
    ("words", "value"),
    [("half a", "0.5"), ("one and a half", "1.5"), ("a quarter", "0.25"), ("two", "2"), ("point five", "0.5"),
     ("0.75", "0.75"), ("twenty", "20")],
)
def test_number_words(words: str, value: str) -> None:
    assert number_words(words.split()) == Decimal(value)


@pytest.mark.parametrize(
    ("words", "value"),
    [("half a percent", "0.5%"), ("1 per cent", "1%"), ("two percent", "2%"), ("a quarter of a percent", "0.25%"),
     ("banana percent", None), ("half", None)],
)
def test_spoken_percentages(words: str, value: str | None) -> None:
    assert percent_value(words.split()) == value


@pytest.mark.parametrize(
    ("rest", "span"),
    [
        ("trading until tomorrow", ("until", "tomorrow")),
        ("till tomorrow morning", ("until", "tomorrow 08:00")),
        ("for 2 hours", ("for", "7200")),
        ("for an hour", ("for", "3600")),
        ("for half an hour", ("for", "1800")),
        ("for 30 minutes", ("for", "1800")),
        ("until 6pm", ("until", "18:00")),
        ("until 18:30", ("until", "18:30")),
        ("until monday", ("until", "monday")),
        ("for the rest of the day", ("until", "tomorrow")),
        ("over the weekend", ("until", "monday")),
        ("the autopilot", None),
        ("for 400 days", None),
        ("until 25:00", None),
    ],
)
def test_pause_spans(rest: str, span: tuple[str, str] | None) -> None:
    assert pause_span(rest.split()) == span


def test_polite_wrappers_are_unwrapped_only_in_front() -> None:
    assert unwrap_polite("could you please sell half my eth") == "sell half my eth"
    assert unwrap_polite("hey zyn, can you pause for an hour") == "pause for an hour"
    assert unwrap_polite("sell half my eth") is None
    assert parse("let's pause until tomorrow") is not None


@pytest.mark.parametrize(
    "text",
    ["cancel culture is weird", "cancel culture", "close the window", "sell me on the idea of dollar cost averaging",
     "flatten the curve", "buy a boat", "stop trading ETH for a week"],
)
def test_sentences_that_name_no_money_action_are_not_money_commands(text: str) -> None:
    cmd = parse(text)
    assert cmd is None or cmd.name not in ("buy", "sell", "sell_part", "ask_amount", "flatten", "cancel",
                                           "pause_until")
