"""`zyn chat … | head`: a reader that closes stdout early is the reader's choice, so the real `zyn`
command ends quietly (exit 141 = 128 + SIGPIPE, nothing on stderr) instead of printing
"zyn: [Errno 32] Broken pipe" or Python's "Exception ignored … BrokenPipeError"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.cli.main import SIGPIPE_EXIT


def test_zyn_chat_into_a_reader_that_closed_early_exits_quietly(tmp_path: Path) -> None:
    zyn = Path(sys.executable).with_name("zyn")
    assert zyn.is_file(), f"the installed zyn command is missing at {zyn}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "ZYN_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([str(zyn), "chat", "help"], cwd=tmp_path, env=env,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader goes away before zyn writes its answer
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == SIGPIPE_EXIT, stderr
    assert stderr == ""


def test_zyn_chat_into_an_open_reader_still_prints_and_exits_0(tmp_path: Path) -> None:
    zyn = Path(sys.executable).with_name("zyn")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "ZYN_LOG_LEVEL": "WARNING"}
    done = subprocess.run([str(zyn), "chat", "help"], cwd=tmp_path, env=env, capture_output=True,  # noqa: S603
                          text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip(), done.stderr
