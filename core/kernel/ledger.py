"""The exact Decimal cash ledger beside the loop's fixed-point one: books each closed trade with the
very operations of core.research.backtest (amount x price, fee = notional x fee rate, 28-digit Decimal), so
the equity handed to sizing and to a learner's gate is the reference's float to the last bit."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from core.kernel import layout as L


class Ledger:
    def __init__(self, cash: Decimal, fee_rate: Decimal, lot_decimals: int) -> None:
        self.cash, self.fee, self.lot = cash, fee_rate, lot_decimals

    def _amount(self, k: int) -> Decimal:
        return Decimal(k).scaleb(-self.lot)

    def entry_cost(self, k: int, entry: float) -> Decimal:
        amount, price = self._amount(k), Decimal(repr(entry))
        return amount * price + amount * price * self.fee

    def cash_after(self, rows: Iterable[tuple[list[int], list[float]]]) -> Decimal:
        """Book closed trades (rows of the kernel's trade buffer) and return the cash."""
        for ints, floats in rows:
            k = ints[L.T_K]
            amount, exit_price = self._amount(k), Decimal(repr(floats[L.U_EXIT]))
            self.cash -= self.entry_cost(k, floats[L.U_ENTRY])
            proceeds = amount * exit_price
            self.cash += proceeds - proceeds * self.fee
        return self.cash

    def trade(self, k: int, entry: float, exit_price: float) -> tuple[float, float, float]:
        """(amount, fees, net P&L) of one round trip, as floats of the exact Decimals."""
        amount, p_in, p_out = self._amount(k), Decimal(repr(entry)), Decimal(repr(exit_price))
        fee_in = amount * p_in * self.fee
        proceeds = amount * p_out
        fee_out = proceeds * self.fee
        cost = amount * p_in + fee_in
        return float(amount), float(fee_in + fee_out), float(proceeds - fee_out - cost)
