"""numba's `njit` with the on-disk cache when a cache directory is writable, else without it.

numba caches compiled code next to the module (`__pycache__`) or in NUMBA_CACHE_DIR; an installed,
read-only tree with no usable fallback would make `cache=True` raise at import. Compiling every run
is slower but still correct, so that is the fallback.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False


def ensure_cache_dir() -> None:
    """Point numba at a writable cache when the package's own `__pycache__` is not."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    if _writable(Path(__file__).resolve().parent / "__pycache__"):
        return
    fallback = Path(tempfile.gettempdir()) / "zyn-numba-cache"
    if _writable(fallback):
        os.environ["NUMBA_CACHE_DIR"] = str(fallback)


def njit_cached(fn: F) -> F:
    """Compile `fn` in nopython mode, cached on disk when possible."""
    import numba

    try:
        return numba.njit(cache=True)(fn)  # type: ignore[return-value]
    except RuntimeError:  # no cache locator available: compile in memory only
        return numba.njit(fn)  # type: ignore[no-any-return]


def njit_inline(fn: F) -> F:
    """A helper of the loop, inlined into its caller at numba's IR level: separate calls would pass
    every array (and touch its reference count) once per candle, which costs more than the work."""
    import numba

    return numba.njit(inline="always")(fn)  # type: ignore[return-value]
