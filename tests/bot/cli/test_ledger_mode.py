"""The open trades' mode is read from a SQLite file wherever it lives (bot/cli/ledger_mode.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli.ledger_mode import check_ledger_mode, open_trades_by_mode
from core.domain import UserError


def _ledger(folder: Path) -> str:
    folder.mkdir(parents=True)
    db = folder / "zyn.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE trades (source TEXT, pair TEXT, status TEXT)")
        conn.execute("INSERT INTO trades VALUES ('live', 'BTC/USD', 'open'), ('paper', 'ETH/USD', 'closed')")
    conn.close()
    return f"sqlite:///{db}"


def test_a_database_in_a_folder_with_a_hash_or_percent_is_still_read(tmp_path: Path) -> None:
    """'#' and '%' in a folder name are part of the path, not of the URI: an unquoted `file:` URI
    read an empty ledger there, and a paper start on live trades went unrefused."""
    url = _ledger(tmp_path / "jimmy's #1 % stuff")
    assert open_trades_by_mode(url) == [("live", "BTC/USD")]
    with pytest.raises(UserError, match="holds 1 open live trade"):
        check_ledger_mode("paper", url)
    check_ledger_mode("live", url)  # its own mode starts


def test_a_new_database_is_not_created_by_the_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert open_trades_by_mode(url) == []
    assert not (tmp_path / "new.db").exists()
