"""The kernel's compiled flavour: core/kernel/loop.py's entry points, compiled by numba from the
same bytecode the interpreted flavour runs (core.kernel.jit.compile_tagged).

Why a module: importing it is the one-time cost (numba, LLVM, the intrinsics of
core/kernel/unowned.py), paid once per process by whichever caller first has big work
(core.kernel.flavour.by_work), and Python's import system already makes that happen once and
thread-safely. Its names are built at import and never change. Each function is loaded from
numba's on-disk cache (or compiled) at its first call.
"""

from __future__ import annotations

from typing import Any

from core.kernel import loop, position_steps, signal_steps, tags
from core.kernel import unowned as intrinsics
from core.kernel.jit import compile_tagged

_built = compile_tagged((signal_steps, position_steps, loop),
                        {id(tags.pointer): intrinsics.pointer, id(tags.unowned): intrinsics.unowned})

run_loop: Any = _built["run_loop"]
live_warm: Any = _built["live_warm"]
live_step: Any = _built["live_step"]
live_size: Any = _built["live_size"]
live_record_exit: Any = _built["live_record_exit"]
live_veto: Any = _built["live_veto"]
