"""How the autopilot talks to trading: every distinct use of the trading service in a module (issue 18).

Why: the trading boundary promises that the autopilot acts through commands (`handle`), typed
queries and events only. This counts, by AST, each distinct chain starting at `self.service` (or
the constructor's `service`) in the given modules, and splits them into
- members: `service.X` used as a method or query of the service itself, and
- reaches: `service.X.Y...` (a collaborator inside the service: its journal, state, exchange,
  clock, bus), the lock and version, and the service object handed on whole to a function.
Usage: .venv/bin/python bench/service_reach.py [core/trading/autopilot.py ...]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

INTERNALS = {"lock", "version"}


def _chain(node: ast.AST) -> list[str] | None:
    """['service', 'state', 'guard'] for self.service.state.guard (None if not rooted at the service)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id == "service":
        parts.append("service")
    elif isinstance(node, ast.Name) and node.id == "self" and parts and parts[-1] == "service":
        pass
    else:
        return None
    return list(reversed(parts))


def uses(path: Path) -> tuple[set[str], set[str]]:
    tree = ast.parse(path.read_text())
    members: set[str] = set()
    reaches: set[str] = set()
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute | ast.Name):
            continue
        if isinstance(parents.get(node), ast.Attribute):
            continue  # only the longest chain counts
        chain = _chain(node)
        if chain is None or len(chain) < 2:
            if chain == ["service"] and isinstance(parents.get(node), ast.Call) and node in getattr(
                parents[node], "args", []
            ):
                reaches.add("service (passed whole)")
            continue
        if chain[-1] == "service" and len(chain) == 2:  # self.service itself
            parent = parents.get(node)
            if isinstance(parent, ast.Call) and node in parent.args:
                reaches.add("service (passed whole)")
            continue
        rest = chain[1:] if chain[0] == "service" else chain[2:]
        if not rest:
            continue
        name = ".".join(rest[:2])
        (reaches if len(rest) > 1 or rest[0] in INTERNALS else members).add(name)
    return members, reaches


def main(argv: list[str]) -> None:
    paths = [Path(p) for p in argv] or [Path("core/trading/autopilot.py")]
    all_members: set[str] = set()
    all_reaches: set[str] = set()
    for path in paths:
        members, reaches = uses(path)
        all_members |= members
        all_reaches |= reaches
    print(f"members used ({len(all_members)}): {', '.join(sorted(all_members))}")
    print(f"reaches inside ({len(all_reaches)}): {', '.join(sorted(all_reaches))}")
    print(f"total distinct uses: {len(all_members) + len(all_reaches)}")


if __name__ == "__main__":
    main(sys.argv[1:])
