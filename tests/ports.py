"""A free loopback port for a test's own server (the kernel picks it; closed again at once).

One copy for the tests that start real processes on ports (zyn run, the sim, a Dask cluster)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
