"""README "Configuration": "Every variable is listed with its default in .env.example".

Copying `.env.example` to `.env` must change nothing, and every variable the settings read must be
in it. It said ZYN_CHAT_JOURNAL_FLUSH_S=0.05 (the code's default is 0.25) and left out
ZYN_ORDER_GRACE_S, KRAKEN_CONDITIONAL_CLOSE and KRAKEN_EXECUTIONS, which the README names.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from bot.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
READERS = ("core/config.py", "core/strategy/module_settings.py", "bot/cli/fast_client.py")
NOT_ZYNS = {"NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "PAPER_BALANCE_USD"}  # the system's; the older name (README)
_READ = re.compile(r'\(env, "([A-Z][A-Z0-9_]+)"|env\.get\("([A-Z][A-Z0-9_]+)"|env\["([A-Z][A-Z0-9_]+)"\]')


def _example() -> dict[str, str]:
    lines = (REPO / ".env.example").read_text().splitlines()
    pairs = (ln.partition("=") for ln in lines if ln.strip() and not ln.lstrip().startswith("#"))
    return {k.strip(): v.strip() for k, _, v in pairs}


def test_copying_env_example_changes_no_setting() -> None:
    defaults = dataclasses.asdict(load_settings({}))
    copied = dataclasses.asdict(load_settings(_example()))
    # the two ways of saying the same thing: ZYN_PAIRS written out (then checked against the
    # exchange at start) and PAPER_BALANCE=10000, the default balance
    assert copied.pop("pairs_explicit") and copied.pop("paper_balance") == defaults.pop("paper_balance_usd")
    copied.pop("paper_balance_usd")
    assert {k: v for k, v in copied.items() if defaults.get(k) != v} == {}


def test_every_variable_the_settings_read_is_in_env_example() -> None:
    read = {name for path in READERS for m in _READ.finditer((REPO / path).read_text()) for name in m.groups() if name}
    assert read - NOT_ZYNS - set(_example()) == set()
