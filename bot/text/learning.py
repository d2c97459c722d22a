"""The trade analyzer's figures in words (issue 18: core returns data, bot words it).

Why here: `core.learning.analyzer.GroupStats` is a group's record as numbers (n, wins and their
Wilson interval, expectancy R, profit factor); the line the owner and the agent read is made
here, and never states a bare percentage: n and the interval are always there.
"""

from __future__ import annotations

from core.learning.analyzer import SMALL_SAMPLE, GroupStats
from core.learning.stats import rate_text


def group_line(g: GroupStats) -> str:
    """'overall: won 3 of 5 (60 %, 95 % CI 23–88 %), small sample; expectancy +0.60R; PF 2.50'."""
    label = "overall" if g.dimension == "all" else f"{g.dimension}={g.value}"
    exp = "n/a" if g.expectancy_r is None else f"{g.expectancy_r:+.2f}R"
    pf = "n/a (no loss)" if g.profit_factor is None else f"{g.profit_factor:.2f}"
    return f"{label}: won {rate_text(g.wins, g.n, SMALL_SAMPLE)}; expectancy {exp}; PF {pf}"
