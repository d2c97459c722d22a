"""`zyn backtest --data DIR --learn --json`: the pooled walk-forward through the real command line."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.bot.cli.test_cli import run as run_cli
from tests.bot.dask_cluster import executed_counts

SUMMARY_KEYS = {
    "baseline_return", "learned_return", "control_return", "control_seeds", "seeds_beaten", "skill",
    "baseline_max_drawdown", "learned_max_drawdown",
}


# A pooled walk-forward is minutes of CPU-bound work on a loaded 2-core machine: the child's limit
# is an upper bound for a hung run only (120 s was hit at load 14), and pytest's own limit covers
# the module's slowest test (two runs back to back).
LEARN_TIMEOUT_S = 600
pytestmark = pytest.mark.timeout(2 * LEARN_TIMEOUT_S + 60)


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(args, cwd, timeout_s=LEARN_TIMEOUT_S, **env)


NAMES = ("KRAKEN-CDD_BTC-USD_1h.csv", "KRAKEN-CDD_ETH-USD_1h.csv", "KRAKEN-CDD_LTC-USD_1h.csv")


def _small_folder(data_dir: Path, tmp_path: Path, pairs: int = 3, hours: int = 6000) -> Path:
    """Real pair files cut to their first `hours` hours (a temporary folder, not the repo)."""
    folder = tmp_path / "universe"
    folder.mkdir()
    for name in NAMES[:pairs]:
        lines = (data_dir / "kraken_cdd" / name).read_text(encoding="utf-8").splitlines()[: hours + 1]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a pair file", encoding="utf-8")
    return folder


def test_pooled_learn_json_has_the_contract_shape(data_dir: Path, tmp_path: Path) -> None:
    folder = _small_folder(data_dir, tmp_path)
    out = run(["backtest", "--data", str(folder), "--timeframe", "4h", "--learn", "--json", "--seeds", "3"],
              tmp_path)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert set(body) == {"timeframe", "folds", "variant", "pairs", "summary"}
    assert body["timeframe"] == "4h" and body["folds"] == 5 and body["variant"] == "G-b"  # the judged model
    assert [p["pair"] for p in body["pairs"]] == ["BTC/USD", "ETH/USD", "LTC/USD"]
    for p in body["pairs"]:
        assert set(p) == {"pair", "baseline", "learned", "skipped", "signals", "control_return"}
        assert p["baseline"]["trades"] > 0 and p["baseline"]["timeframe"] == "4h"
    s = body["summary"]
    assert set(s) == SUMMARY_KEYS and s["control_seeds"] == 3
    mean = sum(p["baseline"]["total_return"] for p in body["pairs"]) / 3
    assert abs(s["baseline_return"] - mean) < 1e-12  # a fraction, averaged over pairs
    assert 0 <= s["seeds_beaten"] <= 3 and isinstance(s["skill"], bool)
    assert "pooled walk-forward: 3 pairs" in out.stderr


def test_pooled_learn_table_and_bad_folder(data_dir: Path, tmp_path: Path) -> None:
    folder = _small_folder(data_dir, tmp_path, pairs=2, hours=2000)
    out = run(["backtest", "--data", str(folder), "--learn", "--seeds", "2"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "random-skip control" in out.stdout and "skill:" in out.stdout
    assert re.search(r"learned above \d+ of 2 seeds\)", out.stdout)  # "17 of 20", not "above 17" (22.9)
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = run(["backtest", "--data", str(empty), "--learn", "--json"], tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stdout == ""
    seeds = run(["backtest", "--data", str(folder), "--learn", "--seeds", "0"], tmp_path)
    assert seeds.returncode == 2 and "--seeds" in seeds.stderr


def _without_seconds(obj: object) -> object:
    if isinstance(obj, dict):
        return {k: _without_seconds(v) for k, v in obj.items() if k != "seconds"}
    if isinstance(obj, list):
        return [_without_seconds(v) for v in obj]
    return obj


def test_pooled_learn_on_a_dask_cluster_equals_the_single_process_run(
    data_dir: Path, tmp_path: Path, dask_cluster: str
) -> None:
    folder = _small_folder(data_dir, tmp_path, pairs=2, hours=30_000)  # whole files: enough trades to learn
    args = ["backtest", "--data", str(folder), "--timeframe", "4h", "--learn", "--json", "--seeds", "3"]
    single = run(args, tmp_path)
    assert single.returncode == 0, single.stderr
    before = executed_counts(dask_cluster)  # the cluster is the session's: count this run's tasks only
    spread = run(args, tmp_path, ZYN_DASK_SCHEDULER=dask_cluster)
    assert spread.returncode == 0, spread.stderr
    assert "(single-process, sma20_atr on the kernel)" in single.stderr
    assert f"({dask_cluster}, sma20_atr on the kernel)" in spread.stderr
    done = {w: n - before.get(w, 0) for w, n in executed_counts(dask_cluster).items()}
    # 2 baselines + 5 fold fits + 2 learned runs + the control runs of the pairs the learner skipped in
    assert sum(done.values()) >= 9 and len(done) == 2, done
    a, b = json.loads(single.stdout), json.loads(spread.stdout)
    assert sum(p["skipped"] for p in a["pairs"]) > 0
    assert _without_seconds(b) == _without_seconds(a)


def test_pooled_learn_with_an_unknown_strategy_is_one_line(data_dir: Path, tmp_path: Path) -> None:
    folder = _small_folder(data_dir, tmp_path, pairs=2, hours=2000)
    out = run(["backtest", "--data", str(folder), "--learn", "--json"], tmp_path, ZYN_STRATEGY="nope")
    assert out.returncode == 2 and out.stdout == "" and "Traceback" not in out.stderr
    assert "ZYN_STRATEGY='nope' must be one of" in out.stderr and out.stderr.count("\n") == 1
