"""The marketer builds a segment on a phone: the count follows the rules as they are typed
(htmx, debounced), the rule builder works by keyboard, saving lands on the segment, and its
members are listed."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from campaigns.models import Segment
from members.roles import MARKETER, roles_install
from tests.browser.test_smoke import assert_fits_the_screen
from tests.browser.test_staff_journeys import staff_login
from tests.factories.ledger import MemberFactory, program_version_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def audience(transactional_db):
    roles_install()
    program_version_create(pending_days=0)
    for n in range(3):
        MemberFactory(email=f"es{n}@example.com", first_name=f"Ana{n}", language="es")
    MemberFactory(email="en@example.com", first_name="Tom", language="en")


def test_marketer_builds_a_segment_whose_count_follows_the_typing(
    page: Page, live_server, audience, screenshot
):
    staff_login(page, live_server, MARKETER)
    page.get_by_role("link", name="Segments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Segments")
    page.get_by_role("link", name="New segment").click()

    page.get_by_label("Code").fill("spanish")
    page.get_by_label("Name (English)").fill("Spanish speakers")
    count = page.get_by_test_id("segment-count")
    expect(count).to_contain_text("4 members")  # no rule yet: everyone
    # The rule builder by keyboard: choose with the keys, type the value.
    page.get_by_label("Field").focus()
    page.keyboard.type("Language")
    page.get_by_label("Value").fill("es")
    expect(count).to_contain_text("3 members")
    page.get_by_label("Value").fill("de")
    expect(count).to_contain_text("Give one of en, es, fr")
    page.get_by_label("Value").fill("es")
    expect(count).to_contain_text("3 members")
    assert_fits_the_screen(page)
    screenshot("1-editor")

    page.get_by_test_id("save-segment").click()
    # Named as the marketer named it, in the page's language (the code stays in its field).
    expect(page.get_by_role("heading", level=1)).to_have_text("Spanish speakers")
    assert Segment.objects.get().rules == [{"field": "language", "op": "eq", "value": "es"}]
    page.get_by_role("link", name="See its members").click()
    expect(page.get_by_test_id("segment-members").get_by_role("listitem")).to_have_count(3)
    assert_fits_the_screen(page)
    screenshot("2-members")
    page.goto(live_server.url + reverse("staff:segments"))
    expect(page.get_by_test_id("segments")).to_contain_text("3 members")
    screenshot("3-list")
