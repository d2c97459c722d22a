"""What a command prints on stdout: one JSON object (`--json`) or a table, never NaN.

Its own module because every command prints the same way: the backtests, the pooled
walk-forward, status and universe share these three helpers without importing one another
(`zyn backtest --learn` used to reach into bot/cli/backtest.py for a private `_out`).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, default=str, allow_nan=False) + "\n")


def clean(obj: Any) -> Any:
    """JSON has no NaN/inf: an undefined figure is null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    return obj


def print_report(report: dict[str, Any], as_json: bool, fmt: Callable[[dict[str, Any]], str]) -> None:
    """The report as one JSON object, or formatted by `fmt` for a person."""
    report = clean(report)
    print_json(report) if as_json else print(fmt(report))
