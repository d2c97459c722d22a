"""The universe's verdicts in words (`universe` in chat, `zyn universe`): core gives a code per
pair (`core.markets.universe.UniverseRow.why`) and the figures; the sentence is made here."""

from __future__ import annotations

from typing import Any

from core.markets.universe import UniverseRow


def _money(x: float) -> str:
    return f"{x:,.0f}"


def _g(x: object) -> str:
    return f"{x:g}" if isinstance(x, int | float) else str(x)


def reason_text(row: UniverseRow) -> str:  # noqa: PLR0911 - one sentence per code
    """Why the pair is in or out, in one short line."""
    quote = row.pair.rsplit("/", 1)[-1]
    ranked = f"#{row.rank} by 24h volume"
    match row.why:
        case "ranked":
            return ranked
        case "top_n":
            return f"{ranked}; only the top {row.limit} are traded"
        case "history":
            return f"only {row.have} candles of history, {row.limit} needed"
        case "offline":
            return "pair not online"
        case "quote":
            return f"quote {quote}, not {row.limit}"
        case "denied":
            return "on the deny-list"
        case "no_price":
            return "no price (no trades)"
        case "min_price":
            return f"price {_g(row.price)} below the minimum {_g(row.limit)}"
        case "min_volume":
            limit = float(row.limit) if isinstance(row.limit, int | float) else 0.0
            return f"24h volume {_money(row.volume_quote_24h or 0.0)} {quote} below {_money(limit)}"
        case "max_spread":
            return f"spread {row.spread_pct or 0.0:.3f}% above {_g(row.limit)}%"
    return row.why


def row_json(row: UniverseRow) -> dict[str, Any]:
    """The row as `zyn universe --json` and the chat table show it (the reason in words)."""
    return {"pair": row.pair, "included": row.included, "reason": reason_text(row), "price": row.price,
            "volume_quote_24h": row.volume_quote_24h, "spread_pct": row.spread_pct, "rank": row.rank}
