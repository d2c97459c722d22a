"""Views of the loop's arrays that carry no reference count.

Why: the loop's helpers are inlined at numba's IR level, and every array they take becomes a new
variable per candle; numba increments and decrements the array's reference count (an atomic
operation) for each one, which cost the compiled loop ~10x the bare loop per candle. A view made
here points at the same memory with a null meminfo, so those increments become a null check.
The caller keeps the real arrays alive for the whole call (they are its arguments), and the loop
never stores a view anywhere that outlives the call.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar, cast

from core.kernel.jit import import_numba

T = TypeVar("T")

_numba = import_numba()  # numba itself, loaded the kernel's way (imported by core/kernel/compiled.py only)
_types: Any = importlib.import_module("numba.core.types")
_arrayobj: Any = importlib.import_module("numba.np.arrayobj")
_intrinsic: Any = importlib.import_module("numba.extending").intrinsic


def _unowned(typingctx: Any, arr: Any) -> Any:
    """The same array (data, shape, strides) with no meminfo and no parent: never reference counted."""
    if not isinstance(arr, _types.Array):
        return None
    sig = arr(arr)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        src = _arrayobj.make_array(arr)(context, builder, value=args[0])
        out = _arrayobj.make_array(arr)(context, builder)
        _arrayobj.populate_array(out, data=src.data, shape=src.shape, strides=src.strides, itemsize=src.itemsize,
                                 meminfo=None)
        return out._getvalue()

    return sig, codegen


def _pointer(typingctx: Any, arr: Any) -> Any:
    """A raw pointer to a C-contiguous array's first element: indexing it is a plain load or store,
    and a pointer is never reference counted (not even the null check of an unowned view)."""
    if not isinstance(arr, _types.Array) or arr.layout != "C":
        return None
    sig = _types.CPointer(arr.dtype)(arr)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return _arrayobj.make_array(arr)(context, builder, value=args[0]).data

    return sig, codegen


def _typed(fn: Any) -> Callable[[T], T]:
    return cast(Callable[[T], T], fn)


unowned: Callable[[Any], Any] = _typed(_intrinsic(_unowned))
pointer: Callable[[Any], Any] = _typed(_intrinsic(_pointer))
