"""Standing instructions: plain sentences -> rules, and which rule forbids an entry."""

from __future__ import annotations

import pytest

from core.trading.rules import EntryContext, Rule, blocking_rule, parse_rule

SAT_10H = 1_717_236_000_000  # 2024-06-01 10:00 UTC, a Saturday
MON_23H = 1_717_455_600_000  # 2024-06-03 23:00 UTC, a Monday
MON_12H = 1_717_416_000_000  # 2024-06-03 12:00 UTC


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("don't trade on weekends", "no_weekends", ""),
        ("I don't want to trade on weekends", "no_weekends", ""),
        ("no trading on saturdays and sundays", "no_weekends", ""),
        ("no new trades after 22:00", "no_entries_after", "22:00"),
        ("don't open trades after 10pm", "no_entries_after", "22:00"),
        ("never more than 2 positions", "max_positions", "2"),
        ("never hold more than 3 open positions", "max_positions", "3"),
        ("stop trading ETH", "skip_pair", "ETH/USD"),
        ("don't trade sol/usd", "skip_pair", "SOL/USD"),
    ],
)
def test_sentences_become_rules(text: str, kind: str, value: str) -> None:
    rule = parse_rule(text)
    assert rule is not None and (rule.kind, rule.value, rule.text) == (kind, value, text)


@pytest.mark.parametrize(
    "text", ["stop trading", "trade on weekends", "I like ETH", "more than 2 positions", "don't buy anything"]
)
def test_other_sentences_are_not_rules(text: str) -> None:
    assert parse_rule(text) is None


def _ctx(when: int, pair: str = "BTC/USD", held: int = 0, tz: str = "UTC") -> EntryContext:
    return EntryContext(pair, when, tz, held)


def test_each_rule_blocks_only_its_case() -> None:
    weekend = Rule("no_weekends", "", "no weekends")
    late = Rule("no_entries_after", "22:00", "not after 22:00")
    most = Rule("max_positions", "2", "max 2")
    eth = Rule("skip_pair", "ETH/USD", "stop ETH")
    rules = [weekend, late, most, eth]
    assert blocking_rule(rules, _ctx(SAT_10H)) == weekend
    assert blocking_rule(rules, _ctx(MON_23H)) == late
    assert blocking_rule(rules, _ctx(MON_12H, held=2)) == most
    assert blocking_rule(rules, _ctx(MON_12H, pair="ETH/USD")) == eth
    assert blocking_rule(rules, _ctx(MON_12H, held=1)) is None


def test_rules_read_the_owners_time_zone() -> None:
    late = [Rule("no_entries_after", "22:00", "not after 22:00")]
    assert blocking_rule(late, _ctx(MON_12H, tz="Australia/Brisbane")) == late[0]  # 22:00 there
    assert blocking_rule(late, _ctx(MON_23H, tz="America/New_York")) is None  # 19:00 there
