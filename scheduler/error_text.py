"""One line about a failed job, for alerts (its own module: the runner and the simulated-time
schedule both use it, and neither imports the other for it)."""

from __future__ import annotations


def error_line(exc: BaseException, limit: int = 120) -> str:
    """`Type: message` on one line, cut short: alerts go to SMS and chat, not to a log viewer."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message[:limit]}" if message else type(exc).__name__
