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
