"""The kernel's drawdown and Sharpe (numpy, a million values at a time) equal core.research.metrics' on a
curve longer than one chunk, with a dip to zero and below."""

from __future__ import annotations

import numpy as np

from core.kernel import metrics as kernel
from core.research import metrics as reference


def test_chunked_metrics_equal_the_reference() -> None:
    rng = np.random.default_rng(7)
    curve = 10_000 * np.exp(np.cumsum(rng.normal(0, 0.001, kernel.CHUNK + 12_345)))
    curve[kernel.CHUNK - 3 : kernel.CHUNK + 2] = [5.0, 0.0, -1.0, 3.0, 4.0]  # across the chunk border
    values = curve.tolist()
    assert abs(kernel.max_drawdown(curve, 10_000.0) - reference.max_drawdown([10_000.0, *values])) < 1e-12
    want = reference.sharpe(values, 10_000.0, 525_600)
    got = kernel.sharpe(curve, 10_000.0, 525_600)
    assert want is not None and got is not None and abs(got - want) <= 1e-9 * abs(want)


def test_flat_or_short_curves_have_no_sharpe() -> None:
    assert kernel.sharpe(np.array([1.0]), 1.0, 1.0) is None
    assert kernel.sharpe(np.full(5, 10.0), 10.0, 1.0) is None
    assert kernel.max_drawdown(np.array([], dtype=np.float64), 10.0) == 0.0
