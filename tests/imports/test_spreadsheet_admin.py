"""The admin's import page with a file as Excel saves it in Spain: the day-first choice, kept
from the check to the confirm; the report names the separator and the encoding."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loyalty.models import Purchase
from tests.imports.test_spreadsheet_files import MADRID, PURCHASES

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def excel_upload(rows, *, encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    return SimpleUploadedFile(
        "compras.csv", buffer.getvalue().encode(encoding), content_type="text/csv"
    )


def test_the_day_first_choice_reads_the_file_and_is_kept_until_the_confirm(
    client, superuser, ana, media
):
    client.force_login(superuser)
    form = client.get(reverse("admin:loyalty_purchase_import")).content.decode()
    assert 'name="is_day_first"' in form

    response = client.post(
        reverse("admin:loyalty_purchase_import"),
        {"file": excel_upload(PURCHASES), "is_day_first": "on"},
    )

    page = response.content.decode()
    assert "Read with the separator semicolon (;) and the encoding UTF-8 with BOM." in page
    assert "Every row is valid" in page
    assert not Purchase.objects.exists()
    done = client.post(
        reverse("admin:loyalty_purchase_import_confirm"), {"token": response.context["token"]}
    )
    assert "Imported 2 rows." in done.content.decode()
    assert Purchase.objects.get(external_id="es-1").purchased_at == datetime.datetime(
        2026, 11, 1, 18, 30, tzinfo=MADRID
    )


def test_without_the_choice_day_first_dates_are_line_errors(client, superuser, ana, media):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:loyalty_purchase_import"), {"file": excel_upload(PURCHASES)}
    )

    page = response.content.decode()
    assert "<td>2</td><td>purchased_at &#x27;01/11/2026 18:30&#x27; is not a date and time" in page
    assert "day-first dates option" in page
    assert "nothing has been imported" in page
    done = client.post(
        reverse("admin:loyalty_purchase_import_confirm"), {"token": response.context["token"]}
    )
    assert "nothing has been imported" in done.content.decode()
    assert not Purchase.objects.exists()


def test_a_windows_1252_file_is_reported_as_such_in_the_page_language(
    client, superuser, ana, media
):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:loyalty_purchase_import"),
        {"file": excel_upload(PURCHASES, encoding="cp1252"), "is_day_first": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "The file is not UTF-8 (from line 3): it was read as Windows-1252." in (
        response.content.decode()
    )
    assert response.context["report"].is_valid
