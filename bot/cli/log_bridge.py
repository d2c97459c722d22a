"""stdlib `logging` records into loguru, so every record reaches the same sinks (stderr, var/zyn.log).

Why: a few core modules (core/status/service.py, core/status/cache.py, core/paper/exchange.py)
log through stdlib `logging` so core stays free of a logging library; nothing configured stdlib
logging, so their warnings never reached var/zyn.log. `route_stdlib_logging()` is called once, by
the CLI's logging set-up, and is idempotent. Zyn's own loggers pass everything (the loguru sinks
filter by level); other libraries' loggers keep stdlib's default threshold (WARNING), as before.
"""

from __future__ import annotations

import logging
from types import FrameType

from loguru import logger

OWN_PACKAGES = ("core", "bot", "adapters", "scheduler")


class LoguruHandler(logging.Handler):
    """Re-emits a stdlib record through loguru, at the caller's frame, with the logger's name bound."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:  # a custom stdlib level: keep its number
            level = record.levelno
        depth = 0
        frame: FrameType | None = logging.currentframe()
        while frame is not None and (depth == 0 or frame.f_code.co_filename == logging.__file__):
            frame, depth = frame.f_back, depth + 1
        logger.opt(depth=depth, exception=record.exc_info).bind(logger=record.name).log(level, record.getMessage())


def route_stdlib_logging() -> None:
    """Send stdlib logging to loguru (once per process; later calls change nothing)."""
    root = logging.getLogger()
    if not any(isinstance(h, LoguruHandler) for h in root.handlers):
        root.addHandler(LoguruHandler())
    for name in OWN_PACKAGES:
        logging.getLogger(name).setLevel(logging.DEBUG)
