"""The one skill rule (the contract's `skill` row), for `--learn`, `--servant` and the learning switch.

Why one rule with a margin: when a learner skips nothing its return equals the control's up to
float rounding, and `learned > control_mean` said "skill" on a difference of 7e-16. Skill now
needs (1) at least one entry skipped or held in shadow, (2) the return above the control seeds'
mean by at least max(0.001, 2 x the standard error of that mean), and (3) above at least 95 % of
the seeds (19 of 20), each by more than float noise.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

SKILL_SHARE = 0.95
MIN_MARGIN = 0.001
NOISE = 1e-9  # a return "above" a seed by less than this is a tie (float rounding), not a win


def skill_margin(seed_returns: Sequence[float]) -> float:
    """How far above the control mean a return must be: max(0.001, 2 x SE of the seeds' mean)."""
    n = len(seed_returns)
    se = statistics.stdev(seed_returns) / math.sqrt(n) if n >= 2 else 0.0
    return max(MIN_MARGIN, 2.0 * se)


def seeds_beaten(value: float, seed_returns: Sequence[float]) -> int:
    return sum(1 for s in seed_returns if value > s + NOISE)


def has_skill(value: float, seed_returns: Sequence[float], skipped: int) -> bool:
    """The contract's rule on a return and the control seeds' returns (same units)."""
    n = len(seed_returns)
    if n == 0 or skipped < 1:
        return False
    mean = math.fsum(seed_returns) / n
    return (value - mean >= skill_margin(seed_returns)
            and seeds_beaten(value, seed_returns) >= math.ceil(SKILL_SHARE * n - 1e-9))
