"""The process entry of `zyn` (the console script and `python -m bot`): run one command, then let
the interpreter exit without walking the heap.

Why: Python's shutdown runs full garbage collections over every object still alive. A `zyn run`
holds a few hundred thousand (candles, the intent classifier, the SDKs), so after its last log
line the process spent 2-6 s inside the collector before exiting on a loaded 2-core machine: a
Ctrl-C, a supervisor's restart or a deploy waited that long, and every test that stops a
`zyn run` did too. By the time the command returns, Zyn has closed what it opened (the web
server, the scheduler, the database pools, the log sinks, which loguru also removes at exit);
`gc.freeze()` then moves the survivors out of the collector's sight. Reference counting still
frees them and `atexit` handlers still run; only the pointless final traversal is skipped.

Not in `bot.cli.main.main`: tests call that in-process, where freezing would keep their garbage
for the rest of the pytest run.
"""

from __future__ import annotations

import gc

from bot.cli.main import main as run_command


def main() -> int:
    """`zyn ARGS...`: the exit code of the command."""
    code = run_command()
    gc.freeze()  # the process ends right after: see the module docstring
    return code
