from decimal import Decimal

import pytest

from bot.conversation.parser import Command, is_no, is_yes, parse, parse_number
from core.domain import UserError


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("buy 0.01 btc", "BTC/USD"),
        ("buy 0.01 BTCUSD", "BTC/USD"),
        ("buy 0.01 XBT/USD", "BTC/USD"),
        ("buy 0.01 xbtusd", "BTC/USD"),
        ("buy 0.01 XXBTZUSD", "BTC/USD"),
        ("buy 0.01 btc-usd", "BTC/USD"),
        ("buy 0.01 BTC USD", "BTC/USD"),
        ("buy 0.5 eth/eur", "ETH/EUR"),
        ("buy btc 0.01", "BTC/USD"),
    ],
)
def test_forgiving_pairs(text: str, pair: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.order is not None
    assert cmd.order.pair == pair


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("status", "status", ()),
        ("/STATUS", "status", ()),
        ("/status@ZynBot", "status", ()),
        ("Status?", "status", ()),
        ("balances", "balance", ()),
        ("pnl", "pnl", ()),
        ("PnL week", "pnl", ("week",)),
        ("pnl this week", "pnl", ("week",)),
        ("pnl all", "pnl", ("all",)),
        ("trades", "trades", ("10",)),
        ("trades 5", "trades", ("5",)),
        ("cancel all", "cancel", ("all",)),
        ("/cancel OABC12-XYZ", "cancel", ("OABC12-XYZ",)),
        ("why 12", "why", ("12",)),
        ("why #12", "why", ("12",)),
        ("why", "why", ()),
        ("why skip", "why", ("skip",)),
        ("backtest eth", "backtest", ("ETH/USD",)),
        ("set alerts stop_hit off", "set", ("alerts", "stop_hit", "off")),
        ("alerts stop_hit off", "set", ("alerts", "stop_hit", "off")),
        ("report week", "report", ("week",)),
        ("report", "report", ("week",)),
        ("YES", "yes", ()),
        ("/no", "no", ()),
        ("start", "help", ()),
    ],
)
def test_commands(text: str, name: str, args: tuple[str, ...]) -> None:
    assert parse(text) == Command(name, args)


def test_full_order() -> None:
    cmd = parse("/Buy 0.01 XBT/USD at 61,000 sl 59000 tp=65000")
    assert cmd is not None and cmd.order is not None
    o = cmd.order
    assert (o.side, o.amount, o.pair) == ("buy", Decimal("0.01"), "BTC/USD")
    assert (o.price, o.stop, o.target) == (Decimal("61000"), Decimal("59000"), Decimal("65000"))
    assert parse("sell 1 eth @3100").order.price == Decimal("3100")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text", ["how am I doing this week?", "why did you buy?", "pause the bot please", "hello"]
)
def test_sentences_are_free_text(text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("-1", "more than zero"),
        ("0", "more than zero"),
        ("1e9", "too large"),
        ("abc", "not a number"),
        ("nan", "finite"),
        ("inf", "finite"),
        ("-inf", "finite"),
        ("sNaN", "finite"),
        ("1,5", "not a number"),
    ],
)
def test_bad_amounts(raw: str, fragment: str) -> None:
    with pytest.raises(UserError, match=fragment):
        parse(f"buy {raw} btc")
    with pytest.raises(UserError, match=fragment):
        parse_number(raw)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("buy", "usage"),
        ("buy 0.01", "usage"),
        ("buy 0.01 $$$", "pair"),
        ("buy 0.01 btc at", "needs a price"),
        ("buy 0.01 btc at 100 at 200", "twice"),
        ("buy 0.01 btc foo 3", "don't understand"),
        ("buy 0.01 btc at 60000 sl 61000", "stop"),
        ("buy 0.01 btc at 60000 tp 59000", "target"),
        ("buy 0.01 btc at -5", "more than zero"),
        ("trades 0", "1 to 100"),
        ("trades 1e9", "1 to 100"),
        ("cancel", "cancel what"),
        ("cancel a;b", "not an order id"),
        ("pnl soon", "today, week or all"),
        ("backtest", "which pair"),
        ("set alerts", "usage"),
        ("report month", "week or today"),
    ],
)
def test_bad_commands_are_one_clear_line(text: str, fragment: str) -> None:
    with pytest.raises(UserError, match=fragment) as info:
        parse(text)
    assert "\n" not in str(info.value)


def test_yes_no_detection() -> None:
    assert is_yes("yes") and is_yes("/YES") and is_yes("y") and is_yes("yes!")
    assert not is_yes("yes please") and not is_yes("yesterday")
    assert is_no("no") and is_no("N") and not is_no("nope, buy more")


def test_flatten_takes_an_optional_pair_and_leaves_other_words_to_the_free_text_engine() -> None:
    assert parse("flatten") == Command("flatten") and parse("flatten all positions") == Command("flatten")
    assert parse("flatten btc") == Command("flatten", ("BTC/USD",))
    assert parse("flatten my ETH USD position") == Command("flatten", ("ETH/USD",))
    assert parse("flatten whatever you hold") is None
