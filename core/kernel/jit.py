"""numba for the kernel's compiled flavour: imported on first need, with the on-disk cache when a
cache directory is writable, and every kernel function tagged by core.kernel.flavour compiled
from the very bytecode the interpreted flavour runs (`compile_tagged`).

Nothing happens when this module is imported: numba is imported (and its cache folder chosen) the
first time core/kernel/compiled.py is imported, i.e. at the first call whose work is big enough
for the compiled flavour (core/kernel/flavour.py).

numba caches compiled code next to the module (`__pycache__`) or in NUMBA_CACHE_DIR; an installed,
read-only tree with no usable fallback would make `cache=True` raise. Compiling every run
is slower but still correct, so that is the fallback.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

from core.kernel.tags import MARK


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False


def choose_cache_dir(package_dir: Path, env: Mapping[str, str]) -> str | None:
    """Where numba should cache: None = its default (the package's `__pycache__`, or the user's
    NUMBA_CACHE_DIR); else a writable folder under the system temp dir."""
    if env.get("NUMBA_CACHE_DIR") or _writable(package_dir / "__pycache__"):
        return None
    fallback = Path(tempfile.gettempdir()) / "zyn-numba-cache"
    return str(fallback) if _writable(fallback) else None


def point_cache(numba: Any, package_dir: Path | None = None) -> None:
    """Point numba at a writable cache when the package's own `__pycache__` is not.

    Done on numba's own config object, right after numba is first imported and before anything is
    compiled (the locator is chosen per function when it is decorated); the user's NUMBA_CACHE_DIR
    is what numba itself read into `config.CACHE_DIR`. No process environment is read or changed.
    """
    configured = str(numba.config.CACHE_DIR or "")
    package = package_dir if package_dir is not None else Path(__file__).resolve().parent
    chosen = choose_cache_dir(package, {"NUMBA_CACHE_DIR": configured})
    if chosen is not None:
        numba.config.CACHE_DIR = chosen


class _ScipyProbeBlock:
    """A meta-path finder that fails `import scipy.linalg` on one thread only: the one importing
    numba, while it does (`thread`); every other thread, and that one afterwards, imports it as
    usual. Inserted into `sys.meta_path` once and never removed (removing a finder while another
    thread walks the list could make that thread skip the next finder)."""

    def __init__(self) -> None:
        self.thread: int | None = None

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "scipy.linalg" and self.thread == threading.get_ident():
            raise ModuleNotFoundError(f"{name} is not loaded for numba's BLAS probe (core.kernel.jit)", name=name)


def _probe_block() -> _ScipyProbeBlock:
    for finder in sys.meta_path:
        if isinstance(finder, _ScipyProbeBlock):
            return finder
    block = _ScipyProbeBlock()
    sys.meta_path.insert(0, block)
    return block


def import_numba() -> Any:
    """numba, imported without its probe for scipy's BLAS when scipy.linalg is not loaded yet.

    Why: at import numba asks for `scipy.linalg.cython_blas` (only np.dot/linalg in compiled code
    need it; the kernel uses neither), which loads scipy.linalg, OpenBLAS and, through numpy.f2py,
    charset_normalizer: ~190 ms and 17-30 MB in every process that runs the kernel (issue 20.5:
    +87.9 MB for numba in `zyn run` against +70.5 MB without the probe). The probe is failed on
    the importing thread only (`_ScipyProbeBlock`): `zyn run` has other threads (the chat's
    classifier may import scikit-learn, hence scipy.linalg, at the same moment), and a process-wide
    block (a None entry in sys.modules, as before) made such a thread's import fail. A later
    `import scipy.linalg` (the learner) loads it normally.
    """
    if "numba" in sys.modules:
        return sys.modules["numba"]
    block = _probe_block()
    block.thread = threading.get_ident() if "scipy.linalg" not in sys.modules else None
    try:
        import numba  # lazy: numba loads only when used

        # lazy: numba loads only when used
        import numba.np.arraymath  # noqa: F401 - the probe runs here; finish it while blocked
    finally:
        block.thread = None
    point_cache(numba)
    stamp_kernel_cache(numba)
    return numba


def kernel_stamp(package_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """(name, mtime ns, size) of every module of the kernel package: the freshness of its cache."""
    files = sorted(package_dir.glob("*.py"))
    return tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)


def stamp_kernel_cache(numba: Any, package_dir: Path | None = None) -> None:
    """Make numba's on-disk cache of a kernel function stale when ANY kernel module changes.

    Why: numba stamps a cached function with its own file only, so a compiled loop would keep an
    old copy of a helper inlined from another module (loop.py's steps live in several modules).
    Two locators (numba's own user-dir and in-tree ones, with the whole package as the stamp) go
    first in numba's list, for the kernel's files only; done once, at the first compile."""
    caching = numba.core.caching
    kernel_dir = (package_dir or Path(__file__).resolve().parent).resolve()
    classes: list[Any] = caching.CacheImpl._locator_classes
    if any(getattr(k, "zyn_kernel_dir", None) == kernel_dir for k in classes):
        return

    class _PackageStamp:
        zyn_kernel_dir = kernel_dir

        def get_source_stamp(self) -> object:
            return kernel_stamp(kernel_dir)

        @classmethod
        def from_function(cls, py_func: Any, py_file: str) -> Any:
            if Path(py_file).resolve().parent != kernel_dir:
                return None
            return super().from_function(py_func, py_file)  # type: ignore[misc]

    user = type("KernelUserDirLocator", (_PackageStamp, caching.UserProvidedCacheLocator), {})
    tree = type("KernelInTreeLocator", (_PackageStamp, caching.InTreeCacheLocator), {})
    classes[0:0] = [user, tree]


def compile_tagged(modules: Sequence[ModuleType], swaps: Mapping[int, object]) -> dict[str, Any]:
    """numba dispatchers for every function of `modules` tagged by core.kernel.flavour: name -> dispatcher.

    Each tagged function is cloned (same code object, hence the same source file, qualified name
    and on-disk cache entry) with a copy of its module's globals in which every tagged function
    (its own module's or an imported one) is the dispatcher of its clone, and every object whose
    id is a key of `swaps` (the interpreted `pointer`/`unowned`) is its value (the intrinsics).
    numba reads a function's globals when it compiles it, at the first call, so the dispatchers
    are all made first and the globals filled in after. `inline` helpers are inlined at numba's IR
    level; `entry` functions are cached on disk when a cache directory is writable.
    """
    numba = import_numba()
    dispatchers: dict[int, Any] = {}  # id(plain function) -> dispatcher
    names: dict[str, Any] = {}
    spaces: list[dict[str, Any]] = []
    for module in modules:
        space = dict(vars(module))
        spaces.append(space)
        for name, fn in vars(module).items():
            mark = getattr(fn, MARK, None) if isinstance(fn, FunctionType) else None
            if mark is None or fn.__module__ != module.__name__:
                continue
            if fn.__kwdefaults__:  # FunctionType cannot take them; the kernel's functions have none
                raise TypeError(f"{fn.__qualname__}: keyword-only defaults are not supported in the kernel")
            # the clone takes its qualified name from the code object and its module from `space`
            # (a copy of the module's globals), so numba's cache keys it as the original
            clone = FunctionType(fn.__code__, space, fn.__name__, fn.__defaults__, fn.__closure__)
            dispatchers[id(fn)] = names[name] = _dispatcher(numba, clone, mark)
    for space in spaces:
        for name, value in list(space.items()):
            swapped = dispatchers.get(id(value), swaps.get(id(value), value))
            if swapped is not value:
                space[name] = swapped
    return names


def _dispatcher(numba: Any, fn: Callable[..., Any], mark: str) -> Any:
    if mark == "inline":
        return numba.njit(inline="always")(fn)
    try:
        return numba.njit(cache=True)(fn)
    except RuntimeError:  # no cache locator available: compile in memory only
        return numba.njit(fn)
