"""Which candles `zyn sim-exchange` replays when no `--data` is given.

Why: the contract shows `--data` as optional and says the bare `zyn sim-exchange` works "exactly as
shown, with no other variable"; without this it died with a traceback (`Path(None)`). The order is
the one a user would expect: `--data`, else the `PAPER_DATA` Zyn itself replays, else the real
candles the README's replay example uses (`../shared/data/kraken`, beside the checkout the
command is run from); with none of them, one line naming what to give.
"""

from __future__ import annotations

from pathlib import Path

from core.domain import UserError

SHARED_CANDLES = Path("..") / "shared" / "data" / "kraken"


def sim_data_path(data: str | None, paper_data: str, cwd: Path | None = None) -> tuple[str, str]:
    """(path, where it came from) for the sim's candles; UserError when there are none to serve."""
    if data:
        return data, "--data"
    if paper_data:
        return paper_data, "PAPER_DATA"
    shared = (cwd or Path.cwd()) / SHARED_CANDLES
    if shared.is_dir():
        return str(SHARED_CANDLES), "the shared candles beside this checkout"
    raise UserError(
        f"no candles to serve: give --data CSV_OR_DIR (or set PAPER_DATA); {SHARED_CANDLES} is not here"
    )
