"""Orders and questions in the words jimmy actually uses (issue 22 point 8): slang and plain buy/sell
verbs, possessive tickers, flatten/cancel idioms, asides, new rules, best/worst trade questions.

Every order read from words is still a command the dispatcher echoes and confirms with `yes`; a
question that merely contains slang ("did the market dump?") is never a money command.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.conversation.intents import TRAIN_PATH, IntentClassifier, load_phrases
from bot.conversation.offline_engine import extremes_intent, money_suggestion, read
from bot.conversation.parser import command_word, parse
from bot.conversation.parser_money import owned_asset
from core.domain import UserError


@pytest.fixture(scope="module")
def clf() -> IntentClassifier:
    return IntentClassifier(load_phrases(TRAIN_PATH))


@pytest.mark.parametrize(("text", "side", "pair"), [
    ("pick up a bit of solana for me", "buy", "SOL/USD"),
    ("ape into some doge", "buy", "DOGE/USD"),
    ("aping into eth rn", "buy", "ETH/USD"),
    ("load me up on bitcoin", "buy", "BTC/USD"),
    ("scoop me some cardano", "buy", "ADA/USD"),
    ("be a dear and pick up some ether", "buy", "ETH/USD"),
    ("take some profit on xrp", "sell", "XRP/USD"),
])
def test_vague_slang_orders_ask_how_much(text: str, side: str, pair: str) -> None:
    assert parse(text) is not None and parse(text).name == "ask_amount"  # type: ignore[union-attr]
    assert parse(text).args == (side, pair)  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "pair", "part"), [
    ("offload my link", "LINK/USD", "1"),
    ("ditch my solana", "SOL/USD", "1"),
    ("trim my btc position by half", "BTC/USD", "0.5"),
    ("halve my eth", "ETH/USD", "0.5"),
    ("cut my sol bag by 25%", "SOL/USD", "0.25"),
])
def test_sell_idioms_sell_a_part_of_the_holding(text: str, pair: str, part: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.name == "sell_part" and cmd.args == (pair, part)


def test_grab_with_an_amount_and_wordy_stop_is_an_exact_order() -> None:
    cmd = parse("pick up 0.1 eth with a stop at 2900 and a target of 3500")
    assert cmd is not None and cmd.name == "buy" and cmd.order is not None
    assert (cmd.order.amount, cmd.order.pair, cmd.order.stop, cmd.order.target) == (
        Decimal("0.1"), "ETH/USD", Decimal("2900"), Decimal("3500"))


@pytest.mark.parametrize("text", [
    "flatten me now", "shut all my positions down", "shut down everything and go flat",
    "close out all my positions", "wind down all my positions now",
])
def test_flatten_phrasings_read_as_flatten(text: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.name == "flatten" and cmd.args == ()


@pytest.mark.parametrize("text", ["nvm cancel that order", "actually, cancel it", "cancel that"])
def test_cancel_that_asks_which_order_and_names_cancel(text: str) -> None:
    with pytest.raises(UserError, match="cancel which order"):
        parse(text)
    assert command_word(text) == "cancel"


def test_an_aside_before_a_command_is_dropped_and_alone_is_no_command() -> None:
    assert parse("oh, balance") is not None and parse("oh, balance").name == "balance"  # type: ignore[union-attr]
    assert parse("never mind") is None or parse("never mind").name == "no"  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "rule"), [
    ("new rule - no more than 2 trades a day", "no more than 2 trades a day"),
    ("new rule: never trade doge", "never trade doge"),
    ("add a rule: no trading after 22:00", "no trading after 22:00"),
])
def test_new_rule_phrasings_remember_the_rule(text: str, rule: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.name == "remember" and cmd.args == (rule,)


def test_ambiguous_tickers_are_coins_only_where_the_words_make_them_one() -> None:
    assert owned_asset("offload my link") == "offload my LINK"
    assert owned_asset("what's dot going for") == "what's DOT going for"
    assert owned_asset("click the link in my email") == "click the link in my email"
    assert owned_asset("the link you sent") == "the link you sent"


@pytest.mark.parametrize(("text", "intent"), [
    ("what was my worst trade", "trades"), ("biggest losing trade", "trades"),
    ("which coin is my biggest loser", "stats"), ("best pair", "stats"), ("best", "stats"),
])
def test_best_and_worst_single_trades_are_trades_questions(text: str, intent: str) -> None:
    assert extremes_intent(text) == intent


@pytest.mark.parametrize(("text", "intent"), [
    ("what's ether going for", "price"), ("what is LINK worth", "price"), ("list my holdings", "balance"),
    ("which pairs are we in right now", "positions"), ("is automatic trading on", "autopilot"),
])
def test_plain_questions_read_as_their_command(text: str, intent: str, clf: IntentClassifier) -> None:
    assert read(text, clf)[0] == intent


@pytest.mark.parametrize("text", [
    "did the market dump?", "why is btc dumping", "should i ape in?", "everyone is aping into sol lol",
    "is it a good time to load up?", "i got rekt", "should i just hodl", "what does flatten mean",
    "did you sell anything today", "pick up the kids", "grab a coffee", "stack sats", "the link you sent",
    "is the market going to dump", "would it be dumb to ape into doge?", "can i trim my risk?",
])
def test_slang_in_a_question_never_suggests_money(text: str, clf: IntentClassifier) -> None:
    assert money_suggestion(text, clf) == ""


@pytest.mark.parametrize("text", ["add to my eth position", "add a bit more to my sol bag"])
def test_adding_to_a_position_without_an_amount_asks_how_much(text: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.name == "ask_amount" and cmd.args[0] == "buy"


@pytest.mark.parametrize("text", ["kill all positions", "exit every position", "dump all my positions"])
def test_killing_every_position_is_flatten(text: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.name == "flatten"


@pytest.mark.parametrize("text", ["would you buy bitcoin now?", "would you sell my eth?", "should you buy sol?"])
def test_an_opinion_question_without_an_amount_is_no_order(text: str, clf: IntentClassifier) -> None:
    assert parse(text) is None


def test_a_polite_request_with_an_amount_is_still_an_echoed_order() -> None:
    cmd = parse("would you buy 0.01 btc for me?")
    assert cmd is not None and cmd.name == "buy" and cmd.order is not None and cmd.order.amount == Decimal("0.01")


@pytest.mark.parametrize(("text", "name"), [
    ("i need buy 0.1 eth", "buy"), ("please to buy 0.01 btc", "buy"), ("i want buy bitcoin", "ask_amount"),
    ("i'd be grateful if you could buy a little bitcoin", "ask_amount"), ("i need help", "help"),
])
def test_non_native_and_british_wrappers_reach_the_command(text: str, name: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.name == name


@pytest.mark.parametrize("text", ["i need a break", "i need money", "i want some peace and quiet"])
def test_wrappers_without_a_command_stay_free_text(text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize(("intent", "text", "named"), [
    ("cancel", "kill all notifications", False), ("cancel", "cancel all pending", True),
    ("cancel", "kill everything", True), ("flatten", "get me out of here", False),
    ("flatten", "get me out", True), ("flatten", "close", False), ("flatten", "close all positions", True),
])
def test_all_or_out_name_the_action_only_without_another_object(intent: str, text: str, named: bool) -> None:
    from bot.conversation.money_safety import names_money_action

    assert names_money_action(intent, text) is named


@pytest.mark.parametrize("text", [
    "kill all notifications", "get me out of here", "grab the latest report", "load up the chart",
    "halve the risk", "cut my risk by half", "add more detail to the report", "exit the app", "ape mode on",
])
def test_everyday_sentences_with_money_verbs_suggest_no_money(text: str, clf: IntentClassifier) -> None:
    assert money_suggestion(text, clf) == ""
