"""The composition root builds every part complete, once, and nothing is patched on afterwards.

Why these tests: a root that fills its application object in after construction (or sets
attributes on the parts it built) lets half-built objects escape and hides cycles; an `Any`
field hides what a part is. These hold the line: the application object is frozen and fully
typed, a real paper build fills every declared field, and the code itself (read as syntax trees)
never assigns an attribute onto a built object outside the object's own methods.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.wiring.app import Zyn, build_zyn
from core.config import load_settings
from tests.adapters.web.conftest import replay_env

ROOT = Path(__file__).resolve().parents[2]
ROOT_MODULES = sorted((ROOT / "bot" / "wiring").glob("*.py"))
# Result values and ORM rows that the function creating them fills in before handing them on
# (a backtest's timing, a loaded ledger's parts, a row's columns): data, not wired parts. A service,
# a port or the application object is never filled in after construction; a new entry here needs
# the same reason.
FILLED_BY_THEIR_BUILDER = {
    ("bot/conversation/memory.py", "row.summary"), ("bot/conversation/memory.py", "row.updated_ms"),
    ("core/research/backtest.py", "result.seconds"), ("core/kernel/backtest.py", "result.seconds"),
    ("core/learning/learner_ridge.py", "fit.coef"), ("core/learning/learner_ridge.py", "fit.cov"),
    ("core/learning/learner_ridge.py", "fit.intercept"), ("core/learning/learner_ridge.py", "fit.sigma"),
    ("core/paper/store.py", "result.prices"), ("core/paper/store.py", "result.orders"),
    ("core/paper/store.py", "result.fills"), ("core/status/pnl.py", "out.open_lots"),
    ("core/learning/pooled_data.py", "out.skipped"), ("core/learning/walk_forward.py", "out.seconds"),
}


def _annotation_names(annotation: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(annotation, mode="eval")) if isinstance(n, ast.Name)}


def _optional(annotation: str) -> bool:
    tree = ast.parse(annotation, mode="eval")
    return any(isinstance(n, ast.Constant) and n.value is None for n in ast.walk(tree))


# ------------------------------------------------------------------------------ the object
def test_the_application_object_is_frozen() -> None:
    assert dataclasses.is_dataclass(Zyn)
    assert Zyn.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_no_field_of_the_application_object_is_typed_any() -> None:
    for f in dataclasses.fields(Zyn):
        assert isinstance(f.type, str)  # `from __future__ import annotations`: the source text
        names = _annotation_names(f.type)
        assert "Any" not in names and "object" not in names, f"Zyn.{f.name}: {f.type}"


def test_the_application_module_names_no_any_at_all() -> None:
    """bot/wiring/app.py holds no explicit `Any` (fields, views and builder alike); checked as syntax so
    it costs nothing here (`mypy --disallow-any-explicit bot/wiring/app.py` says the same)."""
    tree = ast.parse((ROOT / "bot" / "wiring" / "app.py").read_text())
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert "Any" not in names | imported


@pytest.fixture
def zyn(tmp_path: Path, data_dir: Path) -> Iterator[Zyn]:
    z = build_zyn(load_settings(replay_env(tmp_path, data_dir)))
    try:
        yield z
    finally:
        z.close()


def test_a_paper_build_fills_every_declared_field_and_refuses_changes(zyn: Zyn) -> None:
    for f in dataclasses.fields(Zyn):
        value = getattr(zyn, f.name)
        assert _optional(str(f.type)) or value is not None, f"Zyn.{f.name} is None but typed {f.type}"
    assert zyn.replay is not None and zyn.feed is not None  # replay mode: driver and feed exist
    with pytest.raises(dataclasses.FrozenInstanceError):
        zyn.trading = zyn.trading  # type: ignore[misc]
    with pytest.raises(TypeError):
        zyn.channels["x"] = zyn.channels.get("sms")  # type: ignore[index]
    assert zyn.scheduler.state()["running"] is False  # built complete, started only by start()
    assert zyn.dispatcher.services.modules is zyn.modules


# ------------------------------------------------------------------------------ the code
def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _assigned_attributes(node: ast.AST) -> Iterator[ast.Attribute]:
    for sub in ast.walk(node):
        targets: list[ast.expr] = []
        if isinstance(sub, ast.Assign):
            targets = list(sub.targets)
        elif isinstance(sub, ast.AugAssign | ast.AnnAssign):
            targets = [sub.target]
        for target in targets:
            for t in ast.walk(target):
                if isinstance(t, ast.Attribute) and isinstance(t.ctx, ast.Store):
                    yield t


def _base_name(attr: ast.Attribute) -> str | None:
    value = attr.value
    while isinstance(value, ast.Attribute):
        value = value.value
    return value.id if isinstance(value, ast.Name) else None


def _outside_own_methods(path: Path) -> list[str]:
    """Attribute stores other than an object's own `self.name` (its state, in its methods), and
    any `setattr`/`__setattr__`/`__getattr__`, in one module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
            found.append(f"{path.name}:{node.lineno} setattr")
        if isinstance(node, ast.Attribute) and node.attr == "__setattr__":
            found.append(f"{path.name}:{node.lineno} __setattr__")
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            found.append(f"{path.name}:{node.lineno} __getattr__ proxy")
    for fn in _functions(tree):
        for attr in _assigned_attributes(fn):
            base = _base_name(attr)
            own = base == "self" and isinstance(attr.value, ast.Name)
            if not own and not _in_nested_function(fn, attr):
                found.append(f"{path.name}:{attr.lineno} {ast.unparse(attr)} = ... in {fn.name}()")
    return found


