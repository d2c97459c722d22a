"""Feature flags and the modules' settings: parsing, defaults, persisted switches."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import load_settings
from core.domain import UserError
from core.strategy.features import FeatureSwitch, parse_feature_list, parse_features
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore


def test_all_modules_off_by_default_except_the_watchdog() -> None:
    assert parse_features("") == {"watchdog"}
    assert parse_features("universe, MTF ,profit_target") == {"universe", "mtf", "profit_target", "watchdog"}
    assert parse_features("mtf,-watchdog") == {"mtf"}
    with pytest.raises(UserError, match="unknown feature 'mtff'"):
        parse_features("mtff")


def test_backtest_feature_list_is_exactly_what_was_asked_in_a_fixed_order() -> None:
    assert parse_feature_list("profit_target,mtf") == ("mtf", "profit_target")
    assert parse_feature_list("") == ()
    with pytest.raises(UserError):
        parse_feature_list("mtf,turbo")


def test_a_switch_set_in_chat_survives_a_restart_and_wins_over_the_environment(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path}/f.db")
    first = FeatureSwitch({"mtf"}, KeyValueStore(db))
    assert first.enabled("mtf") and not first.enabled("universe")
    assert first.set("mtf", False) is True
    assert first.set("universe", True) is False
    again = FeatureSwitch({"mtf"}, KeyValueStore(db))  # another process / a restart
    assert again.states() == {"universe": True, "mtf": False, "profit_target": False, "watchdog": False}
    with pytest.raises(UserError):
        again.set("turbo", True)


def test_module_settings_come_from_the_environment_and_bad_ones_are_one_line() -> None:
    s = load_settings({
        "ZYN_FEATURES": "mtf,profit_target", "ZYN_TIMEFRAME": "1h", "ZYN_MTF_TIMEFRAMES": "4h",
        "ZYN_PROFIT_TARGET_PCT": "1.5%", "ZYN_SESSIONS": "07:00-21:00", "ZYN_UNIVERSE_QUOTE": "usdt",
        "ZYN_UNIVERSE_MIN_VOLUME_USD": "1000000", "ZYN_UNIVERSE_MAX_PAIRS": "12",
        "ZYN_UNIVERSE_DENY": "doge/usdt",
    })
    m = s.modules
    assert m.features == {"mtf", "profit_target", "watchdog"} and m.mtf_timeframes == ("4h",)
    assert m.profit_target_pct == pytest.approx(0.015) and m.sessions.describe() == "07:00-21:00 UTC"
    assert (m.universe.quote, m.universe.min_volume_usd, m.universe.max_pairs) == ("USDT", 1e6, 12)
    assert m.universe.deny == ("DOGE/USDT",)
    bad = [{"ZYN_FEATURES": "x"}, {"ZYN_MTF_TIMEFRAMES": "1h"}, {"ZYN_PROFIT_TARGET_PCT": "lots"},
           {"ZYN_SESSIONS": "morning"}, {"ZYN_UNIVERSE_MAX_PAIRS": "-3"}, {"ZYN_PROFIT_TARGET_ACTION": "panic"}]
    for env in bad:
        with pytest.raises(UserError) as err:
            load_settings(env)
        assert "\n" not in str(err.value) and next(iter(env)) in str(err.value)


class _CountingStore:
    """A JsonStore that counts reads (the features' overrides as chat set them)."""

    def __init__(self, value: object) -> None:
        self.value, self.reads = value, 0

    def get_json(self, key: str, default: object = None) -> object:
        self.reads += 1
        return self.value

    def set_json(self, key: str, value: object) -> None:
        self.value = value


def test_all_features_are_shown_from_one_read_of_the_overrides() -> None:
    store = _CountingStore({"universe": True, "mtf": False})
    switch = FeatureSwitch({"mtf", "watchdog"}, store)
    assert switch.states() == {"universe": True, "mtf": False, "profit_target": False, "watchdog": True}
    assert store.reads == 1  # issue 20.1: one lookup per status reply, not one per feature
    assert switch.on() == ("universe", "watchdog")
    assert store.reads == 2
