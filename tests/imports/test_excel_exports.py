"""The member and ledger exports for Excel (`--excel`, the admin's "Export for Excel"): `;`,
UTF-8 with a BOM, CRLF, decimal commas, dates day first; the default stays what machines read."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from loyalty.csv_cells import csv_writer
from loyalty.exports import EXCEL, csv_lines
from loyalty.services.purchases import purchase_record
from members.services import member_consents_set

pytestmark = pytest.mark.django_db

BOM = "\ufeff"


@pytest.fixture
def history(ana):
    """Ana (joined at NOW, 11:00 in Madrid) with a purchase and a birthday."""
    purchase_record(member=ana, external_id="e-1", amount="30.00", currency="EUR",
                    purchased_at=ana.joined_at, channel="store")  # fmt: skip
    ana.birth_day, ana.birth_month, ana.birth_year = 2, 4, 1990
    ana.save(update_fields=["birth_day", "birth_month", "birth_year"])
    return ana


def read_excel(text: str) -> list[list[str]]:
    """As Python reads a file Excel wrote: the BOM first, then `;` rows."""
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text.removeprefix(BOM)), delimiter=";"))


def test_the_members_export_for_excel_is_read_back_with_semicolons_and_the_bom(history, tmp_path):
    output = tmp_path / "socios.csv"
    call_command("export_members", "--excel", "--output", str(output), stderr=io.StringIO())

    content = output.read_bytes()
    assert content.startswith(b"\xef\xbb\xbfmember_number;email;first_name;")
    assert content.count(b"\r\n") == 2
    with open(output, encoding="utf-8-sig", newline="") as handle:
        header, row = list(csv.reader(handle, delimiter=";"))
    values = dict(zip(header, row, strict=True))
    assert values["email"] == "ana@example.com"
    assert values["birth_date"] == "02/04/1990"
    assert values["joined_at"] == "23/11/2026 11:00:00"
    assert [values[name] for name in ("available", "pending", "lifetime")] == ["100", "30", "130"]


def test_the_ledger_export_for_excel_from_the_admin(client, superuser, history):
    client.force_login(superuser)

    response = client.get(reverse("admin:loyalty_ledgerentry_export"), {"layout": "excel"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="ledger-excel-' in response["Content-Disposition"]
    ledger = read_excel(b"".join(response.streaming_content).decode("utf-8"))
    assert ledger[0][:3] == ["id", "occurred_at", "created_at"]
    assert [(row[1], row[4], row[5]) for row in ledger[1:]] == [
        ("23/11/2026 11:00:00", "bonus", "100"),
        ("23/11/2026 11:00:00", "earn", "30"),
    ]


def test_the_members_export_for_excel_from_the_admin_and_its_link(client, superuser, history):
    client.force_login(superuser)
    changelist = client.get(reverse("admin:members_member_changelist")).content.decode()
    assert "export/?layout=excel" in changelist

    response = client.get(reverse("admin:members_member_export"), {"layout": "excel"})

    members = read_excel(b"".join(response.streaming_content).decode("utf-8"))
    assert members[1][:3] == [history.member_number, "ana@example.com", history.user.first_name]


def test_the_default_exports_stay_as_machines_read_them(client, superuser, history):
    member_consents_set(member=history, marketing_sms=True)
    client.force_login(superuser)

    response = client.get(reverse("admin:members_member_export"))
    text = b"".join(response.streaming_content).decode("utf-8")
    out = io.StringIO()
    call_command("export_members", stdout=out)

    assert response["Content-Type"] == "text/csv"
    assert out.getvalue() == text
    assert text.startswith("member_number,email,first_name,last_name,phone,birth_date,")
    assert text.endswith("\r\n")
    row = text.splitlines()[1]
    assert row == (
        f"{history.member_number},ana@example.com,{history.user.first_name},,,1990-04-02,en,"
        "false,2026-11-23T11:00:00+01:00,bronze,100,30,130,0,,true,false,true"
    )
    ledger = b"".join(
        client.get(reverse("admin:loyalty_ledgerentry_export")).streaming_content
    ).decode()
    assert ledger.startswith("id,occurred_at,created_at,member_number,kind,points,")
    assert ",2026-11-23T11:00:00+01:00,2026-11-23T11:00:00+01:00," in ledger


def test_decimals_get_a_comma_for_excel_and_stay_numbers():
    rows = [[Decimal("12.50"), Decimal("-1234.5"), "-50", "=1+1"]]

    excel = read_excel("".join(csv_lines(["a", "b", "c", "d"], rows, layout=EXCEL)))
    machine = list(csv.reader(io.StringIO("".join(csv_lines(["a", "b", "c", "d"], rows)))))

    # A negative number is a number; text starting with a sign is still neutralised.
    assert excel[1] == ["12,50", "-1234,5", "'-50", "'=1+1"]
    assert machine[1] == ["12.50", "-1234.5", "'-50", "'=1+1"]


def test_a_cell_holding_the_separator_is_quoted():
    buffer = io.StringIO()
    csv_writer(buffer, delimiter=";", decimal_mark=",").writerow(["Bar; Tapas", Decimal("1.5")])

    assert buffer.getvalue() == '"Bar; Tapas";1,5\r\n'
