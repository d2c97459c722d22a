"""stats [pair|hour|weekday|session|regime|trend|exit|best|worst] [GROUP]: Zyn's own record.

Why a command of its own: "what works best for you?" and "are Sunday trades worth it?" must be
answered from Zyn's closed trades with the same arithmetic the learner uses (core.learning.analyzer), and
honestly: every figure carries its sample size, the win rate its Wilson 95 % interval, the
expectancy is in R, and groups under `SMALL_SAMPLE` trades say so. "My trades" are paper and live
trades; backtest ('bootstrap') trades are only used when there is nothing else, and the reply
says which it used. The offline engine and the LLM's `get_stats` tool both run this command.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.commands.context import CommandContext, fmt_money
from bot.conversation.envelope import Reply, Row
from bot.conversation.parser import WEEKDAY_NAMES, Command
from core.learning.analyzer import SMALL_SAMPLE, AnalyzerReport, GroupStats, TradeAnalyzer, TradeRecord, group_stats
from core.learning.stats import rate_text, wilson
from core.time_context import SESSION_HOURS, time_context

EXCLUDED_SOURCES = frozenset({"bootstrap", "backtest"})
DIM_KEYS = {
    "pair": "pair",
    "hour": "hour_bucket",
    "weekday": "weekday",
    "session": "session",
    "regime": "vol_regime",
    "trend": "trend",
    "exit": "exit_reason",
}
RANKED = ("pair", "hour", "weekday", "session", "regime", "trend")  # an exit reason is not a choice
NIGHT_LOCAL = (22, 6)  # in the owner's time zone
COLUMNS = ["Group", "Trades", "Won (95 % CI)", "Expectancy", "P&L", "Note"]
BREAKDOWNS = "Breakdowns: stats pair | hour | weekday | session | regime | trend | exit."


@dataclass(frozen=True)
class Sample:
    """The trades the figures are about, their analysis, and one line saying which trades they are."""

    records: list[TradeRecord]
    report: AnalyzerReport
    note: str


def load_sample(db: Engine) -> Sample | None:
    """Closed paper/live trades (backtest ones only when there are no others); None when no trades."""
    analyzer = TradeAnalyzer(db)
    everything = analyzer.records()
    if not everything:
        return None
    mine = [r for r in everything if r.source not in EXCLUDED_SOURCES]
    if mine:
        sources = " and ".join(sorted({r.source for r in mine}))
        left_out = len(everything) - len(mine)
        note = f"From my {len(mine)} closed {sources} trade(s)"
        note += f"; {left_out} backtest (bootstrap) trade(s) not counted." if left_out else "."
        records = mine
    else:
        records = everything
        note = (
            f"I have no closed paper or live trades yet, so this is from {len(records)} backtest "
            "(bootstrap) trade(s): simulated history, not my own trading."
        )
    return Sample(records, analyzer.analyze(records), note)


# ---- formatting -------------------------------------------------------------------------------


def label(g: GroupStats) -> str:
    """How a group is named in a sentence: 'Sunday', '00:00–04:00 UTC', 'Asia session'."""
    dim, value = g.dimension, g.value
    if dim == "all":
        return "overall"
    if dim == "hour_bucket" and "-" in value:
        start, end = value.split("-", 1)
        return f"{start}:00–{end}:00 UTC"
    suffix = {"session": " session", "vol_regime": " volatility", "trend": " trend"}.get(dim, "")
    if dim == "session" and value == "off":
        return "outside the main sessions"
    if dim == "exit_reason":
        return f"exit by {value}"
    if value == "unknown" and suffix:
        return f"{suffix.strip()} unknown"
    return value + suffix


def phrase(g: GroupStats) -> str:
    """How a group reads inside a sentence: 'on Sundays', 'on ETH/USD', 'in high volatility'."""
    dim, value = g.dimension, g.value
    if dim == "weekday":
        return f"on {value}s"
    if dim == "pair":
        return f"on {value}"
    if dim == "hour_bucket":
        start, _, end = value.partition("-")
        return f"between {start}:00 and {end}:00 UTC"
    if dim == "exit_reason":
        return f"in trades that exited by {value}"
    if dim == "session" and value != "off":
        return f"in the {value} session"
    text = label(g)
    return text if text.startswith("outside") else f"in {text}"


def expectancy(g: GroupStats) -> str:
    return "n/a" if g.expectancy_r is None else f"{g.expectancy_r:+.2f}R"


def line(g: GroupStats, name: str | None = None) -> str:
    """'Sunday: won 3 of 9 (33 %, 95 % CI 12–65 %), small sample; expectancy -0.20R; P&L -12.30 USD'."""
    return (
        f"{name or label(g)}: won {rate_text(g.wins, g.n, SMALL_SAMPLE)}; "
        f"expectancy {expectancy(g)}; P&L {fmt_money(g.total_pnl, signed=True)}"
    )


def row(g: GroupStats, name: str | None = None) -> Row:
    if g.n:
        lo, hi = wilson(g.wins, g.n)
        won = f"{100 * g.wins / g.n:.0f} % ({100 * lo:.0f}–{100 * hi:.0f} %)"
    else:
        won = "-"
    note = "small sample" if g.small_sample else ""
    return (name or label(g), str(g.n), won, expectancy(g), fmt_money(g.total_pnl, signed=True), note)


def _rate(g: GroupStats) -> str:
    return f"{100 * g.wins / g.n:.0f} % of {g.n}" if g.n else "no trades"


# ---- choosing groups ----------------------------------------------------------------------------


def candidates(report: AnalyzerReport, dims: Sequence[str] = RANKED) -> list[GroupStats]:
    """Groups with enough data to rank: not small, known, and not simply the whole sample again."""
    out = []
    for d in dims:
        for g in report.groups.get(DIM_KEYS[d], []):
            if not g.small_sample and g.value != "unknown" and g.expectancy_r is not None:
                if g.n < report.overall.n:
                    out.append(g)
    return sorted(out, key=lambda g: g.expectancy_r if g.expectancy_r is not None else 0.0, reverse=True)


def best_and_worst(report: AnalyzerReport, dims: Sequence[str], what: str) -> list[str]:
    ranked = candidates(report, dims)
    if not ranked:
        return [
            f"No {what} has {SMALL_SAMPLE}+ trades yet (beyond the whole sample), so I can't honestly "
            "name a best or worst one."
        ]
    lines = [f"Best with {SMALL_SAMPLE}+ trades: {line(ranked[0])}."]
    if len(ranked) > 1:
        lines.append(f"Worst with {SMALL_SAMPLE}+ trades: {line(ranked[-1])}.")
    else:
        lines.append("It is the only one with enough trades to judge.")
    return lines


def _filtered(sample: Sample, dim: str, value: str, keep: Callable[[TradeRecord], bool]) -> GroupStats:
    return group_stats(dim, value, [r for r in sample.records if keep(r)])


def _hours(start: int, end: int) -> set[int]:
    return {h % 24 for h in range(start, end if end > start else end + 24)}


def named_group(sample: Sample, dim: str, value: str, tz: str) -> tuple[GroupStats, str]:
    """The group the owner asked about, and its name; composite groups (weekend, night, any hour
    range, a session with its overlaps) are computed from the same records with the same code."""
    report = sample.report
    if dim == "weekday" and value in ("weekend", "weekdays"):
        days = set(WEEKDAY_NAMES[5:] if value == "weekend" else WEEKDAY_NAMES[:5])
        g = _filtered(sample, "weekday", value, lambda r: time_context(r.entry_ts).weekday in days)
        return g, ("at weekends (Sat–Sun UTC)" if value == "weekend" else "on weekdays (Mon–Fri UTC)")
    if dim == "hour":
        if value == "night":
            hours = _hours(*NIGHT_LOCAL)
            g = _filtered(sample, "hour", value, lambda r: time_context(r.entry_ts, tz).local.hour in hours)
            return g, f"at night ({NIGHT_LOCAL[0]:02d}:00–{NIGHT_LOCAL[1]:02d}:00 {tz})"
        start, end = (int(x) for x in value.split("-"))
        bucket = f"{start:02d}-{end:02d}"
        name = f"between {start:02d}:00 and {end % 24:02d}:00 UTC"
        if start % 4 == 0 and end == start + 4:
            return report.group("hour_bucket", bucket) or group_stats("hour_bucket", bucket, []), name
        hours = _hours(start, end)
        return _filtered(sample, "hour", value, lambda r: time_context(r.entry_ts).hour in hours), name
    if dim == "session" and value in SESSION_HOURS:
        start, end = SESSION_HOURS[value]
        g = _filtered(sample, "session", value, lambda r: value in time_context(r.entry_ts).session.split("+"))
        return g, f"in the {value} session ({start:02d}:00–{end:02d}:00 UTC, overlaps included)"
    key = DIM_KEYS[dim]
    g = report.group(key, value) or group_stats(key, value, [])
    return g, phrase(g)


def verdict(g: GroupStats, overall: GroupStats) -> str:
    """One cautious sentence: small samples prove nothing; otherwise what the R interval says."""
    if g.n == 0:
        return "I have no closed trades there yet, so I can't tell."
    if g.small_sample:
        return f"That is a small sample (under {SMALL_SAMPLE} trades): weak evidence either way."
    lo, hi = g.r_ci if g.r_ci is not None else (-math.inf, math.inf)
    interval = f"95 % CI of R {lo:+.2f} to {hi:+.2f}"
    if hi < 0:
        return f"Its expectancy is reliably negative ({interval}): so far not worth it."
    if lo > 0:
        return f"Its expectancy is reliably positive ({interval}): so far worth it."
    side = "above" if (g.expectancy_r or 0.0) > (overall.expectancy_r or 0.0) else "below"
    return f"Its expectancy is {side} overall, but its interval includes zero ({interval}): not clear either way."


def context_record(db: Engine, ts_ms: int) -> str | None:
    """'Between 00:00 and 04:00 UTC I won 6 of 24 (...); expectancy -0.12R — against 47 % of 60
    overall': the record of the hour bucket a decision was made in (`why skip`), or None."""
    sample = load_sample(db)
    if sample is None:
        return None
    bucket = time_context(ts_ms).hour_bucket
    g = sample.report.group("hour_bucket", bucket)
    if g is None or g.n == 0:
        return None
    name = phrase(g)
    overall = sample.report.overall
    return (
        f"My record {name}: won {rate_text(g.wins, g.n, SMALL_SAMPLE)}, expectancy {expectancy(g)} — "
        f"against {_rate(overall)} won and {expectancy(overall)} overall ({sample.note[:1].lower()}"
        f"{sample.note[1:].rstrip('.')})."
    )


