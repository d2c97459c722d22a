"""`zyn run` refuses to expose the money-moving web chat off loopback without WEB_CHAT_TOKEN."""

import os
import subprocess
import sys
from pathlib import Path


def test_run_refuses_public_bind_without_token(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/z.db", "PAPER_FEED": "auto",
           "KRAKEN_API_URL": "http://127.0.0.1:9"}
    env.pop("WEB_CHAT_TOKEN", None)
    out = subprocess.run([sys.executable, "-m", "bot", "run", "--host", "0.0.0.0", "--port", "5999"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert out.returncode == 2 and "WEB_CHAT_TOKEN" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "z.db").exists()  # refused before anything was built
