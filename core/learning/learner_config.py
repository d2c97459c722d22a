"""The learner's tuning (`LearnerConfig`), in its own module so the model (core/learning/learner_model.py)
and its ridge variant (core/learning/learner_ridge.py) both read it without importing each other.
`core.learning.learner_model` re-exports it, so existing imports keep working."""

from __future__ import annotations

from dataclasses import dataclass

from core.learning.analyzer import CONTEXT_DIMENSIONS
from core.learning.stats import Z95


@dataclass(frozen=True)
class LearnerConfig:
    prior_k: float = 20.0  # pseudo-trades at the overall mean (shrinkage strength)
    min_n: int = 30  # a context value with fewer trades is not acted on
    min_train_trades: int = 60  # below this the whole model abstains
    z: float = Z95  # interval width for "reliably negative"
    deny_upper_r: float = 0.0  # deny only if the context's mean-R upper bound is below this
    deny_margin_r: float = 0.15  # ... and its shrunk mean is this far below overall
    size_z: float = 2.5  # |mean - overall| / se needed before size moves
    size_gain: float = 1.0  # factor = 1 + gain x (shrunk - overall), clipped
    min_factor: float = 0.5
    max_factor: float = 1.5
    features: tuple[str, ...] = CONTEXT_DIMENSIONS
    timeframe: str = "4h"  # signal candle width: decision time = candle open + this
    method: str = "cells"  # "cells": per-context shrunk means; "ridge": linear model of R
    ridge_lambda: float = 200.0  # L2 prior strength (pseudo-trades per standardized feature)
