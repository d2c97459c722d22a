"""numba's on-disk cache goes where it can be written: the package's __pycache__, the user's
NUMBA_CACHE_DIR, or a folder under the temp dir when the package tree is read-only."""

from __future__ import annotations

import tempfile
from pathlib import Path

from core.kernel.jit import choose_cache_dir


def test_writable_package_keeps_numbas_default(tmp_path: Path) -> None:
    assert choose_cache_dir(tmp_path, {}) is None
    assert (tmp_path / "__pycache__").is_dir()


def test_users_cache_dir_wins(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    assert choose_cache_dir(blocked, {"NUMBA_CACHE_DIR": str(tmp_path / "mine")}) is None


def test_unwritable_package_falls_back_to_temp(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("x")  # nothing can be created below a file, not even by root
    chosen = choose_cache_dir(blocked, {})
    assert chosen is not None and Path(chosen).is_dir()
    assert Path(chosen).parent == Path(tempfile.gettempdir())


def _prints_ok(code: str) -> None:
    """Run `code` in a fresh interpreter at the repo root; it must print ok."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-800:]


def test_the_kernel_runs_without_loading_scipys_blas_and_scipy_still_imports_after() -> None:
    code = (
        "import sys\n"
        "from core.market_data.arrays import CandleArrays\n"
        "from core.kernel.backtest import KernelBacktester\n"
        "from core.markets.catalog import market_for\n"
        "from tests.core.kernel.test_kernel_parity_fuzz import fuzz_candles\n"
        "r = KernelBacktester('BTC/USD', '1m', market_for('BTC/USD'), flavour='compiled').run("
        "CandleArrays.from_candles(fuzz_candles(1, 500, 30000.0, 0.01)))\n"
        "assert r.candles == 500\n"
        "assert 'scipy.linalg' not in sys.modules, 'numba loaded scipy.linalg'\n"
        "import scipy.linalg.cython_blas\n"
        "print('ok')\n"
    )
    _prints_ok(code)


def test_an_unwritable_package_points_numbas_own_config_at_the_temp_folder(tmp_path: Path) -> None:
    from core.kernel.jit import import_numba, point_cache

    numba = import_numba()
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    before = numba.config.CACHE_DIR
    try:
        numba.config.CACHE_DIR = ""
        point_cache(numba, blocked)
        assert Path(numba.config.CACHE_DIR) == Path(tempfile.gettempdir()) / "zyn-numba-cache"
        numba.config.CACHE_DIR = str(tmp_path / "users-choice")
        point_cache(numba, blocked)  # the user's NUMBA_CACHE_DIR (as numba read it) is kept
        assert numba.config.CACHE_DIR == str(tmp_path / "users-choice")
    finally:
        numba.config.CACHE_DIR = before


def test_importing_the_kernel_leaves_the_process_environment_alone() -> None:
    code = (
        "import os, sys\n"
        "before = dict(os.environ)\n"
        "import core.kernel.jit\n"
        "assert 'numba' not in sys.modules, 'importing jit imported numba'\n"
        "import core.kernel.loop\n"
        "assert 'numba' not in sys.modules, 'the interpreted kernel imported numba'\n"
        "import core.kernel.compiled\n"
        "assert dict(os.environ) == before, 'the kernel changed os.environ'\n"
        "print('ok')\n"
    )
    _prints_ok(code)


def test_while_numba_loads_only_its_own_thread_is_refused_scipy_linalg() -> None:
    """zyn run's start: the kernel loads numba while the chat's classifier thread may import
    scikit-learn (and so scipy.linalg). numba's BLAS probe is failed on the importing thread only
    (issue 20.5: 17 MB in every zyn run); a process-wide block (a None entry in sys.modules, as
    before) made that other thread's import fail ("import of scipy.linalg.cython_blas halted").
    Asked from inside numba's own import (a meta-path finder sees every module it loads): the
    finders answer another thread as usual and refuse only the importing one."""
    code = (
        "import sys, threading, importlib.abc\n"
        "answers = {}\n"
        "def ask(who):\n"
        "    try:\n"
        "        for f in sys.meta_path:\n"
        "            if type(f).__name__ == '_ScipyProbeBlock':\n"
        "                f.find_spec('scipy.linalg')\n"
        "        answers[who] = 'passed'\n"
        "    except ImportError:\n"
        "        answers[who] = 'refused'\n"
        "class During(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'numba.np.arraymath' and not answers:\n"
        "            t = threading.Thread(target=ask, args=('other thread',))\n"
        "            t.start(); t.join()\n"
        "            ask('importing thread')\n"
        "        return None\n"
        "sys.meta_path.insert(0, During())\n"
        "from core.kernel.jit import import_numba\n"
        "import_numba()\n"
        "ask('importing thread, afterwards')\n"
        "assert answers == {'other thread': 'passed', 'importing thread': 'refused',\n"
        "                   'importing thread, afterwards': 'passed'}, answers\n"
        "print('ok')\n"
    )
    _prints_ok(code)


def test_with_another_thread_alive_numba_loads_without_scipy_linalg() -> None:
    code = (
        "import sys, threading\n"
        "done = threading.Event()\n"
        "idle = threading.Thread(target=done.wait)\n"
        "idle.start()\n"
        "from core.kernel.jit import import_numba\n"
        "import_numba()\n"
        "assert 'scipy.linalg' not in sys.modules, 'numba loaded scipy.linalg'\n"
        "done.set(); idle.join()\n"
        "import scipy.linalg.cython_blas\n"
        "print('ok')\n"
    )
    _prints_ok(code)


def test_a_change_to_any_kernel_module_makes_the_cached_loop_stale(tmp_path: Path) -> None:
    """numba stamps a cached function with its own file only; the loop inlines helpers from other
    kernel modules, so the kernel's locator stamps with every module of the package."""
    from core.kernel.jit import import_numba, stamp_kernel_cache

    numba = import_numba()
    classes = numba.core.caching.CacheImpl._locator_classes
    before = list(classes)
    package = tmp_path / "kernel"
    package.mkdir()
    (package / "loop.py").write_text("def run():\n    return 1\n")
    (package / "steps.py").write_text("X = 1\n")
    elsewhere = tmp_path / "other.py"
    elsewhere.write_text("def run():\n    return 1\n")

    def run() -> int:
        return 1

    try:
        stamp_kernel_cache(numba, package)
        stamp_kernel_cache(numba, package)  # once only
        assert len(classes) == len(before) + 2
        ours = classes[:2]  # numba's user-dir and in-tree locators, stamped with the package
        assert all(k.from_function(run, str(elsewhere)) is None for k in ours)  # other files: numba's own
        locator = next(x for x in (k.from_function(run, str(package / "loop.py")) for k in ours) if x is not None)
        stamp = locator.get_source_stamp()
        (package / "steps.py").write_text("X = 22\n")  # a helper module changes, loop.py does not
        assert locator.get_source_stamp() != stamp
    finally:
        classes[:] = before
