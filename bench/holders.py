"""Who holds the objects a soak grows (bench/soak.py --holders): gc-tracked objects that appeared
between two moments, by type, each sample followed up its referrers to a named attribute.

tracemalloc names where an object was allocated, not what keeps it alive; a slope is made of the
second. For a sample of the new objects of each grown type, the first referrer chain that reaches
an instance attribute (`Class.attr`) or a module global is printed, counted over the samples.
"""

from __future__ import annotations

import gc
import sys
import types
from collections import Counter


def snapshot_ids() -> set[int]:
    """The ids of every gc-tracked object now (the `before` of `print_holders`)."""
    gc.collect()
    return {id(o) for o in gc.get_objects()}


def _step(container: object, child: object) -> str:
    """How `container` refers to `child`, in a few characters."""
    if isinstance(container, dict):
        for k, v in container.items():
            if v is child:
                return f"[{k!r:.40}]"
            if k is child:
                return "{key}"
        return "{?}"
    if isinstance(container, (list, tuple)):
        return f"{type(container).__name__}[{len(container)}]"
    return type(container).__qualname__


def _owner(d: dict[str, object], seen: set[int]) -> object | None:
    """The instance or module whose __dict__ is `d`, if any."""
    for r in gc.get_referrers(d):
        if id(r) in seen:
            continue
        if getattr(r, "__dict__", None) is d:
            owner: object = r
            return owner
    return None


def chain(obj: object, ignore: set[int], depth: int = 10) -> str:
    """The first referrer path from `obj` up to an attribute of a named object (or `depth` steps)."""
    parts: list[str] = []
    cur = obj
    seen = set(ignore) | {id(obj)}
    for _ in range(depth):
        found = gc.get_referrers(cur)
        seen.add(id(found))
        refs = [r for r in found if id(r) not in seen
                and not isinstance(r, (types.FrameType, types.FunctionType, types.GeneratorType))]
        seen.add(id(refs))
        if not refs:
            parts.append("<no tracked referrer>")
            break
        # prefer a dict (an attribute) or a named object over a loose tuple/list
        refs.sort(key=lambda r: (not isinstance(r, dict), isinstance(r, tuple)))
        r = refs[0]
        seen.add(id(r))
        step = _step(r, cur)
        if isinstance(r, dict):
            owner = _owner(r, seen)
            if owner is not None:
                name = owner.__name__ if isinstance(owner, types.ModuleType) else type(owner).__qualname__
                parts.append(f"{name}.{step.strip('[]').strip(chr(39))}")
                if isinstance(owner, types.ModuleType):
                    break
                seen.add(id(owner))
                cur = owner
                continue
        parts.append(step)
        cur = r
    return " <- ".join(parts)


def print_holders(before: set[int], top: int = 10, samples: int = 12) -> None:
    """For the `top` types with the most objects new since `before`: how many, who holds a sample."""
    gc.collect()
    everything = gc.get_objects()
    new = [o for o in everything if id(o) not in before and o is not before]  # `before` itself: 8 MB
    del everything
    ignore = {id(new)}
    by_type: dict[str, list[object]] = {}
    for o in new:
        by_type.setdefault(type(o).__qualname__, []).append(o)
    ignore |= {id(v) for v in by_type.values()} | {id(by_type)}
    print("holders of the objects grown since day 1 (a sample of each type, first referrer chain):")
    total = sum(sys.getsizeof(o) for o in new)
    print(f"  all types: +{len(new)} objects, {total / 2**20:.3f} MB shallow")
    sizes = {t: sum(sys.getsizeof(o) for o in objs) for t, objs in by_type.items()}
    heavy = sorted(sizes, key=lambda t: -sizes[t])[:3]
    for name in dict.fromkeys([*heavy, *sorted(by_type, key=lambda t: -len(by_type[t]))[:top]]):
        objs = by_type[name]
        step = max(1, len(objs) // samples)
        picked = objs[::step][:samples]
        counts: Counter[str] = Counter()
        for o in picked:
            counts[chain(o, ignore | {id(picked)})] += 1
        size = sizes[name]  # shallow: the object itself, not what it holds
        print(f"  {name}: +{len(objs)} objects, {size / 2**20:.3f} MB shallow")
        for path, n in counts.most_common():
            print(f"    {n:3d} x {path}")


def deep_mb(root: object) -> float:
    """MB reachable from `root` through gc referents (strings and numbers included), each object once."""
    seen: set[int] = set()
    todo, total = [root], 0
    while todo:
        o = todo.pop()
        if id(o) in seen or isinstance(o, (type, types.ModuleType, types.FunctionType)):
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        todo.extend(gc.get_referents(o))
    return total / 2**20
