"""A UTF-8 candle CSV that starts with a byte-order mark (Excel's "CSV UTF-8") is read like any
other (issue 19.9): by the column reader, by the strict row reader, and by the start-up head check."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domain import UserError
from core.market_data.columnar import read_columns
from core.market_data.csv_loader import check_head, load_csv

ROWS = "timestamp,open,high,low,close,volume\n1700000000000,10,12,9,11,5\n1700003600000,11,13,10,12,6\n"


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    plain, marked = tmp_path / "X_BTC-USD_1h.csv", tmp_path / "Y_BTC-USD_1h.csv"
    plain.write_text(ROWS, encoding="utf-8")
    marked.write_text(ROWS, encoding="utf-8-sig")
    assert marked.read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_csv(marked) == load_csv(plain) and len(load_csv(marked)) == 2
    columns = read_columns(marked)
    assert columns is not None and columns.ts.tolist() == [1700000000000, 1700003600000]
    check_head(marked)


def test_a_byte_order_mark_with_a_bad_row_is_still_named_by_line(tmp_path: Path) -> None:
    bad = tmp_path / "X_BTC-USD_1h.csv"
    bad.write_text(ROWS + "1700007200000,11,nope,10,12,6\n", encoding="utf-8-sig")
    with pytest.raises(UserError, match="line 4"):
        load_csv(bad)


@pytest.mark.parametrize(("text", "needle"), [("", "empty file"), ("hello\n", "missing column"),
                                              ("timestamp,open,high,low,close,volume\n", "no candles")])
def test_the_head_check_refuses_what_is_not_a_candle_file(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "X_BTC-USD_1h.csv"
    f.write_text(text)
    with pytest.raises(UserError, match=needle):
        check_head(f)
