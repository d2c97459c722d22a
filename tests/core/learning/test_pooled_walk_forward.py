"""The pooled walk-forward: models see only earlier trades of every pair; the control is honest."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from core.domain import UserError
from core.evidence.skill import has_skill, seeds_beaten
from core.learning.analyzer import TradeRecord
from core.learning.learn_features import Universe
from core.learning.learner_ml import MLSpec, fit_ml
from core.learning.pooled_data import load_folder
from core.learning.pooled_walk_forward import MLFit, Trainer, TrainTrade, pooled_walk_forward
from core.research.task_map import serial_map


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


def _train_trades(n: int) -> list[TrainTrade]:
    """`n` trades closing at t = 10, 20, ..., two features, winners where the first feature is high."""
    rng = random.Random(7)
    out = []
    for i in range(1, n + 1):
        x = [rng.uniform(-1, 1), rng.uniform(-1, 1)]
        r = 1.0 if x[0] + rng.gauss(0, 0.5) > 0 else -1.0
        record = TradeRecord("QAAA/USD", 10 * i - 5, 10 * i, r, r, 0.0, 0.01, 0.5, "stop")
        out.append(TrainTrade(record, x))
    return out


def test_cutoffs_with_the_same_training_trades_share_one_fit_under_their_own_versions() -> None:
    trades = _train_trades(90)
    jobs: list[int] = []

    def counting_map(fn: Callable[[Any], Any], items: Sequence[Any], /) -> list[Any]:
        jobs.append(len(items))
        return serial_map(fn, items)

    trainer = Trainer(trades, "L-a", "4h", Universe({}, {}, "4h"))
    # trades closed before 801 and 805: the first 80; before 1000: all 90
    trainer.fit_all([801, 805, 1000, 801], counting_map)
    # before 701: 70; before 891: 89; before 2000: all 90 (fitted already)
    trainer.fit_all([701, 891, 2000], counting_map)
    assert jobs == [2, 2]
    order = (801, 805, 1000, 701, 891, 2000)
    fits = [trainer.cache[c] for c in order]
    assert all(isinstance(f, MLFit) and f.model is not None for f in fits)
    models = [f.model for f in fits if isinstance(f, MLFit) and f.model is not None]
    assert [m.version for m in models] == [1, 2, 3, 4, 5, 6]  # versions in the order first asked
    assert [m.trained_on for m in models] == [80, 80, 90, 70, 89, 90]
    assert [trainer.last_exit[c] for c in order] == [800, 800, 900, 700, 890, 900]
    rows = [[0.3, -0.2], [-0.8, 0.1], [0.0, 0.9]]
    for model in models:  # each the very model a fit of its own training set gives
        n = model.trained_on
        alone = fit_ml([t.features for t in trades[:n]], [t.record.r > 0 for t in trades[:n]], MLSpec("logistic"))
        assert alone is not None and model.probs(rows) == alone.probs(rows)
        assert model.threshold == alone.threshold
