"""`zyn sim-exchange --api-secret-file PATH` (contract row, issue 19.9): the secret comes from a
private file, so it is not in the process list; a file other users may read is refused.

The real command as a process, driven by real ccxt over loopback: a private call signed with
the file's secret succeeds, and the sim's command line does not contain the secret.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import ccxt
import pytest

from bot.cli.secret_file import api_secret, read_secret_file
from core.domain import UserError
from tests.bot.cli.test_cli_sim_exchange import free_port

SECRET = base64.b64encode(b"sim-secret-from-a-file-" + bytes(41)).decode()
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("ZYN_", "DATABASE_URL", "PAPER_", "KRAKEN_"))}


def secret_file(tmp_path: Path, mode: int, text: str = SECRET + "\n") -> Path:
    path = tmp_path / "kraken.secret"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_the_sim_signs_with_the_secret_from_the_file_and_hides_it(tmp_path: Path, data_dir: Path) -> None:
    port, path = free_port(), secret_file(tmp_path, 0o600)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sim-exchange", "--port", str(port), "--api-key", "key-from-cli",
         "--api-secret-file", str(path), "--data", str(data_dir / "kraken_small" / "KRAKEN_BTC-USDT_1h.csv"),
         "--balance", "USDT=5000", "--db", f"sqlite:///{tmp_path}/sim.db"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=tmp_path,
    )
    try:
        ex = ccxt.kraken({"apiKey": "key-from-cli", "secret": SECRET, "enableRateLimit": False})
        base = f"http://127.0.0.1:{port}"
        ex.urls["api"] = {**ex.urls["api"], "public": base, "private": base}
        deadline = time.time() + 30
        while True:
            try:
                ex.fetch_ticker("BTC/USDT")
                break
            except ccxt.NetworkError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.time() < deadline
                time.sleep(0.2)
        assert ex.fetch_balance()["total"]["USDT"] == 5000  # signed with the file's secret: accepted
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode()
        assert SECRET not in cmdline and str(path) in cmdline
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.mark.parametrize(("mode", "text", "needle"), [(0o644, SECRET, "chmod 600"), (0o640, SECRET, "chmod 600"),
                                                      (0o600, "", "one line"), (0o600, "a\nb\n", "one line")])
def test_a_readable_or_malformed_secret_file_is_refused(tmp_path: Path, mode: int, text: str, needle: str) -> None:
    path = secret_file(tmp_path, mode, text)
    with pytest.raises(UserError, match=needle) as err:
        read_secret_file(str(path))
    assert SECRET not in str(err.value)


def test_missing_file_both_options_and_the_plain_option() -> None:
    with pytest.raises(UserError, match="no such file"):
        read_secret_file("/nonexistent/secret")
    with pytest.raises(UserError, match="not both"):
        api_secret("s", "/some/file")
    assert api_secret("given", None) == "given" and api_secret(None, None) == ""


def test_a_world_readable_file_is_exit_2_in_one_line(tmp_path: Path) -> None:
    path = secret_file(tmp_path, 0o644)
    out = subprocess.run([sys.executable, "-m", "bot", "sim-exchange", "--port", str(free_port()), "--api-key", "k",
                          "--api-secret-file", str(path)], capture_output=True, text=True, env=ENV, cwd=tmp_path,
                         timeout=60)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "chmod 600" in out.stderr, out.stderr
    assert SECRET not in out.stderr + out.stdout
