"""Shared test helpers: where the real candles live (never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    return Path(os.environ.get("ZYN_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def data_dir() -> Path:
    path = shared_data()
    if not path.is_dir():
        pytest.fail(f"real candles not found at {path} (set ZYN_SHARED_DATA)")
    return path
