"""The `stats` command's grammar: which slice of Zyn's own record a question is about.

Split from bot/conversation/parser.py (one job per module): dimensions, named groups (Sunday, Asia, 0-4,
night, a pair) and the free-text inference the offline engine uses.
"""

from __future__ import annotations

import re

from bot.conversation.parsed import PUNCT as _PUNCT
from bot.conversation.parsed import Command
from core.domain import UserError
from core.markets.pairs import normalize_pair

# ---- stats: which slice of Zyn's own record ---------------------------------------------------

STATS_USAGE = (
    "stats takes pair, hour, weekday, session, regime, trend, exit, best or worst, optionally with a "
    "group (e.g. stats weekday Sunday, stats hour 0-4, stats session Asia, stats pair ETH)"
)
STATS_DIMENSIONS = ("pair", "hour", "weekday", "session", "regime", "trend", "exit")
STATS_RANKINGS = ("best", "worst")
_STATS_DIM_ALIASES = {
    **{d: d for d in STATS_DIMENSIONS},
    **{d + "s": d for d in STATS_DIMENSIONS},
    "hour_bucket": "hour",
    "time": "hour",
    "day": "weekday",
    "days": "weekday",
    "dow": "weekday",
    "vol": "regime",
    "volatility": "regime",
    "vol_regime": "regime",
    "exit_reason": "exit",
    "reason": "exit",
    "best": "best",
    "worst": "worst",
    "overall": "overall",
    "all": "overall",
}
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY_WORDS = {
    **{d.lower(): d for d in WEEKDAY_NAMES},
    **{d.lower() + "s": d for d in WEEKDAY_NAMES},
    **{d[:3].lower(): d for d in WEEKDAY_NAMES},
    "tue": "Tuesday",
    "tues": "Tuesday",
    "wed": "Wednesday",
    "thur": "Thursday",
    "thurs": "Thursday",
    "weekend": "weekend",
    "weekends": "weekend",
    "weekday": "weekdays",
    "weekdays": "weekdays",
    "workdays": "weekdays",
}
_SESSION_WORDS = {
    "asia": "Asia",
    "asian": "Asia",
    "tokyo": "Asia",
    "europe": "Europe",
    "european": "Europe",
    "eu": "Europe",
    "london": "Europe",
    "us": "US",
    "usa": "US",
    "america": "US",
    "american": "US",
    "ny": "US",
    "new york": "US",
    "asia+europe": "Asia+Europe",
    "europe+us": "Europe+US",
    "off": "off",
    "off-hours": "off",
}
_NIGHT_WORDS = frozenset({"night", "nights", "overnight", "nighttime", "night-time"})
_REGIME_WORDS = {
    "low": "low", "calm": "low", "quiet": "low",
    "mid": "mid", "medium": "mid", "normal": "mid",
    "high": "high", "volatile": "high", "wild": "high",
}
_TREND_WORDS = {"weak": "weak", "moderate": "moderate", "medium": "moderate", "strong": "strong"}
_EXIT_RE = re.compile(r"[a-z][a-z_-]{0,23}")
_HOUR_RANGE_RE = re.compile(
    r"(?:between\s+|from\s+)?(\d{1,2})(?::00)?\s*(?:h|utc)?\s*(?:-|–|to|and|till|until)\s*(\d{1,2})(?::00)?\b"
)
_ONE_HOUR_RE = re.compile(r"(?:at\s+)?(\d{1,2})(?::00)?\s*(?:h|utc)?")
# assets someone names in a question ("how does ETH do?"); other bases still work after "stats pair"
KNOWN_BASES = frozenset(
    {"BTC", "XBT", "ETH", "SOL", "XRP", "ADA", "DOGE", "XDG", "LTC", "DOT", "LINK", "AVAX", "XLM", "ETC",
     "XMR", "ATOM", "MATIC", "BCH", "UNI", "TRX"}
)


def hour_range_in(text: str) -> str | None:
    """'between 0 and 4', '00-04', '22:00 to 06:00' -> '0-4' / '22-6' (UTC hours, end exclusive)."""
    match = _HOUR_RANGE_RE.search(text.lower())
    if match is None:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    if start > 23 or end > 24 or start == end % 24:
        return None
    return f"{start}-{end}"


