"""Settings, standing rules, remembered facts, quote-currency orders, price/time/kill-switch."""

from collections.abc import Callable
from decimal import Decimal

from bot.conversation.envelope import Reply
from bot.owner.settings import OwnerSettings, StandingMemory
from core.strategy.risk import RiskConfig
from core.telemetry.kv import KeyValueStore
from tests.fakes.services import FakeTrading

Say = Callable[..., Reply]


def test_buy_in_dollars_is_sized_from_the_price_and_echoed(say: Say, trading: FakeTrading) -> None:
    reply = say("buy $100 of BTC")
    assert reply.kind == "confirm"
    assert reply.row_dict()["Size"] == "0.00163934 BTC"  # 100 / 61,000 rounded down to 8 decimals
    say("yes")
    req = trading.calls[0][1]
    assert (req.side, req.amount, req.pair) == ("buy", Decimal("0.00163934"), "BTC/USD")


def test_buy_in_usd_words(say: Say, trading: FakeTrading) -> None:
    assert say("buy 100 USD of ETH").row_dict()["Size"] == "0.03333333 ETH"
    assert say("buy 100 usd worth of eth").row_dict()["Size"] == "0.03333333 ETH"
    assert trading.calls == []


def test_settings_are_set_within_bounds_and_shown_in_status(say: Say, kv: KeyValueStore) -> None:
    assert say("set risk 0.5%").text == "Risk per trade set to 0.5 %."
    assert say("set max position 20%").text == "Max position size set to 20 %."
    assert say("set daily loss 2%").text == "Daily loss limit set to 2 %."
    assert say("set cooloff 4").text == "Cool-off length set to 4 candles."
    assert say("set pair ETH off").text.startswith("ETH/USD off")
    assert say("set quiet hours 22:00-07:00").text.startswith("Quiet hours 22:00-07:00")
    rows = say("status").row_dict()
    assert rows["Risk per trade"] == "0.5 %" and rows["Max position size"] == "20 %"
    assert rows["Pairs off"] == "ETH/USD" and rows["Quiet hours"] == "22:00-07:00"
    cfg = OwnerSettings(kv).risk(RiskConfig())
    assert (cfg.risk_per_trade, cfg.max_position_frac, cfg.daily_loss_limit, cfg.cooloff_candles) == (
        0.005,
        0.2,
        0.02,
        4,
    )


def test_a_setting_out_of_bounds_is_refused_in_one_line(say: Say) -> None:
    reply = say("set risk 5%")
    assert reply.kind == "error" and "\n" not in reply.text
    assert reply.text == "Risk per trade must be between 0.1 % and 2 %; kept 1 %"
    assert say("set cooloff 2.5").kind == "error"
    assert say("set pair DOGE off").text.startswith("DOGE/USD is not one of the traded pairs")
    assert say("settings").row_dict()["Risk per trade"] == "1 %"


def test_standing_instructions_become_rules_and_can_be_forgotten(say: Say, kv: KeyValueStore) -> None:
    assert say("remember that I don't want to trade on weekends").title == "Rule kept"
    assert say("no new trades after 22:00").text.startswith("Rule 2 kept: no new trades from 22:00")
    assert say("never more than 2 positions").text.startswith("Rule 3 kept")
    assert say("stop trading ETH").text.startswith("Rule 4 kept: no new ETH/USD trades")
    listed = say("rules")
    assert [r[0] for r in listed.rows] == ["1", "2", "3", "4"]
    assert [r.kind for r in StandingMemory(kv).rules()] == [
        "no_weekends",
        "no_entries_after",
        "max_positions",
        "skip_pair",
    ]
    assert say("forget rule 1").text.startswith("Forgot rule 1 (I don't want to trade on weekends)")
    assert say("forget rule 9").text == "There is no rule 9 (rules: 2, 3, 4)"
    assert len(StandingMemory(kv).rules()) == 3
    # issue 22.9: numbers are stable — rule 2 is still rule 2, and a new rule never takes a freed number
    assert [r[0] for r in say("rules").rows] == ["2", "3", "4"]
    assert say("forget rule 4").text.startswith("Forgot rule 4 (stop trading ETH)")
    assert say("don't trade on weekends").text.startswith("Rule 5 kept")
    assert [r[0] for r in say("rules").rows] == ["2", "3", "5"]


def test_stop_trading_without_a_pair_pauses_instead(say: Say, trading: FakeTrading) -> None:
    say("stop trading")
    assert [c[0] for c in trading.calls] == ["pause"]


def test_facts_are_kept_apart_from_the_conversation(say: Say) -> None:
    assert say("remember that I prefer ETH").title == "Remembered"
    memory = say("memory")
    assert ("fact 1", "I prefer ETH") in memory.rows
    say("forget")  # the conversation is forgotten; the facts and rules are not
    assert ("fact 1", "I prefer ETH") in say("memory").rows
    assert say("forget fact 1").text == "Forgot fact 1 (I prefer ETH)."
    assert say("memory").rows == []


def test_price_time_and_kill_switch(say: Say) -> None:
    assert say("price BTC").text == "BTC/USD is at 61,000.0 (last trade)."
    assert say("what's the price of ETH?").text.startswith("ETH/USD is at 3,000.00 (last trade).")
    assert say("what time is it?").text.startswith("It is Saturday 01 June 2024, 12:00 (UTC).")
    assert "not tripped" in say("kill switch").text


def test_unsure_actions_are_asked_not_run(say: Say, trading: FakeTrading) -> None:
    reply = say("pau")  # an unsure guess of pause (issue 22.8 grew the phrase set: "halp" is no longer near a command)
    assert reply.text.startswith("Did you mean `") and trading.calls == []
    assert say("asdf qwer").text.startswith("Sorry jimmy, I didn't understand")


def test_every_setting_is_shown_from_one_read_and_as_each_is_shown_alone(kv: KeyValueStore) -> None:
    owner = OwnerSettings(kv)
    owner.set_value("risk", "0.7%")
    owner.set_value("cooloff", "6")
    shown = owner.displays()
    assert shown == {name: owner.display(name) for name in shown}
    assert shown["risk"] == "0.7 %" and shown["cooloff"] == "6 candles"
