"""`zyn sim-exchange --api-secret-file PATH`: the secret read from a private file (issue 19.9).

Why: `--api-secret S` puts the secret in the process list (`ps`, /proc/PID/cmdline) for every
user on the machine to read. A file that only its owner can read (mode 0600 or stricter) does
not. A file others may read is refused rather than used: the point of the option is secrecy.
The secret itself never appears in a message.
"""

from __future__ import annotations

import stat
from pathlib import Path

from core.domain import UserError

MAX_BYTES = 4096  # a Kraken secret is 88 characters; anything this big is the wrong file


def read_secret_file(path: str) -> str:
    """The file's one line, stripped; UserError (naming the option and the path) otherwise."""
    p = Path(path)
    try:
        info = p.stat()
    except FileNotFoundError:
        raise UserError(f"--api-secret-file {path}: no such file") from None
    except OSError as exc:
        raise UserError(f"--api-secret-file {path}: cannot read it ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise UserError(f"--api-secret-file {path}: not a regular file")
    if info.st_mode & 0o077:
        raise UserError(f"--api-secret-file {path}: mode {stat.S_IMODE(info.st_mode):04o} lets other users read "
                        f"it; chmod 600 {path}")
    if info.st_size > MAX_BYTES:
        raise UserError(f"--api-secret-file {path}: {info.st_size} bytes is not an API secret")
    try:
        with open(p, "rb") as fh:  # noqa: PTH123 - one read of a checked file
            raw = fh.read(MAX_BYTES + 1)
        text = raw.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise UserError(f"--api-secret-file {path}: not a text file") from None
    except OSError as exc:
        raise UserError(f"--api-secret-file {path}: cannot read it ({exc.strerror})") from None
    if not text or len(text.splitlines()) != 1:
        raise UserError(f"--api-secret-file {path}: must hold the secret on one line")
    return text


def api_secret(given: str | None, file: str | None) -> str:
    """`--api-secret` or `--api-secret-file` (not both); "" when neither (a pair is generated)."""
    if given and file:
        raise UserError("give --api-secret or --api-secret-file, not both")
    return read_secret_file(file) if file else (given or "")

