"""A manager imports a shop's purchase history in the admin: the file has one bad row, which the
report shows with its line number and reason, and nothing is imported."""

import csv

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from loyalty.models import LedgerEntry, Purchase
from members.roles import MANAGER, roles_install
from tests.conftest import PASSWORD
from tests.factories.ledger import MemberFactory, program_version_create
from tests.factories.members import StaffUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def manager(db):
    roles_install()
    user = StaffUserFactory(email="manager@example.com")
    user.groups.add(Group.objects.get(name=MANAGER))
    return user


def test_manager_imports_a_file_with_one_bad_row_which_is_reported_and_nothing_imported(
    page: Page, live_server, manager, tmp_path, settings, screenshot
):
    settings.MEDIA_ROOT = tmp_path / "media"
    program_version_create()
    MemberFactory(email="ana@example.com")
    entries = LedgerEntry.objects.count()
    path = tmp_path / "history.csv"
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ["external_id", "member_email", "purchased_at", "amount", "currency", "channel"],
                ["h-1", "ana@example.com", "2026-01-05T10:00:00+01:00", "25.00", "EUR", "store"],
                ["h-2", "ana@example.com", "2026-01-06T10:00:00+01:00", "-4.00", "EUR", "store"],
                ["h-3", "ana@example.com", "2026-01-07T10:00:00+01:00", "12.00", "EUR", "app"],
            ]
        )
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/admin/")
    page.locator("#id_username").fill(manager.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.goto(f"{live_server.url}/admin/loyalty/purchase/")
    page.get_by_role("link", name="Import CSV").click()
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()

    problems = page.get_by_test_id("import-problems")
    expect(problems).to_contain_text("3")
    expect(problems).to_contain_text("amount -4.00 is negative")
    expect(page.get_by_test_id("import-summary")).to_contain_text("3 rows read")
    expect(page.get_by_test_id("import-summary")).to_contain_text("1 rejected")
    expect(page.get_by_test_id("nothing-imported")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm the import")).to_have_count(0)
    screenshot("report")
    assert not Purchase.objects.exists()
    assert LedgerEntry.objects.count() == entries
