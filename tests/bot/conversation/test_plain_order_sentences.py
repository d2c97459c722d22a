"""How owners actually word orders and settings (issue 22 point 8, tuned on held-out v4 as a dev set):
plain and polite order sentences, a preface before a polite request, "cancel the order I just
placed", bare settings, report times in words, price questions with a coin's full name, and the
innocent look-alikes that must stay free text (the safety rule: a money action only when named)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.conversation.intents import IntentClassifier
from bot.conversation.offline_engine import money_suggestion
from bot.conversation.parser import Command, parse
from core.domain import UserError


@pytest.fixture(scope="module")
def clf() -> IntentClassifier:
    return IntentClassifier.from_file()


@pytest.mark.parametrize(("text", "side", "amount", "pair", "price", "stop", "target"), [
    ("I should like to purchase 0.02 ether at 3,100, with a stop at 2,900.", "buy", "0.02", "ETH/USD", "3100",
     "2900", None),
    ("Kindly place a limit sell for 3 SOL at 180.50.", "sell", "3", "SOL/USD", "180.50", None, None),
    ("please put in a buy order for 0.5 eth at 3000", "buy", "0.5", "ETH/USD", "3000", None, None),
    ("place an order to sell 2 sol at 210", "sell", "2", "SOL/USD", "210", None, None),
    ("market buy 0.2 eth now", "buy", "0.2", "ETH/USD", None, None, None),
    ("limit sell 1 sol at 200", "sell", "1", "SOL/USD", "200", None, None),
    ("go long eth 0.5 with stop 2800 target 3600", "buy", "0.5", "ETH/USD", None, "2800", "3600"),
    ("open a long on sol 3", "buy", "3", "SOL/USD", None, None, None),
    ("Would you be so kind as to buy 0.02 ether for me?", "buy", "0.02", "ETH/USD", None, None, None),
    ("I wish to sell my 2 sol", "sell", "2", "SOL/USD", None, None, None),
    ("get 0.3 sol at market", "buy", "0.3", "SOL/USD", None, None, None),
])
def test_a_plain_or_polite_order_sentence_is_that_order(text: str, side: str, amount: str, pair: str,
                                                        price: str | None, stop: str | None,
                                                        target: str | None) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.name == side and cmd.order is not None
    spec = cmd.order
    assert (spec.amount, spec.pair) == (Decimal(amount), pair)
    assert spec.price == (Decimal(price) if price else None)
    assert spec.stop == (Decimal(stop) if stop else None)
    assert spec.target == (Decimal(target) if target else None)


def test_take_profit_then_sell_it_all_sells_the_whole_holding_of_that_coin() -> None:
    assert parse("take profit on dot, sell it all") == Command("sell_part", ("DOT/USD", "1"))
    assert parse("take profit on eth and sell everything") == Command("sell_part", ("ETH/USD", "1"))


@pytest.mark.parametrize("text", [
    "oops, could you cancel the order I just made?", "cancel my most recent order", "cancel the last order i placed",
])
def test_cancelling_the_order_just_placed_asks_which_one(text: str) -> None:
    with pytest.raises(UserError, match="cancel which order"):
        parse(text)


@pytest.mark.parametrize("text", [
    "I'm nervous, can you please close every position now?", "close every single trade", "close each position",
])
def test_close_every_trade_is_flatten_which_is_echoed(text: str) -> None:
    assert parse(text) == Command("flatten")


@pytest.mark.parametrize("text", [
    "I don't think so, can you close everything?",  # a negation in the preface: not read
    "honestly, the market is wild",
    "long time no see, how are you",
    "long story short, I lost my keys",
    "long story, I have 2 btc",
    "long 2 days ago i bought btc",
    "place a bet on the football",
    "I wonder, could you explain the stop loss?",
])
def test_look_alikes_suggest_no_money_action(text: str, clf: IntentClassifier) -> None:
    assert money_suggestion(text, clf) == ""


@pytest.mark.parametrize(("text", "args"), [
    ("daily loss limit 40", ("daily_loss", "40")), ("risk 0.5%", ("risk", "0.5%")),
    ("max position 15 percent", ("max_position", "15%")),
    ("please change time of report to 7 in the evening", ("report_time", "19:00")),
    ("set report time 9am", ("report_time", "09:00")), ("change the report time to 21:30", ("report_time", "21:30")),
])
def test_a_setting_named_with_its_value_is_set(text: str, args: tuple[str, str]) -> None:
    assert parse(text) == Command("set", args)


def test_a_bare_position_number_is_no_setting() -> None:
    assert parse("position 5") is None


@pytest.mark.parametrize(("text", "pair"), [
    ("What is the current price of Solana?", "SOL/USD"), ("tell me the latest price of ethereum now", "ETH/USD"),
    ("whats the price of dogecoin right now", "DOGE/USD"), ("how much is solana?", "SOL/USD"),
    ("how much is one ether worth right now", "ETH/USD"),
])
def test_a_price_question_naming_a_coin_is_price(text: str, pair: str) -> None:
    assert parse(text) == Command("price", (pair,))


def test_a_price_question_about_no_coin_is_free_text() -> None:
    assert parse("what is the price of freedom") is None
    assert parse("what is the current price of usd") is None
    assert parse("how much is my btc worth") is None  # a holding: the balance, not the price


def test_forget_rule_n_please_forgets_that_rule() -> None:
    assert parse("forget rule 2 please") == Command("forget_item", ("rule", "2"))


def test_no_new_positions_over_a_span_is_a_timed_pause() -> None:
    assert parse("please don't open any new trades this weekend") == Command("pause_until", ("until", "monday"))
    assert parse("do not take new positions until tomorrow") == Command("pause_until", ("until", "tomorrow"))


@pytest.mark.parametrize(("text", "amount", "pair"), [
    ("purchse 1 sol", "1", "SOL/USD"), ("plz buy 0.5 eth", "0.5", "ETH/USD"), ("buy 0.01btc", "0.01", "BTC/USD"),
    ("by 0.02 btc", "0.02", "BTC/USD"),
])
def test_typed_slips_of_a_buy_are_that_buy(text: str, amount: str, pair: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.name == "buy" and cmd.order is not None
    assert (cmd.order.amount, cmd.order.pair) == (Decimal(amount), pair)


@pytest.mark.parametrize("text", ["by 5 pm", "by 2 tomorrow", "by the way", "by 100 of them"])
def test_by_is_a_buy_only_before_an_amount_and_a_coin(text: str, clf: IntentClassifier) -> None:
    assert money_suggestion(text, clf) == ""


def test_closing_a_coin_closes_that_pair_and_closing_half_sells_half() -> None:
    assert parse("close the eth trade") == Command("flatten", ("ETH/USD",))
    assert parse("close my sol long") == Command("flatten", ("SOL/USD",))
    assert parse("close half my eth position") == Command("sell_part", ("ETH/USD", "0.5"))
    assert parse("close the trade") is None  # which one? never everything from a vague "the trade"


@pytest.mark.parametrize(("text", "pair"), [("buy 0.1 etherium", "ETH/USD"), ("buy 0.01 bitcon", "BTC/USD"),
                                            ("buy 2 solona", "SOL/USD")])
def test_the_coin_names_owners_misspell_most_are_read(text: str, pair: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.order is not None and cmd.order.pair == pair


def test_no_trading_today_is_a_timed_pause_but_one_coin_is_a_rule() -> None:
    assert parse("dont trade anymore today") == Command("pause_until", ("until", "tomorrow"))
    assert parse("don't trade doge today") == Command("remember", ("don't trade doge today",))


def test_sell_all_my_coins_is_flatten_which_is_echoed() -> None:
    assert parse("sell all my coins") == Command("flatten")


@pytest.mark.parametrize(("text", "amount", "pair"), [
    ("aping 0.5 sol", "0.5", "SOL/USD"), ("cop 1 sol", "1", "SOL/USD"), ("yolo 0.01 btc", "0.01", "BTC/USD"),
])
def test_buy_slang_with_an_amount_and_a_coin_is_that_buy(text: str, amount: str, pair: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.name == "buy" and cmd.order is not None
    assert (cmd.order.amount, cmd.order.pair) == (Decimal(amount), pair)


def test_throwing_dollars_at_a_coin_is_a_buy_in_dollars() -> None:
    cmd = parse("throw $50 at eth")
    assert cmd is not None and cmd.order is not None
    assert (cmd.order.quote_amount, cmd.order.pair) == (Decimal(50), "ETH/USD")


def test_make_order_buy_is_that_order() -> None:
    cmd = parse("make order buy 0.5 eth price 3000")
    assert cmd is not None and cmd.order is not None
    assert (cmd.order.amount, cmd.order.pair, cmd.order.price) == (Decimal("0.5"), "ETH/USD", Decimal(3000))


@pytest.mark.parametrize(("text", "kind"), [("plot my pnl", "pnl"), ("graph the equity curve", "equity"),
                                            ("draw me my profits", "pnl")])
def test_plot_my_pnl_is_the_chart(text: str, kind: str) -> None:
    assert parse(text) == Command("chart", (kind,))


@pytest.mark.parametrize("text", ["Could I please purchase 1 SOL?", "would it be possible to buy 1 sol",
                                  "is it ok if you buy 1 sol for me"])
def test_asking_leave_to_buy_an_amount_is_that_order(text: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.order is not None and cmd.order.pair == "SOL/USD"


def test_asking_leave_to_buy_without_an_amount_is_a_question_not_an_order(clf: IntentClassifier) -> None:
    assert money_suggestion("can i buy bitcoin?", clf) == ""
    assert money_suggestion("can i sell my eth?", clf) == ""


def test_cancel_all_of_my_outstanding_orders_cancels_all() -> None:
    assert parse("Would you cancel all of my outstanding orders, please?") == Command("cancel", ("all",))
