"""The safety rule's grammar (bot/conversation/money_safety.py): instructions that name a money
action count; questions, negations, idioms and objects that are not the account never do."""

from __future__ import annotations

import pytest

from bot.conversation.money_safety import names_money_action


@pytest.mark.parametrize(
    ("intent", "text"),
    [("flatten", "get me out of the market"), ("flatten", "close all my positions"), ("flatten", "exit everything now"),
     ("flatten", "could you close my eth position"), ("cancel", "pull all my orders"), ("sell", "dump my bitcoin"),
     ("buy", "grab some ethereum")],
)
def test_instructions_name_the_action(intent: str, text: str) -> None:
    assert names_money_action(intent, text)


@pytest.mark.parametrize(
    ("intent", "text"),
    [("flatten", "it's close to midnight"), ("flatten", "close call on the motorway"),
     ("flatten", "what does it mean to close a position?"), ("flatten", "I'll close out the evening"),
     ("flatten", "close the window"), ("cancel", "cancel culture is weird"),
     ("cancel", "what makes you cancel an order?"),
     ("sell", "don't sell my btc"), ("sell", "sell me on the idea"), ("buy", "buy a boat"),
     ("buy", "who buys bitcoin at these prices anyway")],
)
def test_questions_negations_and_idioms_do_not(intent: str, text: str) -> None:
    assert not names_money_action(intent, text)
