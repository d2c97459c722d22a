"""`zyn backtest --data DIR --timeframe TF --servant --json`: the contract's JSON through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

from bot.cli.servant import VARIANTS_LOG, variants_tried
from tests.bot.cli.test_cli import run

SUMMARY_KEYS = {"baseline_return", "servant_return", "control_return", "control_seeds", "seeds_beaten", "skill",
                "live_trades", "shadow_trades", "baseline_max_drawdown", "servant_max_drawdown", "deflated_sharpe",
                "variants_tried"}
NAMES = ("KRAKEN-CDD_BTC-USD_1h.csv", "KRAKEN-CDD_ETH-USD_1h.csv", "KRAKEN-CDD_LTC-USD_1h.csv")


def _folder(data_dir: Path, tmp_path: Path, hours: int = 4000) -> Path:
    """Real pair files cut to their first `hours` hours (a temporary folder, not the repo)."""
    folder = tmp_path / "universe"
    folder.mkdir()
    for name in NAMES:
        lines = (data_dir / "kraken_cdd" / name).read_text(encoding="utf-8").splitlines()[: hours + 1]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_servant_json_has_the_contract_shape_and_a_captured_run_shows_progress_on_stderr(
    data_dir: Path, tmp_path: Path
) -> None:
    folder = _folder(data_dir, tmp_path)
    out = run(["backtest", "--data", str(folder), "--timeframe", "1h", "--servant", "--json", "--seeds", "3"],
              tmp_path)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert set(body) == {"timeframe", "pairs", "summary"} and body["timeframe"] == "1h"
    s = body["summary"]
    assert set(s) == SUMMARY_KEYS and s["control_seeds"] == 3 and isinstance(s["skill"], bool)
    assert s["variants_tried"] == variants_tried() >= 5  # read from the committed log
    dsr = s["deflated_sharpe"]  # a number even when the servant never trades (no null in the contract's JSON)
    assert isinstance(dsr, float) and 0.0 <= dsr <= 1.0
    if s["live_trades"] == 0:  # a flat account: SR = 0, so P(true SR > SR*) is below a coin flip for > 1 variant
        assert dsr < 0.5
    assert [p["pair"] for p in body["pairs"]] == ["BTC/USD", "ETH/USD", "LTC/USD"]
    for p in body["pairs"]:
        assert {"pair", "states", "live_trades", "shadow_trades", "return_contribution"} <= set(p)
        assert p["live_trades"] + p["shadow_trades"] <= p["signals"]
    assert "servant walk-forward: 3 pairs" in out.stderr
    # stderr is a pipe here (no tty, tqdm would hide its bar): plain progress lines, ending at 100 %
    assert "servant walk-forward: 6 of 6 steps (100 %)" in out.stderr, out.stderr
    assert "steps (" not in out.stdout  # stdout stays the one JSON object


def test_servant_table_and_mistakes_are_one_line(data_dir: Path, tmp_path: Path) -> None:
    folder = _folder(data_dir, tmp_path, hours=1500)
    out = run(["backtest", "--data", str(folder), "--servant", "--seeds", "2"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "random gates" in out.stdout and "skill:" in out.stdout and "deflated Sharpe" in out.stdout
    assert "deflated Sharpe n/a" not in out.stdout
    for args in (["--data", str(folder / NAMES[0]), "--servant"], ["--data", str(folder), "--servant", "--seeds", "0"],
                 ["--data", str(folder), "--servant", "--learn"]):
        bad = run(["backtest", *args], tmp_path)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stdout == "", args


def test_the_variants_log_has_a_header_and_one_line_per_variant() -> None:
    lines = VARIANTS_LOG.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t")[0] == "id"
    assert variants_tried() == len([ln for ln in lines[1:] if ln.strip()])


def test_the_default_rule_is_a_logged_variant() -> None:
    """The frozen rule must be one of the variants counted for the deflated Sharpe, with its thresholds."""
    from core.evidence.rule import DEFAULT_RULE

    rows = {r[0]: r for r in (ln.split("\t") for ln in VARIANTS_LOG.read_text(encoding="utf-8").splitlines()[1:])}
    row = rows[DEFAULT_RULE.name]
    logged = (int(row[1]), int(row[2]), float(row[3]), float(row[4]), float(row[5]), float(row[6]), int(row[7]))
    d = DEFAULT_RULE
    assert logged == (d.min_trades, d.lookback_days, d.prior_trades, d.z, d.enter_above, d.exit_below, d.review_days)
