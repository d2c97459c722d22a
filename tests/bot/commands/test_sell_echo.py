"""The sell echo says "cancels its stop" from the preview's data (how many positions the sell
closes), never by searching the trading service's English (issue 18)."""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.envelope import Reply
from tests.fakes.services import FakeTrading


def test_a_sell_that_closes_a_position_says_it_cancels_its_stop(
    say: Callable[..., Reply], trading: FakeTrading
) -> None:
    trading.closes_positions = 1
    echo = say("sell 0.01 btc")
    assert echo.kind == "confirm" and "; cancels its stop" in echo.text, echo.text


def test_the_words_of_the_preview_text_do_not_decide_the_note(say: Callable[..., Reply], trading: FakeTrading) -> None:
    trading.preview_text = "Sell 0.01 BTC/USD at market; cancels its stop"  # core's old sentence, no position
    echo = say("sell 0.01 btc")
    assert echo.kind == "confirm" and "cancels its stop" not in echo.text, echo.text
