"""The evidence gate's figures in words: one row per pair for `status`, the CLI and the dashboard.

Its own module in bot/text so the CLI's status text and the chat commands share it without the
text importing the commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.evidence import PairEvidence
from core.evidence.module_set import describe
from core.messages import Row
from core.telemetry.kv import KeyValueStore
from core.trading.servant import evidence_text, record_modules_of


def evidence_of(snap: Mapping[str, Any]) -> dict[str, PairEvidence]:
    """The status JSON's `evidence` back as PairEvidence ({} when the gate is off)."""
    raw = snap.get("evidence") or {}
    out: dict[str, PairEvidence] = {}
    for pair, fig in raw.items() if isinstance(raw, Mapping) else []:
        if isinstance(fig, Mapping):
            try:
                out[str(pair)] = PairEvidence(str(pair), **dict(fig))
            except TypeError:
                continue
    return out


def evidence_rows(snap: Mapping[str, Any]) -> list[Row]:
    """One row per pair for `status` and the dashboard: "live"/"shadow" with the figures."""
    return [(pair, evidence_text(ev).partition(": ")[2]) for pair, ev in evidence_of(snap).items()]


def evidence_line(snap: Mapping[str, Any]) -> str:
    """" Live: BTC/USD; shadow: ETH/USD." for the status sentence ("" when the gate is off)."""
    evidence = evidence_of(snap)
    if not evidence:
        return ""
    live = [p for p, e in evidence.items() if e.state == "live"]
    shadow = [p for p, e in evidence.items() if e.state != "live"]
    return f" Live: {', '.join(live) or 'none'}; shadow: {', '.join(shadow) or 'none'}."


def record_words(kv: KeyValueStore) -> str:
    """"the strategy with mtf" when the evidence is the record of a module set other than the
    default (the plain strategy), else "" — the default is not mentioned (issue 17 point 1)."""
    modules = describe(record_modules_of(kv))
    return f"the strategy with {modules}" if modules else ""


def record_rows(kv: KeyValueStore, snap: Mapping[str, Any]) -> list[Row]:
    """The row naming the module set the evidence figures are of, only when it is not the default."""
    words = record_words(kv) if evidence_of(snap) else ""
    return [("evidence record of", words)] if words else []
