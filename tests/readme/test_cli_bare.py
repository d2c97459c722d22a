"""A command typed without its verb, as jimmy does to see what there is: one line naming the choices.

`zyn data` said "the following arguments are required: data_command" (an internal name) and `zyn`
"... required: command"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.readme.jimmy import clean_env, run


@pytest.mark.parametrize(("args", "names"), [([], ("run", "chat", "sim-exchange", "data")),
                                             (["data"], ("import", "status"))])
def test_a_bare_command_names_its_choices(tmp_path: Path, args: list[str], names: tuple[str, ...]) -> None:
    out = run(args, tmp_path, clean_env())
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and all(name in out.stderr for name in names), out.stderr
    assert "data_command" not in out.stderr
