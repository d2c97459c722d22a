"""Off a terminal a folder walk-forward writes a plain progress line every ~10 % (bot/cli/plain_progress.py)."""

from __future__ import annotations

import io

from bot.cli.plain_progress import PlainProgress


def test_a_line_each_tenth_of_the_steps_with_done_total_elapsed_and_the_step() -> None:
    now = [100.0]
    out = io.StringIO()
    progress = PlainProgress(23, "servant walk-forward", out, clock=lambda: now[0])
    for i in range(23):
        now[0] += 0.5
        progress.step(f"control seed {i}")
    lines = out.getvalue().splitlines()
    assert len(lines) == 10  # 10 %, 20 %, …, 100 %: one line per tenth, no more
    assert lines[0] == "servant walk-forward: 3 of 23 steps (13 %), 1.5 s — control seed 2"
    assert lines[-1] == "servant walk-forward: 23 of 23 steps (100 %), 11.5 s — control seed 22"


def test_few_steps_write_one_line_per_step_and_always_the_last() -> None:
    out = io.StringIO()
    progress = PlainProgress(3, "walk-forward", out, clock=lambda: 0.0)
    for label in ("baseline BTC/USD", "learned BTC/USD", "control BTC/USD"):
        progress.step(label)
    assert [ln.split(": ", 1)[1].split(",")[0] for ln in out.getvalue().splitlines()] == [
        "1 of 3 steps (33 %)", "2 of 3 steps (66 %)", "3 of 3 steps (100 %)"]
