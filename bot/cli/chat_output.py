"""What `zyn chat` prints: the reply as plain text, and a chart as a PNG file under `var/charts/`.

Why a file: a terminal cannot show an image, and "Equity curve." with the picture dropped told
the owner nothing (issue 22.7); the path is printed so he can open it. Exit code as the contract
says: 0 for an answer, 2 when the message was refused as bad input.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.clock import RealClock
from core.messages import Reply, render_plain

CHARTS_DIR = Path("var") / "charts"


def chart_path(reply: Reply, now_ms: int, folder: Path = CHARTS_DIR) -> Path:
    """var/charts/<title>-<ms>.png ("Equity" -> equity-1733560000000.png)."""
    name = re.sub(r"[^a-z0-9]+", "-", (reply.title or "chart").lower()).strip("-") or "chart"
    return folder / f"{name}-{now_ms}.png"


def save_chart(reply: Reply, folder: Path = CHARTS_DIR) -> Path | None:
    if not reply.image_png:
        return None
    path = chart_path(reply, RealClock().now_ms(), folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(reply.image_png)
    return path


def print_reply(reply: Reply) -> int:
    text = render_plain(reply)
    saved = save_chart(reply)
    print(text if saved is None else f"{text}\nChart saved: {saved}")
    return 2 if reply.kind in ("error", "refusal") else 0
