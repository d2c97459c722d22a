"""A private PostgreSQL server for one test — its own data directory and port — so the test may
stop and start it while Zyn runs (the shared server of ZYN_TEST_POSTGRES_URL must stay up).

Why not the CI server: restarting it would break every other PostgreSQL test. The Debian
`postgresql` package (installed by .ci/run) has `initdb`/`pg_ctl`; without them the test is
skipped with that reason. PostgreSQL refuses to run as root, so as root the server runs as the
`postgres` user (as .ci/run does).

Without durability on disk (`initdb --no-sync`, `fsync=off`): what these tests stop and start is
the server process, never the machine, so the page cache keeps every committed row across a
`pg_ctl stop` / `start` exactly as before. Syncing the fresh data directory alone took 2-6 s of
each such test on the shared 2-core machine.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


def _bin_dir() -> Path | None:
    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(found) / "initdb").exists() and (Path(found) / "pg_ctl").exists():
            return Path(found)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateServer:
    def __init__(self) -> None:
        found = _bin_dir()
        if found is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed; .ci/run installs them")
        self.bin: Path = found
        self.port = _free_port()
        # Not under pytest's tmp_path: that is private to root, and the server may run as postgres.
        self.data = Path(tempfile.mkdtemp(prefix="zyn-test-pg-"))
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._pg([str(self.bin / "initdb"), "-D", str(self.data), "-U", "zyn", "--auth=trust", "-E", "UTF8",
                  "--no-sync"])

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://zyn@127.0.0.1:{self.port}/postgres"

    def start(self) -> PrivateServer:
        self._ctl("start", "-w", "-o", f"-h 127.0.0.1 -p {self.port} -k {self.data} -c fsync=off",
                  "-l", str(self.data / "log"))
        return self

    def stop(self) -> None:
        self._ctl("stop", "-w", "-m", "fast")

    def remove(self) -> None:
        try:
            self._ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.data, ignore_errors=True)

    def _ctl(self, *args: str) -> None:
        self._pg([str(self.bin / "pg_ctl"), "-D", str(self.data), *args])

    def _pg(self, cmd: list[str]) -> None:
        subprocess.run([*self._as, *cmd], check=True, capture_output=True, timeout=60)  # noqa: S603
