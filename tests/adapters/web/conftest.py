"""A whole Zyn from the composition root (paper, replay of the shared candles) for the web tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import load_settings
from bot.wiring.app import Zyn, build_zyn


def replay_env(tmp_path: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
        "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "36000", "ZYN_TIMEFRAME": "4h",
        "ZYN_PAIRS": "BTC/USD", **extra,
    }


@pytest.fixture
def web_zyn(tmp_path: Path, data_dir: Path) -> Iterator[Zyn]:
    zyn = build_zyn(load_settings(replay_env(tmp_path, data_dir, WEB_CHAT_TOKEN="tok-web-123")))
    yield zyn
    zyn.close()
