"""The marks of the kernel's functions, and the interpreted twins of its two intrinsics: all that
the kernel's modules (loop.py and its steps) import to be either flavour (core/kernel/flavour.py).

Why apart from flavour.py: the kernel's modules import these marks, and flavour.py imports the
kernel's modules (to hand out their entry points); one module would be an import cycle. Nothing
here imports numba: a mark only sets an attribute, read by core.kernel.jit.compile_tagged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

MARK = "zyn_kernel"  # the attribute a tagged function carries: "inline" or "entry"


def inline(fn: F) -> F:
    """Tag a helper of the loop: the compiled flavour inlines it into its caller at numba's IR
    level (separate calls would pass every array, touching its reference count, once per candle)."""
    setattr(fn, MARK, "inline")
    return fn


def entry(fn: F) -> F:
    """Tag a function called from Python: the compiled flavour compiles it, cached on disk."""
    setattr(fn, MARK, "entry")
    return fn


def pointer(arr: Any) -> Any:
    """Interpreted twin of core.kernel.unowned.pointer: the C-contiguous array's elements as one
    flat view (indexed row * width + column, like the raw pointer)."""
    return arr.reshape(-1)


def unowned(arr: Any) -> Any:
    """Interpreted twin of core.kernel.unowned.unowned: reference counts are numba's concern only."""
    return arr
