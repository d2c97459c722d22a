"""The bad-day property test at its CI size (issue 19): random owner actions and autopilot candles
through a live-mode Zyn against the Kraken sim's seeded fault schedule; the checks after every
step are in `tests/reliability/bad_day.py`. Order path: ZYN_EVIDENCE=off (set in its rig).
Derandomized, so CI runs the same sequences every time; a failure prints the hypothesis steps
(with the schedule's seed) and every fault the schedule dealt. Run it longer with
`python -m tests.reliability.bad_day --examples 500`."""

from __future__ import annotations

from hypothesis import seed, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.reliability.bad_day import CI_SETTINGS, KINDS, STATS, TALLY, BadDayMachine, table_rows
from tests.reliability.table import publish

# Extra passes, each two sequences under a fixed hypothesis seed, run only while some fault kind
# was not dealt yet: the schedule follows the order of the private requests, and background threads
# (the sockets' reconnects, the executions stream) move it a little from run to run, so a kind the
# derandomized sequences deal once (fake_accept) may miss a run.
EXTRA_SEEDS = (1, 2, 3)
EXTRA_SETTINGS = settings(CI_SETTINGS, max_examples=2, derandomize=False)


def test_money_stays_safe_through_a_seeded_bad_day() -> None:
    TALLY.clear()
    STATS.clear()
    run_state_machine_as_test(BadDayMachine, settings=CI_SETTINGS)
    for extra in EXTRA_SEEDS:
        if all(kind in TALLY for kind in KINDS):
            break
        seed(extra)(lambda: run_state_machine_as_test(BadDayMachine, settings=EXTRA_SETTINGS))()
    assert STATS["steps"] >= 25 and STATS["stale attempts"] >= 10, STATS
    missing = [kind for kind in KINDS if kind not in TALLY]
    print({kind: row["dealt"] for kind, row in TALLY.items()}, dict(STATS))
    assert not missing, f"the CI run dealt no {missing}: its schedule no longer covers every fault"
    publish("bad_day", table_rows())