_STATS_WORDS: dict[str, tuple[dict[str, str], str]] = {
    "weekday": (_WEEKDAY_WORDS, "a weekday (e.g. Sunday, weekend, weekdays)"),
    "session": (_SESSION_WORDS, "a session (Asia, Europe, US, Asia+Europe, Europe+US, off)"),
    "regime": (_REGIME_WORDS, "a volatility regime (low, mid or high)"),
    "trend": (_TREND_WORDS, "a trend strength (weak, moderate or strong)"),
}


def stats_value(dimension: str, text: str) -> str:
    """Normalise the group part of `stats DIM GROUP`; UserError naming the input when unknown."""
    raw = " ".join(text.split()).strip(_PUNCT)
    low, shown = raw.lower(), raw[:30]
    if dimension in _STATS_WORDS:
        words, what = _STATS_WORDS[dimension]
        if low in words:
            return words[low]
        raise UserError(f"{shown!r} is not {what}")
    if dimension == "hour":
        return _hour_value(low, shown)
    if dimension == "exit":
        if _EXIT_RE.fullmatch(low):
            return low.replace("-", "_")
        raise UserError(f"{shown!r} is not an exit reason (e.g. stop, target, manual)")
    if dimension == "pair":
        return normalize_pair(raw)
    raise UserError(STATS_USAGE)


def _hour_value(low: str, shown: str) -> str:
    if low in _NIGHT_WORDS:
        return "night"
    span = hour_range_in(low)
    if span is not None:
        return span
    one = _ONE_HOUR_RE.fullmatch(low)
    if one and int(one.group(1)) <= 23:
        return f"{int(one.group(1))}-{int(one.group(1)) + 1}"
    raise UserError(f"{shown!r} is not an hour range (e.g. 0-4 in UTC, or night)")


def infer_stats_group(text: str) -> tuple[str, str] | None:
    """The (dimension, group) a phrase names, if any: 'sunday', 'asia', 'night', '0-4', 'eth'."""
    low = " ".join(text.lower().replace("’", "'").split())
    words = re.findall(r"[a-z0-9+/-]+", low)
    for word in words:
        if word in _WEEKDAY_WORDS and word not in ("sun", "sat", "mon", "wed", "weekday"):
            return "weekday", _WEEKDAY_WORDS[word]
    if any(w in _NIGHT_WORDS for w in words):
        return "hour", "night"
    span = hour_range_in(low)
    if span is not None:
        return "hour", span
    for word in words:
        if word in _SESSION_WORDS and word not in ("us", "off", "eu"):
            return "session", _SESSION_WORDS[word]
    if "new york" in low:
        return "session", "US"
    for word in words:
        base = word.upper().partition("/")[0]
        if base in KNOWN_BASES:
            try:
                return "pair", normalize_pair(word)
            except UserError:
                continue
    return None


def parse_stats(name: str, rest: list[str]) -> Command:
    words = [w.strip(_PUNCT) for w in rest if w.strip(_PUNCT)]
    if not words:
        return Command(name)
    dimension = _STATS_DIM_ALIASES.get(words[0].lower())
    if dimension is None:  # "stats sunday", "stats asia", "stats eth"
        if len(words) == 1 and words[0].lower() in ("sun", "sat", "mon", "wed", "us", "eu"):
            found: tuple[str, str] | None = (
                ("session", _SESSION_WORDS[words[0].lower()])
                if words[0].lower() in ("us", "eu")
                else ("weekday", _WEEKDAY_WORDS[words[0].lower()])
            )
        else:
            found = infer_stats_group(" ".join(words))
        if found is None:
            raise UserError(STATS_USAGE)
        return Command(name, found)
    if dimension == "overall":
        return Command(name)
    if dimension in STATS_RANKINGS or len(words) == 1:
        if len(words) > 1:
            raise UserError(f"stats {dimension} takes nothing after it")
        return Command(name, (dimension,))
    return Command(name, (dimension, stats_value(dimension, " ".join(words[1:]))))
