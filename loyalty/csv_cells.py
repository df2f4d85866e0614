"""Every CSV file Tessera writes goes through `csv_writer`: cells a spreadsheet would run as a
formula are neutralised (OWASP CSV injection).

Text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading single quote,
which spreadsheets show as nothing but read as "this is text". Numbers the export itself writes
(int, Decimal: points, balances, ids) are left as they are, so "-50" points stay a number a
spreadsheet can sum; a member who types "-50" or "=HYPERLINK(...)" as their name is text and is
neutralised. A phone number "+34 600 ..." is text too and comes out as "'+34 600 ...".
"""

import csv
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, handle):
        self._writer = csv.writer(handle)

    def writerow(self, row):
        return self._writer.writerow([csv_cell(value) for value in row])


def csv_writer(handle) -> _SafeWriter:
    """csv.writer(handle) whose rows are neutralised; only `writerow`, which is all we use."""
    return _SafeWriter(handle)
