"""The analyzer's record in words (bot/text/learning.py): never a bare percentage."""

from __future__ import annotations

from bot.text.learning import group_line
from core.learning.analyzer import TradeAnalyzer
from tests.core.learning.helpers import MONDAY, SAMPLE, H, record


def test_a_groups_line_gives_n_the_interval_expectancy_and_profit_factor() -> None:
    overall = TradeAnalyzer().analyze(SAMPLE).overall
    assert group_line(overall) == (
        "overall: won 3 of 5 (60 %, 95 % CI 23–88 %), small sample; expectancy +0.60R; PF 2.50")


def test_a_record_without_a_loss_says_so_instead_of_an_infinite_profit_factor() -> None:
    rep = TradeAnalyzer().analyze([record(MONDAY, 1.0), record(MONDAY + 4 * H, 2.0)])
    assert group_line(rep.overall).endswith("PF n/a (no loss)")
