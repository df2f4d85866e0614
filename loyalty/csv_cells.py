"""Every CSV file Tessera writes goes through `csv_writer`: cells a spreadsheet would run as a
formula are neutralised (OWASP CSV injection).

Text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading single quote,
which spreadsheets show as nothing but read as "this is text". Numbers the export itself writes
(int, Decimal: points, balances, ids) are left as they are, so "-50" points stay a number a
spreadsheet can sum; a member who types "-50" or "=HYPERLINK(...)" as their name is text and is
neutralised. A phone number "+34 600 ..." is text too and comes out as "'+34 600 ...".

A file for a spreadsheet in Spain or France (loyalty.exports, EXCEL) separates with `;` and writes
a Decimal with a decimal comma: "-12,50" is still a number there, so it is written as one, never
taken for a formula.
"""

import csv
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, handle, *, delimiter: str, decimal_mark: str):
        self._writer = csv.writer(handle, delimiter=delimiter)
        self._decimal_mark = decimal_mark

    def writerow(self, row):
        if self._decimal_mark == ".":
            return self._writer.writerow([csv_cell(value) for value in row])
        return self._writer.writerow(
            [
                format(value, "f").replace(".", self._decimal_mark)
                if isinstance(value, Decimal)
                else csv_cell(value)
                for value in row
            ]
        )


def csv_writer(handle, *, delimiter: str = ",", decimal_mark: str = ".") -> _SafeWriter:
    """csv.writer(handle) whose rows are neutralised; only `writerow`, which is all we use.
    `delimiter` separates the cells, `decimal_mark` is written in a Decimal's place of the
    point."""
    return _SafeWriter(handle, delimiter=delimiter, decimal_mark=decimal_mark)
