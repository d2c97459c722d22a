"""Is BLAS really held to one thread while the walk-forwards fit? threadpoolctl's view from inside.

Why: `core.learning.learner_ml.one_thread()` limits OpenMP and BLAS around every fit and score
(issue 20.3, bench/fit_threads.py measured it in process); this checks it is in effect on the real
command's paths, as real processes: `zyn backtest --data DIR --learn` in one process and with a
local Dask cluster (ZYN_DASK_SCHEDULER=local: the fits run in worker processes), and
`zyn backtest --data DIR --servant`. bench/thread_probe/sitecustomize.py is put on PYTHONPATH, so
every Python process of the run (CLI and Dask workers) samples `threadpool_info()` every 20 ms
from a side thread; this prints, per process, how many samples saw each thread count per pool.
OpenBLAS's thread count is process-wide, so a side thread sees the fit's limit (samples at 1 =
time inside a limited fit or score; at 2 = outside). OpenMP's count is per calling thread, so a side
thread does not see the fitting thread's OpenMP limit (bench/fit_threads.py covers OpenMP).

    .venv/bin/python bench/fit_threads_probe.py [--data ../shared/data/binance_dev_4h] [--pairs 4] [--seeds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROBE = REPO / "bench" / "thread_probe"


def subset(folder: Path, n: int, root: Path) -> Path:
    target = root / f"first{n}"
    target.mkdir(parents=True, exist_ok=True)
    for f in sorted(p for p in folder.iterdir() if p.suffix == ".csv")[:n]:
        link = target / f.name
        if not link.exists():
            link.symlink_to(f)
    return target


def probe(label: str, cmd: list[str], local: bool) -> None:
    with tempfile.TemporaryDirectory() as out:
        env = {k: v for k, v in os.environ.items() if k not in ("ZYN_DASK_SCHEDULER", "PYTHONPATH")}
        env |= {"PYTHONPATH": str(PROBE), "ZYN_THREAD_PROBE_DIR": out}
        if local:
            env["ZYN_DASK_SCHEDULER"] = "local"
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)
        last = [ln for ln in res.stderr.replace("\r", "\n").splitlines() if ln.strip()][-1:]
        print(f"{label}: exit {res.returncode}; {last[0] if last else ''}")
        for f in sorted(Path(out).glob("pid*.json")):
            seen = json.loads(f.read_text())
            pools = "; ".join(f"{k} threads:samples {dict(sorted(v.items()))}" for k, v in sorted(seen.items()))
            print(f"  process {f.stem}: {pools or 'no native pool loaded'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "binance_dev_4h"))
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--zyn", default=str(REPO / ".venv" / "bin" / "zyn"))
    args = ap.parse_args(argv)
    folder = subset(Path(args.data).resolve(), args.pairs, Path(tempfile.gettempdir()) / "zyn-thread-probe")
    print(f"{args.pairs} pairs of {Path(args.data).name} ({folder}), {args.seeds} seeds, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()}")
    base = [args.zyn, "backtest", "--data", str(folder), "--timeframe", "4h", "--json", "--seeds", str(args.seeds)]
    probe("--learn, single process", [*base, "--learn"], local=False)
    probe("--learn, ZYN_DASK_SCHEDULER=local", [*base, "--learn"], local=True)
    probe("--servant, single process", [*base, "--servant"], local=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