# ---- the command ------------------------------------------------------------------------------


def stats(ctx: CommandContext, cmd: Command) -> Reply:
    sample = load_sample(ctx.db)
    if sample is None:
        return Reply(
            text="I have no closed trades yet, so I have no record to show. "
            "Ask again once some trades have closed.",
            title="Stats",
        )
    args = cmd.args
    if not args:
        return _overview(sample)
    if args[0] in ("best", "worst"):
        return _ranking(sample, args[0])
    if len(args) == 1:
        return _breakdown(sample, args[0])
    return _one_group(sample, args[0], args[1], ctx.tz)


def _overview(sample: Sample) -> Reply:
    lines = [sample.note, line(sample.report.overall, "Overall") + "."]
    lines += best_and_worst(sample.report, RANKED, "pair, hour, weekday, session, regime or trend group")
    lines.append(BREAKDOWNS)
    return Reply(text="\n".join(lines), title="Stats")


def _ranking(sample: Sample, which: str) -> Reply:
    ranked = candidates(sample.report)
    if which == "worst":
        ranked = ranked[::-1]
    lines = [sample.note, line(sample.report.overall, "Overall") + "."]
    if not ranked:
        lines.append(
            f"No pair, hour, weekday, session, regime or trend group has {SMALL_SAMPLE}+ trades yet, "
            f"so I can't honestly say what works {which}."
        )
    else:
        lines.append(f"{which.capitalize()} groups with {SMALL_SAMPLE}+ trades, by expectancy:")
        lines += [f"{i}. {line(g)}." for i, g in enumerate(ranked[:3], 1)]
    return Reply(text="\n".join(lines), title=f"Stats: {which} groups")


