"""The bad-day property test at its CI size (issue 19): random owner actions and autopilot candles
through a live-mode Zyn against the Kraken sim's seeded fault schedule; the checks after every
step are in `tests/reliability/bad_day.py`. Order path: ZYN_EVIDENCE=off (set in its rig).
Run it longer with `python -m tests.reliability.bad_day --examples 500`."""

from __future__ import annotations

from tests.reliability.bad_day import CI_SETTINGS, BadDayMachine

TestBadDay = BadDayMachine.TestCase
TestBadDay.settings = CI_SETTINGS
