"""The learning switch: the learner may gate live entries only while its latest walk-forward shows skill.

Why: a learner that has not beaten "skip the same share of entries at random" out of sample
(bench/results/learner_protocol*.md) is noise with a veneer of reason; trading the plain
strategy is then the honest choice. The switch holds the latest verdict, its evidence (the
pooled walk-forward summary) and its date; it is off until a walk-forward has proved skill, and
a gate asked while it is off lets the plain strategy trade and says why, so every decision
records the switch. The verdict is stored in the kv table so every process sees the same one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.strategy.port import Gate, GateFn, SignalContext
from core.telemetry.kv import KeyValueStore

KV_KEY = "learning_switch"
MIN_PAIRS = 10  # the scheduled check never judges fewer pairs (issue 17 point 5)


@dataclass(frozen=True)
class SwitchState:
    on: bool = False
    reason: str = "learning is off: no walk-forward has shown skill yet, so I trade the plain strategy"
    checked_ms: int | None = None
    variant: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)  # the walk-forward summary + sizes

    def checked_at(self) -> str | None:
        if self.checked_ms is None:
            return None
        return datetime.fromtimestamp(self.checked_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def public(self) -> dict[str, Any]:
        """The `learning` part of `status`."""
        return {
            "on": self.on,
            "reason": self.reason,
            "checked_at": self.checked_at(),
            "variant": self.variant or None,
            "evidence": self.evidence,
        }


def verdict(  # noqa: PLR0913
    summary: dict[str, Any], pairs: int, signals: int, skipped: int, variant: str, now_ms: int,
    live_variant: str | None = None,
) -> SwitchState:
    """The switch after a walk-forward: on exactly when the contract's skill rule is met (the
    summary's `skill`, core.evidence.skill) on at least MIN_PAIRS pairs, by the model that runs
    live (`live_variant`, when given, must be the judged `variant`)."""
    evidence = {**summary, "pairs": pairs, "signals": signals, "skipped": skipped}
    if pairs < MIN_PAIRS:
        return not_enough_pairs(pairs, now_ms, variant, evidence)
    learned, control = summary.get("learned_return"), summary.get("control_return")
    beaten, seeds = summary.get("seeds_beaten"), summary.get("control_seeds")
    figures = (
        f"learned {_pct(learned)} vs random skips {_pct(control)} on average over {pairs} pairs, "
        f"above {beaten} of {seeds} random-skip runs"
    )
    if summary.get("skill") and live_variant not in (None, variant):
        return SwitchState(
            False,
            f"learning off: the judged model {variant} shows skill ({figures}), but the live learner is "
            f"{live_variant}, which was not judged, so I trade the plain strategy",
            now_ms, variant, evidence,
        )
    if summary.get("skill") and skipped > 0:
        return SwitchState(True, f"learning on: walk-forward shows skill ({figures})", now_ms, variant, evidence)
    return SwitchState(
        False,
        f"learning off: walk-forward shows no skill ({figures}; the bar is 95 %), so I trade the plain strategy",
        now_ms,
        variant,
        evidence,
    )


def not_enough_pairs(pairs: int, now_ms: int, variant: str, evidence: dict[str, Any] | None = None) -> SwitchState:
    """Fewer than MIN_PAIRS pairs: no verdict at all, learning stays off."""
    return SwitchState(
        False,
        f"learning off: not enough pairs to judge ({pairs}; at least {MIN_PAIRS}: the traded pairs or "
        "ZYN_LEARN_DATA), so I trade the plain strategy",
        now_ms, variant, evidence or {"pairs": pairs},
    )


def _pct(x: Any) -> str:
    return f"{100 * x:+.2f} %" if isinstance(x, int | float) else "n/a"


def load_switch(kv: KeyValueStore) -> SwitchState:
    data = kv.get_json(KV_KEY)
    if not isinstance(data, dict):
        return SwitchState()
    return SwitchState(
        bool(data.get("on")),
        str(data.get("reason") or SwitchState().reason),
        data.get("checked_ms"),
        str(data.get("variant") or ""),
        dict(data.get("evidence") or {}),
    )


def save_switch(kv: KeyValueStore, state: SwitchState) -> None:
    kv.set_json(KV_KEY, asdict(state))


@dataclass
class SwitchedGate:
    """The GateFn the autopilot calls: the learner's verdict while the switch is on, else plain."""

    state: Callable[[], SwitchState]
    learner_gate: GateFn | None

    def __call__(self, ctx: SignalContext) -> Gate:
        state = self.state()
        if not state.on or self.learner_gate is None:
            why = state.reason if not state.on else "learning on, but no model is loaded"
            return Gate(True, 1.0, None, why)
        return self.learner_gate(ctx)