def _breakdown(sample: Sample, dim: str) -> Reply:
    report = sample.report
    groups = report.groups.get(DIM_KEYS[dim], [])
    lines = [sample.note, line(report.overall, "Overall") + "."]
    if dim != "exit":
        lines += best_and_worst(report, (dim,), dim)
    if dim in ("regime", "trend"):
        what = "ATR %" if dim == "regime" else "(close - SMA) / ATR"
        lines.append(f"Groups are thirds of these trades by {what} at entry.")
    if dim == "hour":
        lines.append("Hours are UTC, by entry time.")
    rows: list[Row] = [row(g) for g in groups]
    rows.append(row(report.overall, "Overall"))
    return Reply(text="\n".join(lines), title=f"Stats by {dim}", rows=rows, columns=COLUMNS)


def _one_group(sample: Sample, dim: str, value: str, tz: str) -> Reply:
    overall = sample.report.overall
    g, name = named_group(sample, dim, value, tz)
    if g.n == 0:
        compare = f"I have no closed trades {name} yet (against {_rate(overall)} won overall)."
    else:
        compare = (
            f"{name[:1].upper() + name[1:]} I won {rate_text(g.wins, g.n, SMALL_SAMPLE)}, expectancy "
            f"{expectancy(g)} — against {_rate(overall)} won and {expectancy(overall)} overall."
        )
    lines = [sample.note, compare, verdict(g, overall)]
    rows: list[Row] = [row(g, f"{dim} {value}"), row(overall, "Overall")]
    return Reply(text="\n".join(lines), title=f"Stats by {dim}: {value}", rows=rows, columns=COLUMNS)


HANDLERS = {"stats": stats}
