"""Core's stdlib `logging` records reach var/zyn.log through `zyn run`'s own log set-up (issue 18.5)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from bot.cli.log_bridge import LoguruHandler, route_stdlib_logging
from bot.cli.main import _setup_logging, open_run_log


@pytest.fixture
def run_logging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """`zyn run`'s sinks in a scratch folder; afterwards loguru and stdlib logging as they were."""
    monkeypatch.chdir(tmp_path)
    levels = {name: logging.getLogger(name).level for name in ("core", "bot", "adapters", "scheduler")}
    _setup_logging("run", quiet=False, level="ERROR")  # stderr quiet; var/zyn.log takes INFO and up
    open_run_log()  # `zyn run` opens its file once the startup checks passed (issue 19.8)
    yield tmp_path / "var" / "zyn.log"
    logger.remove()
    logger.add(sys.stderr)  # loguru's default sink, as the other tests expect
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, LoguruHandler)]:
        root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _records(path: Path) -> list[dict[str, Any]]:
    logger.complete()
    return [json.loads(line)["record"] for line in path.read_text().splitlines() if line.strip()]


def test_core_status_warning_reaches_the_log_file(run_logging: Path) -> None:
    from core.status import service

    service.log.warning("status: %s state unavailable (%s)", "balances", "ExchangeUnavailable")
    got = [r for r in _records(run_logging) if r["extra"].get("logger") == "core.status.service"]
    assert [r["message"] for r in got] == ["status: balances state unavailable (ExchangeUnavailable)"]
    assert got[0]["level"]["name"] == "WARNING"
    # attributed to the line that logged it, not to the bridge
    assert got[0]["function"] == "test_core_status_warning_reaches_the_log_file"


def test_paper_exchange_and_status_cache_records_arrive_with_their_tracebacks(run_logging: Path) -> None:
    from core.paper import exchange
    from core.status import cache

    cache.log.info("no price for %s (%s); it is left out of equity", "DOT/USD", "KeyError")
    try:
        raise RuntimeError("listener broke")
    except RuntimeError:
        exchange.log.exception("fill listener %r failed", "on_fill")
    by_logger = {r["extra"].get("logger"): r for r in _records(run_logging)}
    assert by_logger["core.status.cache"]["message"] == "no price for DOT/USD (KeyError); it is left out of equity"
    failed = by_logger["core.paper.exchange"]
    assert failed["level"]["name"] == "ERROR" and failed["exception"]["type"] == "RuntimeError"


def test_other_libraries_keep_their_warning_threshold(run_logging: Path) -> None:
    logging.getLogger("apscheduler.scheduler").info("Added job 'tick'")
    logging.getLogger("waitress").warning("Task queue depth is 9")
    messages = [r["message"] for r in _records(run_logging)]
    assert "Task queue depth is 9" in messages and "Added job 'tick'" not in messages


def test_routing_twice_adds_one_handler() -> None:
    root = logging.getLogger()
    before = [h for h in root.handlers if isinstance(h, LoguruHandler)]
    route_stdlib_logging()
    route_stdlib_logging()
    added = [h for h in root.handlers if isinstance(h, LoguruHandler) and h not in before]
    try:
        assert len([h for h in root.handlers if isinstance(h, LoguruHandler)]) == 1
    finally:
        for handler in added:
            root.removeHandler(handler)
