"""Moved to core/market_data/arrays.py (candle columns are market data, not the kernel's; the kernel
and the CSV loaders importing each other made a package cycle). Kept so branches in flight that
import `core.kernel.arrays` still work; new code imports `core.market_data.arrays`."""

from core.market_data.arrays import F64 as F64
from core.market_data.arrays import I64 as I64
from core.market_data.arrays import CandleArrays as CandleArrays
