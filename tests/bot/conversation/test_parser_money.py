"""Plain money phrasings (bot/conversation/parser_money.py): verb slips and idioms read into the
strict order grammar, and the innocent look-alikes that must stay free text (the safety rule)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.conversation.intents import IntentClassifier
from bot.conversation.offline_engine import money_suggestion, pause_command, read
from bot.conversation.parser import parse
from bot.conversation.parser_money import fix_verb_slip, money_idiom
from bot.conversation.parser_plain import number_words


@pytest.fixture(scope="module")
def clf() -> IntentClassifier:
    return IntentClassifier.from_file()


@pytest.mark.parametrize(("text", "fixed"), [
    ("byu 0.01 btc", "buy 0.01 btc"), ("sel 0.1 eth", "sell 0.1 eth"), ("sll 0.2 eth", "sell 0.2 eth"),
    ("cancell the pending order", "cancel the pending order"), ("flaten everything", "flatten everything"),
    ("bye 0.01 btc", "bye 0.01 btc"), ("set risk 1%", "set risk 1%"), ("see you", "see you"),
    ("but 0.1 btc is too much", "but 0.1 btc is too much"), ("bud 1 eth", "bud 1 eth"), ("sill 1 eth", "sill 1 eth"),
    ("nuy 0.01 btc", "buy 0.01 btc"),
])
def test_a_one_letter_slip_of_a_money_verb_is_that_verb_but_real_words_stay(text: str, fixed: str) -> None:
    assert fix_verb_slip(text) == fixed


@pytest.mark.parametrize(("text", "command"), [
    ("add 0.05 eth to my position", "buy 0.05 eth"),
    ("put 100 quid into bitcoin", "buy 100 GBP of bitcoin"),
    ("invest $1000 in bitcoin", "buy 1000 USD of bitcoin"),
    ("grab me 0.01 btc", "buy 0.01 btc"),
    ("cash out my ethereum", "sell all my ethereum"),
    ("get rid of my doge", "sell all my doge"),
    ("take profit on half the eth", "sell half the eth"),
    ("get rid of the resting order on sol", "cancel the resting order on sol"),
    ("go flat", "flatten"),
    ("go flat now", "flatten"),
    ("panic sell everything", "flatten"),
    ("liquidate", "flatten"),
    ("i want out of everything", "flatten"),
])
def test_money_idioms_become_the_canonical_command(text: str, command: str) -> None:
    assert money_idiom(text) == command


@pytest.mark.parametrize("text", [
    "get rid of the old logs", "dump the database to a file", "go flat out on the motorway", "grab a coffee",
    "get 2 coffees", "put 5 minutes into this", "take profit on what?", "cash out is a weird phrase",
    "pick up milk", "put 10 on red", "but 0.1 btc is too much", "bug in the eth price?", "i want out",
    "i want out of this job", "liquidate the company",
])
def test_look_alikes_are_no_money_command(text: str, clf: IntentClassifier) -> None:
    assert money_idiom(text) is None or parse(text) is None
    assert money_suggestion(text, clf) == ""


def test_idioms_parse_to_orders_that_still_need_the_echo() -> None:
    add = parse("add 0.05 eth to my position")
    assert add is not None and add.order is not None and add.order.amount == Decimal("0.05")
    assert add.order.pair == "ETH/USD" and add.order.side == "buy"
    quid = parse("put 100 quid into bitcoin")
    assert quid is not None and quid.order is not None and quid.order.pair == "BTC/GBP"
    assert quid.order.quote_amount == Decimal("100")
    out = parse("cash out my ethereum")
    assert out is not None and (out.name, out.args) == ("sell_part", ("ETH/USD", "1"))
    slip = parse("sel 0.1 eth")
    assert slip is not None and slip.order is not None and slip.order.side == "sell"
    assert parse("go flat") is not None and parse("go flat").name == "flatten"  # type: ignore[union-attr]


@pytest.mark.parametrize(("words", "value"), [
    ("two hundred", "200"), ("a hundred", "100"), ("two hundred and fifty", "250"), ("five thousand", "5000"),
    ("one and a half", "1.5"), ("twenty five", "25"), ("half a", "0.5"),
])
def test_number_words_multiply_by_hundred_and_thousand(words: str, value: str) -> None:
    assert number_words(words.split()) == Decimal(value)


def test_spelled_amounts_and_trailing_please_in_orders() -> None:
    spent = parse("buy two hundred dollars of btc")
    assert spent is not None and spent.order is not None and spent.order.quote_amount == Decimal("200")
    polite = parse("buy 0.5 ether please")
    assert polite is not None and polite.order is not None and polite.order.amount == Decimal("0.5")
    vague = parse("buy sum btc")
    assert vague is not None and vague.name == "ask_amount"


@pytest.mark.parametrize(("text", "name"), [
    ("learn again", "learn"), ("relearn from my trades", "learn"), ("re-run learning", "learn"),
    ("retrain yourself", "learn"), ("exchange status", "market_open"), ("kraken status", "market_open"),
    ("is the crypto market closed on weekends", "market_open"), ("can i trade on sunday", "market_open"),
    ("forget that I like eth", "memory"),
])
def test_plain_phrasings_of_argumentless_commands(text: str, name: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.name == name


def test_start_alone_is_help_but_start_trading_again_is_a_sentence() -> None:
    assert parse("/start") is not None and parse("/start").name == "help"  # type: ignore[union-attr]
    assert parse("start trading again") is None


@pytest.mark.parametrize(("text", "command"), [
    ("hold off trading till 6pm", "pause until 18:00"), ("take a break for an hour", "pause for 60 minutes"),
    ("hold off until tomorrow morning", "pause until tomorrow morning"), ("have a rest", "pause"),
])
def test_a_free_text_pause_keeps_its_time(text: str, command: str) -> None:
    assert pause_command(text) == command
    cmd = parse(command)
    assert cmd is not None and cmd.name == ("pause" if command == "pause" else "pause_until")


@pytest.mark.parametrize(("text", "intent"), [
    ("how much BTC do I own", "balance"), ("how much doge do i own", "balance"),
    ("what's the weather like in berlin", None), ("who won the match last night", None),
    ("how do I do on mondays", "stats"), ("my best trade", "trades"), ("which coin is my biggest loser", "stats"),
    ("how are you feeling", "smalltalk"),
])
def test_holdings_and_off_topic_sentences_are_not_read_as_stats(text: str, intent: str | None,
                                                                 clf: IntentClassifier) -> None:
    assert read(text, clf)[0] == intent


@pytest.mark.parametrize(("text", "name"), [
    ("halp", "help"), ("tiem", "time"), ("postions", "positions"), ("ordres", "orders"), ("stauts", "status"),
])
def test_a_one_word_slip_of_a_command_is_that_command(text: str, name: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.name == name


@pytest.mark.parametrize("text", ["state", "cause", "chat", "hello", "helo", "tide", "nice", "later", "pasue"])
def test_english_words_and_actions_are_no_command_slip(text: str) -> None:
    cmd = parse(text)
    assert cmd is None or cmd.name not in ("stats", "pause", "chart", "help", "time")


@pytest.mark.parametrize(("text", "args"), [
    ("change my risk to 1 percent", ("risk", "1%")), ("lower the risk to 0.5%", ("risk", "0.5%")),
    ("change the report time to 20:00", ("report_time", "20:00")),
    ("raise max position to 25%", ("max_position", "25%")),
    ("make my risk one and a half percent", ("risk", "1.5%")), ("set time zone Europe/London", ("tz", "Europe/London")),
    ("call me jim", ("name", "Jim")),
])
def test_plain_setting_changes_are_the_set_command(text: str, args: tuple[str, ...]) -> None:
    cmd = parse(text)
    assert cmd is not None and (cmd.name, cmd.args) == ("set", args)


@pytest.mark.parametrize("text", ["make me a coffee", "change the channel to 5", "trade again"])
def test_sentences_that_name_no_setting_stay_free_text(text: str) -> None:
    assert parse(text) is None


def test_text_speak_reads_like_the_words(clf: IntentClassifier) -> None:
    assert read("y did u buy eth", clf)[0] == "why"
    assert read("wat r my positions rn", clf)[0] == "positions"


def test_pnl_chart_is_the_pnl_chart_and_how_does_this_work_is_no_servant_question() -> None:
    chart = parse("pnl chart")
    assert chart is not None and (chart.name, chart.args) == ("chart", ("pnl",))
    assert parse("how does this work") is None  # help, from the classifier
    would = parse("would mtf help")
    assert would is not None and would.args == ("would", "mtf")


@pytest.mark.parametrize(("text", "pair"), [("trade bitcoin anyway", "BTC/USD"), ("trade xbt anyway", "BTC/USD"),
                                            ("trade BTC anyway", "BTC/USD"), ("trade ether anyway", "ETH/USD"),
                                            ("trade ethereum/eur anyway", "ETH/EUR")])
def test_trade_anyway_knows_the_asset_names_the_chat_knows(text: str, pair: str) -> None:
    cmd = parse(text)
    named_quote = ("explicit",) if "/" in text else ()  # a pair typed with its quote must be that pair
    assert cmd is not None and (cmd.name, cmd.args) == ("trade_anyway", (pair, *named_quote))


def test_why_not_trading_bitcoin_asks_about_btc() -> None:
    cmd = parse("why aren't you trading bitcoin?")
    assert cmd is not None and cmd.args == ("why_not", "BTC/USD")
