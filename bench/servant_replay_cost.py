"""What the evidence gate costs a replay: CPU seconds of the same replay with ZYN_EVIDENCE off and on.

Why: with the gate on, every candle close re-runs the plain strategy (the compiled kernel) over
each pair's candles closed by then, so the cost grows with the history replayed; this prints it
on real candles through the composition root (paper replay, SQLite in a temp dir).
Usage: python bench/servant_replay_cost.py [--days 400] [--data ../shared/data/kraken] [--timeframe 4h]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from loguru import logger  # noqa: E402

from bot.wiring.app import build_zyn  # noqa: E402
from core.config import load_settings  # noqa: E402

DAY = 86_400_000


def _outcome(zyn: object) -> None:
    """What the run did: decisions by action, equity, and each pair's evidence at the end."""
    from collections import Counter

    from sqlmodel import Session, select

    from core.telemetry.models import DecisionRow
    from core.trading.servant import evidence_text

    with Session(zyn.db) as s:  # type: ignore[attr-defined]
        actions = Counter(r.action for r in s.exec(select(DecisionRow)).all())
    snap = zyn.status.snapshot()  # type: ignore[attr-defined]
    print(f"  decisions {dict(sorted(actions.items()))}; equity {snap['equity_usd']:.2f}")
    from core.evidence import PairEvidence

    for pair, fig in snap["evidence"].items():
        print("  " + evidence_text(PairEvidence(pair, **fig)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=400)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "kraken"))
    ap.add_argument("--timeframe", default="4h")
    args = ap.parse_args()
    logger.remove()
    for flag in ("off", "on"):
        with tempfile.TemporaryDirectory() as tmp:
            env = {"DATABASE_URL": f"sqlite:///{tmp}/zyn.db", "PAPER_FEED": "replay", "PAPER_DATA": args.data,
                   "ZYN_TIMEFRAME": args.timeframe, "ZYN_EVIDENCE": flag}
            zyn = build_zyn(load_settings(env))
            replay = zyn.replay
            if replay is None:
                raise SystemExit("no replay: check --data")
            t0 = time.process_time()
            replay.step((replay.start_ms() or 0) + args.days * DAY)
            print(f"ZYN_EVIDENCE={flag}: {args.days} days at {args.timeframe} over {', '.join(zyn.settings.pairs)}: "
                  f"{time.process_time() - t0:.1f} CPU s, {replay.ticks} ticks")
            _outcome(zyn)
            zyn.close()


if __name__ == "__main__":
    main()