def _in_nested_function(fn: ast.AST, target: ast.AST) -> bool:
    """Reported by the innermost function only (ast.walk visits nested functions too)."""
    for inner in _functions(fn):
        if inner is not fn and any(n is target for n in ast.walk(inner)):
            return True
    return False


def test_the_root_modules_set_no_attribute_after_construction() -> None:
    assert len(ROOT_MODULES) >= 5, ROOT_MODULES
    found = [line for path in ROOT_MODULES for line in _outside_own_methods(path)]
    assert found == []


def _constructed_then_patched(path: Path, base: Path = ROOT) -> list[str]:
    """`x = SomeClass(...)` followed, in the same function, by `x.attr = ...`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for fn in _functions(tree):
        built: set[str] = set()
        for stmt in ast.walk(fn):
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
                callee = stmt.value.func
                name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
                if name[:1].isupper():
                    built |= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
        for attr in _assigned_attributes(fn):
            where = (path.relative_to(base).as_posix(), ast.unparse(attr))
            if isinstance(attr.value, ast.Name) and attr.value.id in built and where not in FILLED_BY_THEIR_BUILDER:
                found.append(f"{where[0]}:{attr.lineno} {where[1]} = ...")
    return found


def test_no_code_in_bot_or_core_patches_an_object_it_just_constructed() -> None:
    files = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "core").rglob("*.py")])
    assert len(files) > 50
    found = [line for path in files for line in _constructed_then_patched(path)]
    assert found == []


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """The two code checks above are not vacuous: each flags the pattern it forbids."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "class Zyn:\n"
        "    def __init__(self):\n        self.a = 1\n"
        "    def start(self):\n        self.b = 2\n        self.a.pct = 3\n"
        "    def __getattr__(self, name):\n        return 1\n"
        "def build():\n"
        "    zyn = Zyn()\n    zyn.trading = object()\n    setattr(zyn, 'x', 1)\n    return zyn\n"
    )
    root_findings = _outside_own_methods(bad)
    assert any("self.a.pct" in f for f in root_findings) and any("zyn.trading" in f for f in root_findings)
    assert any("setattr" in f for f in root_findings) and any("__getattr__" in f for f in root_findings)
    assert not any("self.a =" in f or "self.b" in f for f in root_findings)
    assert [f.split(" ", 1)[1] for f in _constructed_then_patched(bad, tmp_path)] == ["zyn.trading = ..."]
