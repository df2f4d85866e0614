"""Blocking in a real browser on a 360 px phone: the manager blocks a member with a reason on the
console's member page and sees it there; the member, reading in Spanish, is told their account is
blocked and is offered no redeem button; the manager unblocks."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from members.models import Member, MemberStatus
from members.roles import roles_install
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_smoke import assert_fits_the_screen
from tests.browser.test_staff_journeys import staff_login
from tests.conftest import PASSWORD
from tests.factories.ledger import program_version_create
from tests.factories.members import portal_member_create
from tests.factories.rewards import RewardFactory, points_give

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(transactional_db):
    roles_install()
    program_version_create(pending_days=0)


def test_manager_blocks_and_the_spanish_member_is_told(
    page: Page,
    browser: Browser,
    live_server,
    shop,
    screenshot,
):
    ana = portal_member_create(
        email="ana@example.com", first_name="Ana", language="es", password=PASSWORD
    )
    points_give(ana, 500)
    RewardFactory(code="cafe", points_cost=100, name_en="Coffee", name_es="Café")

    staff_login(page, live_server, "manager")
    page.goto(live_server.url + reverse("staff:member", args=[ana.member_number]))
    page.get_by_role("link", name="Block").click()
    page.locator("#id_reason").fill("Shared card with strangers")
    page.get_by_role("button", name="Block").click()
    expect(page.get_by_test_id("member-blocked")).to_contain_text("Shared card with strangers")
    assert_fits_the_screen(page)
    screenshot("manager-member-blocked")
    assert Member.objects.get(pk=ana.pk).status == MemberStatus.BLOCKED

    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="es-ES")
    phone = context.new_page()
    phone.goto(live_server.url + reverse("account_login"))
    phone.locator("#id_login").fill("ana@example.com")
    phone.locator("#id_password").fill(PASSWORD)
    phone.locator("main form button[type=submit]").click()
    expect(phone.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    phone.goto(live_server.url + reverse("members:home"))
    expect(phone.get_by_test_id("member-blocked")).to_contain_text("Su cuenta está bloqueada")
    assert_fits_the_screen(phone)
    phone.screenshot(path=ARTIFACTS / "blocked-member-home-es.png", full_page=True)
    phone.goto(live_server.url + reverse("members:rewards"))
    expect(phone.get_by_test_id("member-blocked")).to_be_visible()
    expect(phone.locator(f"a[href='{reverse('members:redeem', args=['cafe'])}']")).to_have_count(0)
    assert_fits_the_screen(phone)
    phone.screenshot(path=ARTIFACTS / "blocked-member-rewards-es.png", full_page=True)
    context.close()

    page.get_by_role("button", name="Unblock").click()
    expect(page.get_by_test_id("member-blocked")).to_have_count(0)
    assert Member.objects.get(pk=ana.pk).status == MemberStatus.ACTIVE
