"""The chart process: `python -m bot.alerts.chart_child` reads one chart request (JSON) on stdin and
writes the PNG or SVG bytes on stdout, then exits.

Why a process: matplotlib, once imported, stays resident (~33 MB of code, fonts and caches that
Python never unloads); drawn here, it leaves with the process and `zyn run` never holds it (issue
20.5). A failure is one line on stderr and exit status 1: the caller turns it into one clear line.
"""

from __future__ import annotations

import json
import sys

from bot.alerts.chart_figures import draw


def main() -> int:
    try:
        request = json.loads(sys.stdin.buffer.read())
        if not isinstance(request, dict):
            raise ValueError("a chart request is a JSON object")
        image = draw(request)
    except Exception as exc:  # noqa: BLE001 - any failure is one line for the caller, never a traceback
        print(f"{type(exc).__name__}: {exc}"[:300].replace("\n", " "), file=sys.stderr)
        return 1
    sys.stdout.buffer.write(image)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
