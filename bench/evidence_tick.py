"""The evidence gate's share of a tick (issue 20.4): `LiveEvidence` over N LOAD pairs, one close
after another, with each pair's plain record recomputed from scratch at every close (as before:
`plain_trades` over the whole history) and extended by the new candle (`PlainRecord`), interleaved
close by close in one process; prints CPU per close for both, the load average beside them, and
checks that both give the same verdicts at every close.

Why apart from bench/universe_tick.py: there the gate is one part of a tick whose wall time on a
shared machine is mostly waiting for a core; here the gate alone, in CPU time, A and B on the
same data, candle for candle.
Usage: python bench/evidence_tick.py [--pairs 1000] [--days 35] [--closes 12]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from loguru import logger  # noqa: E402

from bench.load_pairs import build_load_folder  # noqa: E402
from core.evidence import DEFAULT_RULE, EvidenceGate, EvidenceTrade, plain_trades  # noqa: E402
from core.market_data.csv_loader import load_arrays  # noqa: E402
from core.markets.catalog import market_for  # noqa: E402
from core.trading.servant import ArraySource, LiveEvidence  # noqa: E402

HOUR = 3_600_000
DATA = REPO.parent / "shared" / "data"


class FromScratch(ArraySource):
    """The record as it was computed before: the kernel over the pair's whole history at each close."""

    def trades(self, pair: str, at_ms: int) -> Sequence[EvidenceTrade]:
        held = self.held(pair, at_ms)
        return [] if held is None else plain_trades(pair, self.timeframe, self.market_of(pair), held)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--days", type=int, default=35)
    ap.add_argument("--closes", type=int, default=12)
    args = ap.parse_args()
    logger.remove()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        names = build_load_folder(folder, DATA, args.pairs, hours=args.days * 24)
        arrays = {n: load_arrays(folder / f"LOAD_{n.replace('/', '-')}_1h.csv") for n in names}
    pairs = tuple(arrays)
    first = int(next(iter(arrays.values())).ts[0])
    start = first + 30 * 24 * HOUR  # as bench/universe_tick.py: a month of history before the ticks
    sides = {"from scratch": LiveEvidence(EvidenceGate(DEFAULT_RULE), pairs, FromScratch(arrays, "1h", market_for)),
             "incremental": LiveEvidence(EvidenceGate(DEFAULT_RULE), pairs, ArraySource(arrays, "1h", market_for))}
    print(f"{len(pairs)} LOAD pairs (real hourly candles time-shifted and price-scaled), {args.days} days; "
          f"load average {load()}", flush=True)
    cpu: dict[str, list[float]] = {k: [] for k in sides}
    for k in range(args.closes + 1):
        at = start + k * HOUR
        states = []
        for name, ev in sides.items():  # interleaved: A then B at every close
            c = time.process_time()
            states.append({p: ev.verdict(p, at).to_json() for p in pairs})
            cpu[name].append(time.process_time() - c)
        if states[0] != states[1]:
            print(f"close {k}: the verdicts DIFFER", flush=True)
            return 1
        print(f"close {k}: " + ", ".join(f"{n} CPU {v[-1]:.3f}s" for n, v in cpu.items())
              + (" (first: every record from the whole history)" if k == 0 else "")
              + f"; trades {sum(ev['trades'] for ev in states[0].values())}; load average {load()}", flush=True)
    med = {n: statistics.median(v[1:]) for n, v in cpu.items()}
    print(f"the evidence at one close over {len(pairs)} pairs, CPU median of {args.closes} closes: "
          + ", ".join(f"{n} {m * 1000:.1f} ms" for n, m in med.items())
          + f" ({med['from scratch'] / med['incremental']:.1f}x); verdicts identical at every close; "
          f"load average {load()}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
