"""Integer codes the kernel writes instead of objects: one decision code per candle, one exit
reason per trade, one status per return to Python. Strings exist only here, for display."""

from __future__ import annotations

# decision codes (int8 per candle)
WARMUP = 0
HOLD = 1
NO_CROSS = 2
HALTED = 3
SKIP_COOLOFF = 4
SKIP_GATE = 5
SKIP_CANNOT_SIZE = 6
SKIP_ROUNDS_ZERO = 7
SKIP_ORDERMIN = 8
SKIP_COSTMIN = 9
ENTER = 10
ENTER_CAPPED = 11
# an entry the advanced modules veto (core.strategy.entry_rules.EntryRules.veto), in its order of checks
VETO_TARGET = 12  # the daily profit target was reached today
VETO_SESSION = 13  # the entry would fall outside the trading sessions
VETO_MTF = 14  # a confirming timeframe does not confirm
VETOES = (VETO_TARGET, VETO_SESSION, VETO_MTF)
SKIP_STOPMIN = 15  # the stop order (amount x stop price) would be below the exchange minimum

# exit reasons
EXIT_STOP = 1
EXIT_TARGET = 2
EXIT_KILL = 3
EXIT_PROFIT_TARGET = 4

# why the loop returned to Python
DONE = 0
NEED_GATE = 1  # entry candidate at st[I_POS]: exact equity (and a gate's verdict) from Python
NEED_SIZE = 2  # sizing is not exactly representable in the loop: Python sizes with Decimal
BUF_FULL = 3  # the trade buffer needs to grow
OVERFLOW = 4  # money outside the fixed-point range
NEED_PNL = 5  # a P&L too near 0 to be sure of its sign: Python books this candle's exits exactly

EXIT_REASONS = {EXIT_STOP: "stop", EXIT_TARGET: "target", EXIT_KILL: "kill_switch", EXIT_PROFIT_TARGET: "profit_target"}

ACTIONS = {
    WARMUP: ("none", "warming up: SMA20/ATR14 not ready"),
    HOLD: ("hold", "in position; the bracket is the exit"),
    NO_CROSS: ("none", "no cross above SMA20"),
    HALTED: ("halted", "signal ignored: daily loss kill-switch is on"),
    SKIP_COOLOFF: ("skip", "signal ignored: cool-off after 2 losses in a row"),
    SKIP_GATE: ("skip", "learner gate"),
    SKIP_CANNOT_SIZE: ("skip", "cannot size"),
    SKIP_ROUNDS_ZERO: ("skip", "size rounds to zero at the pair's lot size"),
    SKIP_ORDERMIN: ("skip", "amount below the exchange minimum"),
    SKIP_COSTMIN: ("skip", "order cost below the exchange minimum"),
    ENTER: ("enter", "close crossed above SMA20"),
    ENTER_CAPPED: ("enter", "close crossed above SMA20 (size capped at 25% of equity)"),
    SKIP_STOPMIN: ("skip", "stop value below the exchange minimum"),
    VETO_TARGET: ("skip", "signal ignored: daily profit target reached"),
    VETO_SESSION: ("skip", "signal ignored: outside the trading sessions"),
    VETO_MTF: ("skip", "signal ignored: not confirmed by a higher timeframe"),
}
