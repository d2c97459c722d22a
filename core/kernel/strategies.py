"""The strategies Zyn knows by name (`ZYN_STRATEGY`): name -> factory.

Why here and not in the port (`core/strategy/port.py`): the registry names implementations, and
the one registered today is the kernel's compiled sma20_atr; the kernel imports the strategy
package, so a registry inside the strategy package made an import cycle (strategy -> kernel ->
strategy) that `.importlinter` had to ignore. A new strategy: one module + one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from core.domain import UserError
from core.kernel.flavour import Flavour
from core.strategy.port import Strategy


def _sma20_atr(flavour: Flavour | None) -> Strategy:
    """The pinned strategy on the compiled kernel (imported on first use: numba starts slowly)."""
    from core.kernel.signal import KernelSma20Atr  # lazy: keeps numpy out of this import

    return KernelSma20Atr(flavour)


# name -> factory(kernel flavour); a strategy without a kernel ignores the flavour
STRATEGIES: Mapping[str, Callable[[Flavour | None], Strategy]] = MappingProxyType({"sma20_atr": _sma20_atr})
DEFAULT_STRATEGY = "sma20_atr"


def strategy_named(name: str, flavour: Flavour | None = None) -> Strategy:
    """The registered strategy called `name`; an unknown name is a one-line UserError. `flavour`:
    the kernel flavour its calls run in (None: each call by its own work; core/kernel/flavour.py)."""
    factory = STRATEGIES.get(name.strip().lower())
    if factory is None:
        raise UserError(f"unknown strategy {name!r}; known: {', '.join(sorted(STRATEGIES))}")
    return factory(flavour)
