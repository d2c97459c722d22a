"""The learning switch: off until a walk-forward shows skill; while off, the plain strategy trades."""

from __future__ import annotations

from core.domain import Candle
from core.learning.switch import SwitchedGate, SwitchState, load_switch, save_switch, verdict
from core.strategy.pinned import Gate, SignalContext
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore

CTX = SignalContext("BTC/USD", Candle(0, 1.0, 1.0, 1.0, 1.0, 1.0), 1.0, 0.1, 1000.0)
DENY = Gate(False, 1.0, 3, "Asia session: -0.40R over 80 trades")


def _summary(skill: bool, beaten: int) -> dict[str, object]:
    return {"baseline_return": -0.12, "learned_return": -0.07, "control_return": -0.10, "control_seeds": 20,
            "seeds_beaten": beaten, "skill": skill, "baseline_max_drawdown": 0.2, "learned_max_drawdown": 0.18}


def test_default_is_off_and_the_gate_lets_the_plain_strategy_trade_and_says_why() -> None:
    kv = KeyValueStore(make_engine("sqlite://"))
    state = load_switch(kv)
    assert not state.on and state.checked_at() is None
    verdict_ = SwitchedGate(lambda: load_switch(kv), lambda ctx: DENY)(CTX)
    assert verdict_.allow and verdict_.factor == 1.0 and "learning is off" in verdict_.note


def test_no_skill_keeps_it_off_with_its_evidence_and_date() -> None:
    kv = KeyValueStore(make_engine("sqlite://"))
    save_switch(kv, verdict(_summary(False, 17), 12, 966, 195, "V0", 1_764_460_800_000))
    state = load_switch(kv)
    assert not state.on and state.checked_at() == "2025-11-30T00:00:00Z"
    assert "above 17 of 20 random-skip runs" in state.reason and "plain strategy" in state.reason
    assert state.public()["evidence"]["signals"] == 966
    assert SwitchedGate(lambda: load_switch(kv), lambda ctx: DENY)(CTX).allow


def test_skill_switches_the_learners_gate_on() -> None:
    kv = KeyValueStore(make_engine("sqlite://"))
    save_switch(kv, verdict(_summary(True, 20), 12, 966, 195, "V0", 1))
    assert load_switch(kv).on
    assert SwitchedGate(lambda: load_switch(kv), lambda ctx: DENY)(CTX) == DENY
    # on, but no model loaded yet: still the plain strategy
    assert SwitchedGate(lambda: load_switch(kv), None)(CTX).allow


def test_state_round_trips() -> None:
    kv = KeyValueStore(make_engine("sqlite://"))
    state = SwitchState(True, "learning on: x", 5, "L-a", {"skill": True})
    save_switch(kv, state)
    assert load_switch(kv) == state


def test_fewer_than_ten_pairs_are_not_judged_and_learning_stays_off() -> None:
    state = verdict(_summary(True, 20), 9, 966, 195, "G-b", 1)
    assert not state.on and "not enough pairs to judge" in state.reason


def test_skill_of_a_model_that_does_not_run_live_does_not_turn_learning_on() -> None:
    state = verdict(_summary(True, 20), 12, 966, 195, "G-b", 1, live_variant="V0")
    assert not state.on and "not judged" in state.reason
    assert verdict(_summary(True, 20), 12, 966, 195, "G-b", 1, live_variant="G-b").on


def test_skill_without_a_single_skipped_entry_is_not_skill() -> None:
    assert not verdict(_summary(True, 20), 12, 966, 0, "V0", 1).on
