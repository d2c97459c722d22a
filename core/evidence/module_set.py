"""Which advanced modules the evidence record of a pair is computed with (issue 17 point 1).

Why: the gate must judge the strategy the autopilot actually trades. With `mtf` on, the entries
are the mtf-filtered ones, so the record is the kernel backtest's with the same modules; a change
of features (`set feature mtf on`) must start (or reuse) the record of the new set, never mix two.
Only the modules the kernel backtest applies count (they change which trades happen): `mtf`, and
`profit_target` with its trading sessions. The empty set is the plain strategy, today's record.
"""

from __future__ import annotations

from collections.abc import Callable

ModuleSet = frozenset[str]
PLAIN: ModuleSet = frozenset()
RECORD_MODULES = ("mtf", "profit_target")  # what core.kernel.modules.ModuleFlags applies in a backtest


def module_set(enabled: Callable[[str], bool]) -> ModuleSet:
    """The record's key from the feature switch as it is now (asked at each evaluation)."""
    return frozenset(m for m in RECORD_MODULES if enabled(m))


def describe(modules: ModuleSet) -> str:
    """`mtf, profit_target` in a fixed order (empty for the plain strategy)."""
    return ", ".join(m for m in RECORD_MODULES if m in modules)
