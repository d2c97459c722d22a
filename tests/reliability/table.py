"""The README's reliability tables (fault -> what Zyn did -> invariants -> result), as the suite
produced them. Each test module owns one section; with ZYN_RELIABILITY_TABLE=PATH its section is
(re)written in PATH, the others kept, in a fixed order — so one run of tests/reliability/ writes
the whole thing, and running one module refreshes only its own rows."""

from __future__ import annotations

import os
from pathlib import Path

SECTIONS = {
    "faults": "Faults injected at the Kraken sim",
    "partial": "Partial fills injected at the Kraken sim",
    "unknown": "Orders whose outcome is unknown (issue 19), at the Kraken sim",
    "crash": "kill -9 at a step of an order's life, then restart",
    "postgres": "PostgreSQL stopped and started under a running zyn run",
    "locked": "SQLite locked while every request thread waits on it",
    "bad_day": "A seeded bad day at the Kraken sim: random owner actions and candles (hypothesis stateful)",
}
HEADER = "| fault | what Zyn did (its answer) | invariants | result |\n| --- | --- | --- | --- |"
Row = tuple[str, str, str, str]


def render(rows: list[Row]) -> str:
    body = [f"| {f} | {' '.join(d.split()).replace('|', '/')} | {i} | {r} |" for f, d, i, r in rows]
    return "\n".join([HEADER, *body])


def publish(section: str, rows: list[Row]) -> str:
    """Print the section's table; write it into ZYN_RELIABILITY_TABLE when that is set."""
    table = render(rows)
    print(f"\n{SECTIONS[section]}\n{table}")
    target = os.environ.get("ZYN_RELIABILITY_TABLE")
    if target:
        path = Path(target)
        parts = _read(path) if path.exists() else {}
        parts[section] = table
        text = "\n\n".join(f"**{SECTIONS[k]}**\n\n{parts[k]}" for k in SECTIONS if k in parts)
        path.write_text(text + "\n")
    return table


def _read(path: Path) -> dict[str, str]:
    titles = {f"**{title}**": key for key, title in SECTIONS.items()}
    parts: dict[str, list[str]] = {}
    current: str | None = None
    for line in path.read_text().splitlines():
        if line.strip() in titles:
            current = titles[line.strip()]
            parts[current] = []
        elif current is not None and line.startswith("|"):
            parts[current].append(line)
    return {key: "\n".join(lines) for key, lines in parts.items() if lines}
