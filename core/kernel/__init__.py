"""The compiled strategy kernel: the pinned SMA20/ATR14 strategy, sizing, cool-off, kill-switch,
stop-first bracket and fees as one numba loop over column arrays.

Entry points: `run_backtest` (core.kernel.backtest) for whole arrays; decisions come back as
codes (core.kernel.codes) and become objects only when shown. The Python `core.research.backtest.Backtester`
stays the reference the parity tests compare against. Submodules are imported lazily by callers so
`zyn backtest --help` never loads numba.
"""
