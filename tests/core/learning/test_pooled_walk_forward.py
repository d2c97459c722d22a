"""The pooled walk-forward: models see only earlier trades of every pair; the control is honest."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domain import UserError
from core.evidence.skill import has_skill, seeds_beaten
from core.learning.pooled_data import load_folder
from core.learning.pooled_walk_forward import pooled_walk_forward


def test_pooled_models_train_on_earlier_trades_of_all_pairs_and_gate(data_dir: Path) -> None:
    uni = load_folder(data_dir / "kraken_cdd", "4h")
    res = pooled_walk_forward(uni.data, "4h", folds=5, seeds=2, variant="L-a")
    assert len(res.pairs) == 4 and res.trained_until
    for cutoff, last_exit in res.trained_until.items():
        assert last_exit is None or last_exit < cutoff
    # the four pairs share a calendar, so they share the five fold models
    assert len(res.trained_until) == 5
    assert sum(p.skipped for p in res.pairs) > 0
    assert all(len(p.control_returns) == 2 and p.signals >= p.skipped for p in res.pairs)
    s = res.summary()
    assert s["seeds_beaten"] == seeds_beaten(s["learned_return"], res.seed_averages())  # type: ignore[arg-type]
    assert res.contract()["variant"] == "L-a"
    first = res.pairs[0]
    assert first.learned.summary()["candles"] == first.baseline.summary()["candles"]


def test_skill_needs_95_percent_of_seeds_the_margin_and_a_skip() -> None:
    seeds = [0.0] * 19 + [0.02]
    assert has_skill(0.01, seeds, skipped=3)
    assert not has_skill(0.01, [0.0] * 18 + [0.02, 0.02], skipped=3)
    assert not has_skill(-0.01, [-0.02] * 20, skipped=0)
    assert not has_skill(0.01, [], skipped=3)


def test_unknown_variant_is_a_user_error(data_dir: Path) -> None:
    uni = load_folder(data_dir / "kraken", "4h")
    with pytest.raises(UserError, match="variant"):
        pooled_walk_forward(uni.data, "4h", variant="nope")
