"""Import files as a shop's spreadsheet saves them (Excel in Spain and France): `;`, UTF-8 with a
BOM or Windows-1252, CRLF, decimal commas, dates day first when the import is told so; the
report names the separator and encoding it found."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from loyalty.imports.base import import_run
from loyalty.imports.members import MemberImporter
from loyalty.imports.purchases import PurchaseImporter
from loyalty.models import LedgerEntry, Purchase
from members.models import Member

pytestmark = pytest.mark.django_db

MEMBERS = [
    ["email", "first_name", "last_name", "phone", "birth_date", "language", "marketing_opt_in",
     "joined_at"],
    ["nora@example.com", "Nora", "Núñez", "+34 600 000 001", "02/04/1990", "es", "true",
     "10/01/2026 09:00"],
]  # fmt: skip
PURCHASES = [
    ["external_id", "member_email", "purchased_at", "amount", "currency", "channel", "quantity",
     "sku", "category", "unit_price"],
    ["es-1", "ana@example.com", "01/11/2026 18:30", "12,50", "EUR", "store", "", "", "", ""],
    ["es-2", "ana@example.com", "02/11/2026", "1.234,50", "EUR", "online", "2", "AÑEJO-75",
     "wine", "6,25"],
]  # fmt: skip
MADRID = datetime.timezone(datetime.timedelta(hours=1))  # the program's clock in winter


@pytest.fixture
def excel_file(tmp_path):
    """The rows as Excel saves them: separated by `;` (quoted only where needed), CRLF, in
    "CSV UTF-8" (with a BOM) or, with encoding="cp1252", plain "CSV"."""

    def write(rows, *, encoding="utf-8-sig", separator=";", name="excel.csv"):
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(rows)
        path = tmp_path / name
        path.write_bytes(buffer.getvalue().encode(encoding))
        return path

    return write


def command(name, path, *options):
    out = io.StringIO()
    try:
        call_command(name, str(path), *options, stdout=out)
    except CommandError:
        return out.getvalue(), False
    return out.getvalue(), True


def nothing_written() -> bool:
    return not Purchase.objects.exists() and not LedgerEntry.objects.filter(kind="earn").exists()


def test_a_members_file_saved_by_excel_in_spain_is_imported_with_dayfirst(program, now, excel_file):
    path = excel_file(MEMBERS)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfemail;first_name;")
    assert b"\r\n" in path.read_bytes()

    out, is_imported = command("import_members", path, "--dayfirst")

    assert is_imported, out
    assert "Read with separator ';' (semicolon), encoding UTF-8 with BOM." in out
    assert "1 rows read, 1 imported" in out
    nora = Member.objects.get(user__email="nora@example.com")
    assert (nora.user.first_name, nora.user.last_name) == ("Nora", "Núñez")
    assert (nora.birth_day, nora.birth_month, nora.birth_year) == (2, 4, 1990)
    assert nora.joined_at == datetime.datetime(2026, 1, 10, 9, 0, tzinfo=MADRID)


def test_a_purchases_file_saved_by_excel_in_spain_is_imported_with_dayfirst(ana, excel_file):
    out, is_imported = command("import_purchases", excel_file(PURCHASES), "--dayfirst")

    assert is_imported, out
    assert "Read with separator ';' (semicolon), encoding UTF-8 with BOM." in out
    assert "2 rows read, 2 imported" in out
    first, second = Purchase.objects.order_by("external_id")
    assert first.amount == Decimal("12.50")
    assert first.purchased_at == datetime.datetime(2026, 11, 1, 18, 30, tzinfo=MADRID)
    assert first.points == 12
    assert second.amount == Decimal("1234.50")
    assert second.purchased_at == datetime.datetime(2026, 11, 2, tzinfo=MADRID)
    assert [(item["sku"], item["unit_price"]) for item in second.items] == [("AÑEJO-75", "6.25")]


def test_a_windows_1252_members_file_is_read_as_such_and_the_report_says_so(
    program, now, excel_file
):
    path = excel_file(MEMBERS, encoding="cp1252")
    assert "Núñez".encode("cp1252") in path.read_bytes()

    out, is_imported = command("import_members", path, "--dayfirst")

    assert is_imported, out
    assert (
        "Read with separator ';' (semicolon), encoding Windows-1252. The file is not UTF-8 "
        "(from line 2): it was read as Windows-1252."
    ) in out
    assert Member.objects.get(user__email="nora@example.com").user.last_name == "Núñez"


def test_a_windows_1252_purchases_file_is_imported(ana, excel_file):
    report = import_run(
        importer=PurchaseImporter(),
        path=excel_file(PURCHASES, encoding="cp1252"),
        is_day_first=True,
    )

    assert report.is_applied, report.problems
    assert (report.file_format.encoding_name, report.file_format.not_utf8_line) == (
        "Windows-1252",
        3,
    )
    assert Purchase.objects.get(external_id="es-2").items[0]["sku"] == "AÑEJO-75"


def test_a_day_first_file_is_refused_without_the_option_with_its_lines(ana, excel_file):
    out, is_imported = command("import_purchases", excel_file(PURCHASES))

    assert not is_imported
    assert (
        "line 2: purchased_at '01/11/2026 18:30' is not a date and time (ISO 8601); if it is "
        "written day first, import the file with the day-first dates option (--dayfirst)"
    ) in out
    assert "line 3: purchased_at '02/11/2026' is not a date and time (ISO 8601)" in out
    assert "Nothing was imported." in out
    assert nothing_written()


def test_a_birth_date_written_day_first_is_refused_without_the_option(program, now, excel_file):
    members = [MEMBERS[0], [*MEMBERS[1][:7], "2026-01-10T09:00:00"]]

    report = import_run(importer=MemberImporter(), path=excel_file(members))

    assert [str(problem) for problem in report.problems] == [
        "line 2: birth_date '02/04/1990' is not a date (YYYY-MM-DD or --MM-DD); if it is "
        "written day first, import the file with the day-first dates option (--dayfirst)"
    ]
    assert not Member.objects.filter(user__email="nora@example.com").exists()


def test_with_dayfirst_a_date_that_is_no_day_first_date_is_a_line_error_never_swapped(
    ana, excel_file
):
    rows = [
        PURCHASES[0],
        ["m-1", "ana@example.com", "11/13/2026 10:00", "10,00", "EUR", "store", "", "", "", ""],
        ["m-2", "ana@example.com", "13/11/26", "10,00", "EUR", "store", "", "", "", ""],
        ["m-3", "ana@example.com", "2026/11/13", "10,00", "EUR", "store", "", "", "", ""],
    ]

    report = import_run(importer=PurchaseImporter(), path=excel_file(rows), is_day_first=True)

    assert {problem.line: problem.reason for problem in report.problems} == {
        2: "purchased_at '11/13/2026 10:00' is not a date and time read day first "
        "(day/month/year hour:minute)",
        3: "purchased_at '13/11/26' has a two-digit year: write the year in full",
        4: "purchased_at '2026/11/13' is not a date and time (ISO 8601, or day first: "
        "31/12/2026 18:30)",
    }
    assert nothing_written()


def test_ambiguous_amounts_are_refused_with_their_line_and_reason(ana, excel_file):
    rows = [
        PURCHASES[0],
        ["a-1", "ana@example.com", "2026-11-01T10:00", "1.234", "EUR", "store", "", "", "", ""],
        ["a-2", "ana@example.com", "2026-11-01T10:00", "1,234", "EUR", "store", "", "", "", ""],
        ["a-3", "ana@example.com", "2026-11-01T10:00", "1,234.50", "EUR", "store", "", "", "",
         ""],
        ["a-4", "ana@example.com", "2026-11-01T10:00", "10,00", "EUR", "store", "1.000", "S", "",
         ""],
    ]  # fmt: skip

    report = import_run(importer=PurchaseImporter(), path=excel_file(rows))

    assert {problem.line: problem.reason for problem in report.problems} == {
        2: "amount '1.234' is ambiguous: '.' before three digits may separate thousands or "
        "decimals (write thousands without a separator: 1234)",
        3: "amount '1,234' is ambiguous: ',' before three digits may separate thousands or "
        "decimals (write thousands without a separator: 1234)",
        4: "amount '1,234.50' is not written as a plain decimal number (e.g. 54,90 or 1.234,50)",
        5: "quantity '1.000' is ambiguous: '.' before three digits may separate thousands or "
        "decimals (write thousands without a separator: 1000)",
    }
    assert nothing_written()


def test_a_comma_separated_file_keeps_its_decimal_point_and_takes_a_quoted_decimal_comma(
    ana, excel_file
):
    rows = [
        PURCHASES[0],
        ["c-1", "ana@example.com", "2026-11-01T10:00", "12.50", "EUR", "store", "", "", "", ""],
        ["c-2", "ana@example.com", "2026-11-01T11:00", "12,50", "EUR", "store", "", "", "", ""],
        ["c-3", "ana@example.com", "2026-11-01T12:00", "1.234,50", "EUR", "store", "", "", "",
         ""],
    ]  # fmt: skip
    path = excel_file(rows, encoding="utf-8", separator=",")
    assert '"12,50"' in path.read_text()

    report = import_run(importer=PurchaseImporter(), path=path)

    assert report.file_format.describe() == "Read with separator ',' (comma), encoding UTF-8."
    assert [str(problem) for problem in report.problems] == [
        "line 4: amount '1.234,50' is not written as a plain decimal number (e.g. 54.90 or "
        "54,90; thousands are separated only in files separated by ';')"
    ]
    report = import_run(importer=PurchaseImporter(), path=path, skip_invalid=True)
    amounts = Purchase.objects.order_by("external_id").values_list("external_id", "amount")
    assert list(amounts) == [("c-1", Decimal("12.50")), ("c-2", Decimal("12.50"))]


def test_a_tab_separated_file_and_the_empty_columns_excel_leaves_are_read(program, now, excel_file):
    rows = [["email", "first_name", "", ""], ["tab@example.com", "Tabitha", "", ""]]

    report = import_run(importer=MemberImporter(), path=excel_file(rows, separator="\t"))

    assert report.is_applied, (report.file_problem, report.problems)
    assert report.file_format.describe() == "Read with separator tab, encoding UTF-8 with BOM."
    assert Member.objects.get(user__email="tab@example.com").user.first_name == "Tabitha"


def test_a_value_in_an_empty_column_is_still_a_row_of_the_wrong_width(program, now, excel_file):
    rows = [["email", "first_name", ""], ["x@example.com", "X", "stray"]]

    report = import_run(importer=MemberImporter(), path=excel_file(rows))

    assert [str(problem) for problem in report.problems] == ["line 2: 3 values for 2 columns"]


@pytest.mark.parametrize(
    ("content", "refusal"),
    [
        ("email\r\n".encode("utf-16"), "the file is UTF-16"),
        (b"email;first_name,last_name\r\n", "line 1: the header has as many of ',' and ';'"),
        (b"\xef\xbb\xbfemail\r\nn\xfa\xf1ez@example.com\r\n", "line 2: the file starts as UTF-8"),
        (b"email\r\nok@example.com\r\nbad\x81@example.com\r\n", "line 3: the file is neither"),
    ],
    ids=["utf-16", "unclear separator", "bom then not utf-8", "neither encoding"],
)
def test_a_file_in_no_encoding_or_separator_it_can_tell_is_refused(
    program, now, tmp_path, content, refusal
):
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    members = Member.objects.count()

    out, is_imported = command("import_members", path)

    assert not is_imported
    assert f"The file is refused: {refusal}" in out
    assert Member.objects.count() == members


def test_the_old_refusal_of_a_semicolon_header_is_gone(program, now, excel_file):
    """Before the separator was found, this header was "unknown column(s): email;first_name"."""
    report = import_run(
        importer=MemberImporter(), path=excel_file([["email", "nombre"], ["a@example.com", "A"]])
    )

    assert report.file_problem.startswith("line 1: unknown column(s): nombre (expected: email,")
    assert report.file_format.separator == ";"
