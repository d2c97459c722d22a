"""How jimmy runs Zyn in these tests: the `zyn` console script the README names, in a folder of
its own (one database), with no variable the README does not mention for the command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.ports import free_port

README_VARS = ("ZYN_", "DATABASE_URL", "PAPER_", "KRAKEN_", "OPENAI_", "TELEGRAM_", "SLACK_", "TWILIO_",
               "SMS_", "WEB_CHAT_TOKEN")


def zyn() -> list[str]:
    """The console script (`zyn`), from this interpreter's venv; `python -m bot` is the same."""
    script = Path(sys.executable).parent / "zyn"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "bot"]


def clean_env(**readme_vars: str) -> dict[str, str]:
    """The environment without any Zyn setting, plus the ones a README command line sets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(README_VARS)}
    return {**env, **readme_vars}


def offline(**readme_vars: str) -> dict[str, str]:
    """No network in tests: Kraken is a closed loopback port (KRAKEN_API_URL is a README variable)."""
    return clean_env(KRAKEN_API_URL=f"http://127.0.0.1:{free_port()}", **readme_vars)


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*zyn(), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
