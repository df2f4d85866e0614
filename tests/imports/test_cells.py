"""Numbers as the import reads them, by the file's separator: what a machine writes, unchanged;
what Excel writes in Spain and France; what could be read two ways, refused."""

from decimal import Decimal

import pytest

from loyalty.imports.cells import CellReader
from loyalty.imports.errors import RowInvalid


@pytest.mark.parametrize(
    ("separator", "text", "value"),
    [
        (",", "54.90", "54.90"),
        (",", "1.234", "1.234"),  # a machine's decimal point, as before
        (",", "12,50", "12.50"),
        (",", "-12,50", "-12.50"),
        (",", "0,125", "0.125"),
        (",", "1234,567", "1234.567"),
        (";", "12,50", "12.50"),
        (";", "12.50", "12.50"),
        (";", "1.234,50", "1234.50"),
        (";", "1.234.567", "1234567"),
        (";", "1 234,50", "1234.50"),
        (";", "1\u00a0234,50", "1234.50"),  # French Excel's no-break space
        (";", "1\u202f234", "1234"),
        ("\t", "12,50", "12.50"),
    ],
)
def test_numbers_are_read_as_the_file_writes_them(separator, text, value):
    assert CellReader(separator=separator).decimal(text, "amount") == Decimal(value)


@pytest.mark.parametrize(
    ("separator", "text", "reason"),
    [
        (",", "1,234", "is ambiguous"),
        (";", "1.234", "is ambiguous"),
        (";", "123,456", "is ambiguous"),
        (",", "1.234,50", "thousands are separated only in files separated by ';'"),
        ("\t", "1 234,50", "thousands are separated only in files separated by ';'"),
        (";", "1,234.50", "is not written as a plain decimal number"),
        (";", "1.23,50", "is not written as a plain decimal number"),
        (";", "1.234 567", "is not a number"),  # two thousands marks
        (";", "1e5", "is not written as a plain decimal number"),
        (";", "NaN", "is not a number"),
        (";", "doce", "is not a number"),
    ],
)
def test_numbers_that_read_two_ways_or_none_are_refused(separator, text, reason):
    with pytest.raises(RowInvalid, match=reason):
        CellReader(separator=separator).decimal(text, "amount")
