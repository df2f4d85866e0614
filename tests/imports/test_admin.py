"""The admin: upload, the validation report, confirm; the program import with its diff; the
configuration history; the CSV exports (admin and commands)."""

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from loyalty.models import Program, ProgramVersion, Purchase, Tier
from loyalty.selectors.program import program_export_text
from loyalty.services.program import program_import
from members.roles import CASHIER, MANAGER, roles_install
from tests.factories.members import StaffUserFactory
from tests.imports.conftest import PURCHASE_HEADER

pytestmark = pytest.mark.django_db


def csv_upload(rows, name="purchases.csv"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(), content_type="text/csv")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def manager(db):
    roles_install()
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name=MANAGER))
    return user


def test_upload_shows_the_report_then_confirm_imports(client, manager, ana, media):
    client.force_login(manager)
    url = reverse("admin:loyalty_purchase_import")
    rows = [PURCHASE_HEADER, ["a-1", "ana@example.com", "2026-11-01T10:00:00+00:00", "20.00",
                              "EUR", "store"]]  # fmt: skip
    response = client.post(url, {"file": csv_upload(rows)})
    assert response.status_code == 200
    assert "Every row is valid" in response.content.decode()
    assert not Purchase.objects.exists()
    stored = list((Path(media) / "imports").iterdir())
    assert len(stored) == 1
    assert len(stored[0].stem) == 32

    token = response.context["token"]
    done = client.post(reverse("admin:loyalty_purchase_import_confirm"), {"token": token})
    assert done.status_code == 200
    assert "Imported 1 rows." in done.content.decode()
    assert Purchase.objects.get().external_id == "a-1"
    assert not stored[0].exists()
    # The same token again: the file is gone, nothing twice.
    again = client.post(reverse("admin:loyalty_purchase_import_confirm"), {"token": token})
    assert again.status_code == 403
    assert Purchase.objects.count() == 1


def test_a_bad_row_is_reported_with_its_line_and_nothing_is_imported(client, manager, ana, media):
    client.force_login(manager)
    rows = [
        PURCHASE_HEADER,
        ["a-1", "ana@example.com", "2026-11-01T10:00:00+00:00", "20.00", "EUR", "store"],
        ["a-2", "ana@example.com", "2026-11-01T10:00:00+00:00", "-3.00", "EUR", "store"],
    ]
    response = client.post(reverse("admin:loyalty_purchase_import"), {"file": csv_upload(rows)})
    page = response.content.decode()
    assert "<td>3</td><td>amount -3.00 is negative</td>" in page
    assert "nothing has been imported" in page
    assert not Purchase.objects.exists()
    # The confirm token of a bad file does not import it either.
    token = response.context["token"]
    done = client.post(reverse("admin:loyalty_purchase_import_confirm"), {"token": token})
    assert "nothing has been imported" in done.content.decode()
    assert not Purchase.objects.exists()


def test_a_forged_token_is_refused(client, manager, program, media):
    client.force_login(manager)
    response = client.post(
        reverse("admin:loyalty_purchase_import_confirm"), {"token": "../../etc/passwd"}
    )
    assert response.status_code == 403


def test_a_cashier_may_not_import_or_export(client, db, program, media):
    roles_install()
    cashier = StaffUserFactory()
    cashier.groups.add(Group.objects.get(name=CASHIER))
    client.force_login(cashier)
    assert client.get(reverse("admin:loyalty_purchase_import")).status_code == 403
    assert client.get(reverse("admin:members_member_import")).status_code == 403
    assert client.get(reverse("admin:members_member_export")).status_code == 403
    assert client.get(reverse("admin:loyalty_ledgerentry_export")).status_code == 403


def test_members_upload_and_confirm(client, superuser, program, media):
    client.force_login(superuser)
    rows = [["email", "first_name", "language"], ["zoe@example.com", "Zoe", "fr"]]
    response = client.post(
        reverse("admin:members_member_import"), {"file": csv_upload(rows, "m.csv")}
    )
    client.post(
        reverse("admin:members_member_import_confirm"), {"token": response.context["token"]}
    )
    from members.models import Member

    assert Member.objects.get(user__email="zoe@example.com").language == "fr"


