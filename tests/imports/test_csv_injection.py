"""Every CSV export neutralises cells a spreadsheet would run as a formula (OWASP CSV injection):
the admin's member and ledger exports, the export commands and an import's rejects file."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from loyalty.csv_cells import csv_cell
from loyalty.services.ledger import points_adjust
from tests.imports.conftest import PURCHASE_HEADER

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_starting_like_a_formula_gets_a_quote(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-50, 0, 120, "Ana", "a=b", "2026-01-01T00:00:00+00:00", ""])
def test_numbers_and_plain_text_are_left_alone(value):
    # Negative points are written as integers: a spreadsheet must still be able to sum them.
    assert csv_cell(value) == value


@pytest.fixture
def hostile(ana, superuser):
    user = ana.user
    user.first_name, user.last_name = '=HYPERLINK("http://evil.example")', "@SUM(A1)"
    user.save(update_fields=["first_name", "last_name"])
    ana.phone = "+34 600 12 34 56"
    ana.save(update_fields=["phone"])
    points_adjust(member=ana, points=-50, reason="-1+cmd|' /C calc'!A0", actor=superuser)
    return ana


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def admin_export(client, superuser, name) -> list[list[str]]:
    client.force_login(superuser)
    response = client.get(reverse(name))
    return rows_of(b"".join(response.streaming_content).decode())


def assert_member_row_neutralised(rows, member):
    row = dict(zip(rows[0], next(r for r in rows[1:] if r[0] == member.member_number), strict=True))
    assert row["first_name"] == '\'=HYPERLINK("http://evil.example")'
    assert row["last_name"] == "'@SUM(A1)"
    assert row["phone"] == "'+34 600 12 34 56"
    assert row["available"] == "50"  # 100 sign-up bonus less the adjustment: a number


def assert_ledger_neutralised(rows):
    entries = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    adjustment = next(entry for entry in entries if entry["points"] == "-50")
    assert adjustment["reason"] == "'-1+cmd|' /C calc'!A0"
    assert adjustment["points"] == "-50"  # the export's own number stays a number


def test_admin_member_export_neutralises_formulas(client, superuser, hostile):
    assert_member_row_neutralised(
        admin_export(client, superuser, "admin:members_member_export"), hostile
    )


def test_admin_ledger_export_neutralises_formulas(client, superuser, hostile):
    assert_ledger_neutralised(admin_export(client, superuser, "admin:loyalty_ledgerentry_export"))


def test_export_members_command_neutralises_formulas(hostile):
    out = io.StringIO()
    call_command("export_members", stdout=out)
    assert_member_row_neutralised(rows_of(out.getvalue()), hostile)


def test_export_ledger_command_neutralises_formulas(hostile, tmp_path):
    output = tmp_path / "ledger.csv"
    call_command("export_ledger", "--output", str(output), stderr=io.StringIO())
    assert_ledger_neutralised(rows_of(output.read_text()))


def test_an_imports_rejects_file_neutralises_formulas(ana, write_csv, tmp_path):
    path = write_csv([PURCHASE_HEADER, ["=1+1", "ghost@example.com", "x", "10", "EUR", "store"]])
    rejects = tmp_path / "rejects.csv"

    call_command(
        "import_purchases", str(path), "--skip-invalid", "--rejects", str(rejects),
        stdout=io.StringIO(),
    )  # fmt: skip

    rows = rows_of(rejects.read_text())
    assert rows[1][2].startswith("'=1+1,ghost@example.com")
