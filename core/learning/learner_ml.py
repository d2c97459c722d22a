"""Feature-combining learners: L2 logistic regression and calibrated gradient-boosted trees on R > 0.

Why: the cell model judges one context at a time; these combine every feature of
`core.learning.learn_features` into one calibrated probability that a trade wins, and gate (skip) an entry
only when that probability is clearly low. Two pre-registered skip rules per family
(bench/results/learner_protocol_2026-11-30.md): "margin" = p below the training win rate minus
0.05; "q33" = p below the 33rd percentile of the training trades' out-of-fold predictions.
Missing values are imputed with the training medians. Below `min_train` trades it abstains.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from threadpoolctl import threadpool_limits

from core.strategy.port import Gate

KINDS = ("logistic", "gbm")
RULES = ("margin", "q33")
MARGIN = 0.05
QUANTILE = 1 / 3


@dataclass(frozen=True)
class MLSpec:
    kind: str = "logistic"  # "logistic" | "gbm"
    rule: str = "margin"  # "margin" | "q33"
    min_train: int = 60
    c: float = 0.1  # logistic inverse L2 strength


@dataclass
class MLModel:
    """A fitted classifier with its imputation medians and skip threshold."""

    spec: MLSpec
    estimator: Any
    medians: list[float]
    threshold: float
    win_rate: float
    trained_on: int
    version: int = 0

    def prob(self, x: Sequence[float]) -> float:
        return self.probs([x])[0]

    def probs(self, xs: Sequence[Sequence[float]]) -> list[float]:
        """P(win) for many rows at once (one call: the trees' per-call overhead is large)."""
        if not xs:
            return []
        rows = [[v if math.isfinite(v) else m for v, m in zip(x, self.medians, strict=True)] for x in xs]
        with one_thread():
            return [float(p[1]) for p in self.estimator.predict_proba(rows)]

    def probs_of_matrix(self, x: Any) -> list[float]:
        """`probs` of a numpy matrix's rows (the same imputed numbers, without a Python loop)."""
        import numpy as np  # lazy: numpy loads only when used

        if x.shape[0] == 0:
            return []
        filled = np.where(np.isfinite(x), x, np.asarray(self.medians, dtype=np.float64))
        with one_thread():
            out: list[float] = self.estimator.predict_proba(filled)[:, 1].tolist()
        return out

    def gate(self, x: Sequence[float], p: float | None = None) -> Gate:
        """The verdict for one signal; `p` when its probability was already computed in a batch."""
        p = self.prob(x) if p is None else p
        name = f"{self.spec.kind}/{self.spec.rule}"
        if p < self.threshold:
            return Gate(
                False,
                1.0,
                self.version,
                f"{name}: P(win) {p:.2f} below {self.threshold:.2f} "
                f"(win rate {self.win_rate:.2f} over {self.trained_on} trades)",
            )
        return Gate(True, 1.0, self.version, f"{name}: P(win) {p:.2f}")


def one_thread() -> Any:
    """Every native thread pool held to one thread while fitting and scoring: the trees' OpenMP
    and BLAS (OpenBLAS, MKL) alike. Why: the pooled walk-forward runs its jobs one per core
    already; on a busy 2-core machine OpenMP's spinning threads made fitting 2-5x slower, and with
    OpenMP alone limited, OpenBLAS's spinning `blas_thread_server` still took 46 % of the CPU
    (issue 20; bench/fit_threads.py measures it)."""
    return threadpool_limits(limits=1)


def _estimator(spec: MLSpec) -> Any:
    from sklearn.calibration import CalibratedClassifierCV  # lazy: sklearn loads only when used
    from sklearn.ensemble import HistGradientBoostingClassifier  # lazy: sklearn loads only when used
    from sklearn.linear_model import LogisticRegression  # lazy: sklearn loads only when used
    from sklearn.pipeline import make_pipeline  # lazy: sklearn loads only when used
    from sklearn.preprocessing import StandardScaler  # lazy: sklearn loads only when used

    if spec.kind == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(C=spec.c, max_iter=500))
    if spec.kind == "gbm":
        trees = HistGradientBoostingClassifier(
            max_depth=3, learning_rate=0.05, max_iter=100, min_samples_leaf=40, l2_regularization=1.0,
            random_state=0,
        )
        return CalibratedClassifierCV(trees, method="sigmoid", cv=3)
    raise ValueError(f"unknown model kind {spec.kind!r}")


def medians(rows: Sequence[Sequence[float]]) -> list[float]:
    out = []
    for j in range(len(rows[0])):
        vals = sorted(r[j] for r in rows if math.isfinite(r[j]))
        out.append(vals[len(vals) // 2] if vals else 0.0)
    return out


def fit_ml(rows: Sequence[Sequence[float]], wins: Sequence[bool], spec: MLSpec, version: int = 0) -> MLModel | None:
    """Fit on time-ordered training rows; None (abstain) with too few trades or one class only."""
    if len(rows) < spec.min_train or len(set(wins)) < 2:
        return None
    med = medians(rows)
    x = [[v if math.isfinite(v) else m for v, m in zip(r, med, strict=True)] for r in rows]
    y = [1 if w else 0 for w in wins]
    with one_thread():
        est = _estimator(spec).fit(x, y)
    win_rate = sum(y) / len(y)
    if spec.rule == "margin":
        threshold = win_rate - MARGIN
    elif spec.rule == "q33":
        threshold = _oof_quantile(x, y, spec)
    else:
        raise ValueError(f"unknown skip rule {spec.rule!r}")
    return MLModel(spec, est, med, threshold, win_rate, len(rows), version)


def _oof_quantile(x: list[list[float]], y: list[int], spec: MLSpec) -> float:
    """The QUANTILE of out-of-fold P(win) over the training rows (3 contiguous time blocks)."""
    n, preds = len(x), []
    for k in range(3):
        lo, hi = k * n // 3, (k + 1) * n // 3
        tx, ty = x[:lo] + x[hi:], y[:lo] + y[hi:]
        if len(set(ty)) < 2:
            continue
        with one_thread():
            est = _estimator(spec).fit(tx, ty)
            preds += [float(p[1]) for p in est.predict_proba(x[lo:hi])]
    if not preds:
        return 0.0
    preds.sort()
    return preds[int(QUANTILE * (len(preds) - 1))]