def test_exports_from_the_admin_and_the_commands(client, superuser, ana, tmp_path):
    from loyalty.services.purchases import purchase_record

    purchase_record(member=ana, external_id="e-1", amount="30.00", currency="EUR",
                    purchased_at=ana.joined_at, channel="store")  # fmt: skip
    client.force_login(superuser)
    response = client.get(reverse("admin:members_member_export"))
    members = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert members[0][:3] == ["member_number", "email", "first_name"]
    assert members[1][:3] == [ana.member_number, "ana@example.com", "Ana"]
    assert members[1][9:14] == ["bronze", "100", "30", "130", "0"]
    # Appended, so the columns above stay where a reader of the older file finds them.
    assert members[0][14:] == ["time_zone", "marketing_sms", "marketing_push", "program_notices"]
    assert members[1][14:] == ["", "false", "false", "true"]

    response = client.get(reverse("admin:loyalty_ledgerentry_export"))
    ledger = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert ledger[0][:3] == ["id", "occurred_at", "created_at"]
    assert [(row[4], row[5], row[7]) for row in ledger[1:]] == [("bonus", "100", ""),
                                                                 ("earn", "30", "e-1")]  # fmt: skip

    output = tmp_path / "ledger.csv"
    call_command("export_ledger", "--output", str(output), stderr=io.StringIO())
    assert list(csv.reader(output.open())) == ledger
    out = io.StringIO()
    call_command("export_members", stdout=out)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == members


PROGRAM_FILE = Path(settings.BASE_DIR) / "loyalty/fixtures/example_program.yaml"


def test_program_import_shows_the_diff_before_applying(client, superuser, db):
    program_import(text=PROGRAM_FILE.read_text(), note="first")
    client.force_login(superuser)
    text = program_export_text().replace('threshold: "500"', 'threshold: "600"')
    assert 'threshold: "600"' in text
    url = reverse("admin:loyalty_program_import")
    preview = client.post(url, {"text": text, "preview": "1"})
    page = preview.content.decode()
    assert "tier changed: silver: threshold 500 -&gt; 600" in page or "threshold" in page
    assert preview.context["diff"]
    assert Tier.objects.get(code="silver").threshold == 500
    versions = ProgramVersion.objects.count()

    applied = client.post(url, {"signed_text": preview.context["signed_text"], "apply": "1",
                                "note": "silver dearer"})  # fmt: skip
    assert applied.status_code == 302
    assert Tier.objects.get(code="silver").threshold == 600
    latest = ProgramVersion.objects.order_by("-number").first()
    assert ProgramVersion.objects.count() == versions + 1
    assert (latest.created_by, latest.note) == (superuser, "silver dearer")

    history = client.get(
        reverse("admin:loyalty_tier_history", args=[Tier.objects.get(code="silver").pk])
    )
    rows = history.context["config_history"]
    assert rows[0].by == superuser.email
    assert any("threshold" in line and "600" in line for line in rows[0].lines)
    program_history = client.get(
        reverse("admin:loyalty_program_history", args=[Program.objects.get().pk])
    )
    assert program_history.status_code == 200


def test_program_import_of_an_invalid_file_changes_nothing(client, superuser, db):
    program_import(text=PROGRAM_FILE.read_text(), note="first")
    client.force_login(superuser)
    versions = ProgramVersion.objects.count()
    response = client.post(reverse("admin:loyalty_program_import"), {"text": "program: 3\n"})
    assert response.context["errors"]
    assert ProgramVersion.objects.count() == versions


def test_program_export_downloads_the_file(client, superuser, db):
    program_import(text=PROGRAM_FILE.read_text(), note="first")
    client.force_login(superuser)
    response = client.get(reverse("admin:loyalty_program_export"))
    assert response.content.decode() == program_export_text()


def test_reward_history_shows_its_published_changes(client, superuser, db):
    program_import(text=PROGRAM_FILE.read_text(), note="first")
    from rewards.models import Reward

    client.force_login(superuser)
    reward = Reward.objects.get(code="ten-off")
    response = client.get(reverse("admin:rewards_reward_history", args=[reward.pk]))
    assert response.status_code == 200
    assert "config_history" in response.context
