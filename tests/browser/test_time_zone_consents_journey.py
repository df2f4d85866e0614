"""On a small phone, in French: a member picks their time zone on the profile and turns push
offers on and program notices off; a cashier enrols a walk-in customer with a time zone."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from playwright.sync_api import Page, expect

from members.models import ConsentChange, Member
from members.roles import roles_install
from tests.browser.test_smoke import assert_fits_the_screen
from tests.browser.test_staff_journeys import staff_login
from tests.conftest import PASSWORD
from tests.factories.ledger import program_version_create
from tests.factories.members import portal_member_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def member_login(page: Page, live_server, email: str) -> None:
    page.goto(live_server.url + reverse("account_login"))
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("user-email")).to_have_text(email)


def test_a_member_sets_a_time_zone_and_their_consents_on_a_phone(
    page: Page, live_server, screenshot
):
    program_version_create()
    member = portal_member_create(email="chloe@example.com", first_name="Chloé", language="fr")
    assert EmailAddress.objects.filter(email="chloe@example.com", verified=True).exists()
    member_login(page, live_server, "chloe@example.com")
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])

    page.goto(live_server.url + reverse("members:profile"))
    zone = page.get_by_label("Fuseau horaire")
    expect(zone).to_have_value("")
    expect(zone.locator("option:checked")).to_have_text("Celui de la boutique")
    assert_fits_the_screen(page)
    screenshot("1-profile")

    zone.select_option("Europe/Paris")
    page.get_by_role("button", name="Enregistrer le profil").click()
    expect(page.get_by_label("Fuseau horaire")).to_have_value("Europe/Paris")
    assert Member.objects.get(pk=member.pk).time_zone == "Europe/Paris"

    page.get_by_label("des nouveautés en notifications sur mon téléphone").check()
    notices = page.get_by_label("de mes points, de mon niveau et de mes bons")
    expect(notices).to_be_checked()
    notices.uncheck()
    page.get_by_role("button", name="Enregistrer mes choix").click()  # htmx: saved in place
    expect(page.locator("#consents [role=status]")).to_have_text("Vos choix sont enregistrés.")
    expect(page.locator(".consent-history")).to_contain_text("avis du programme : désactivés")
    page.locator("#consents").scroll_into_view_if_needed()
    assert_fits_the_screen(page)
    screenshot("2-consents-saved")

    stored = Member.objects.get(pk=member.pk)
    assert (stored.marketing_push_opt_in, stored.program_notices) == (True, False)
    assert ConsentChange.objects.filter(member=member, kind="marketing_push", granted=True).exists()


def test_a_cashier_enrols_a_customer_with_a_time_zone_on_a_phone(
    page: Page, live_server, screenshot
):
    roles_install()
    program_version_create()
    staff_login(page, live_server, "cashier")

    page.goto(live_server.url + reverse("staff:enrol"))
    page.get_by_label("Email", exact=True).fill("walk.in@example.com")
    page.get_by_label("First name").fill("Walker")
    page.get_by_text("More (optional)").click()
    zone = page.get_by_label("Time zone")
    expect(zone.locator("option:checked")).to_have_text("Same as the shop")
    zone.select_option("Atlantic/Canary")
    assert_fits_the_screen(page)
    screenshot("1-enrol")
    page.get_by_role("button", name="Enrol").click()

    expect(page.get_by_text("Walker is now a member")).to_be_visible()
    assert Member.objects.get(user__email="walk.in@example.com").time_zone == "Atlantic/Canary"
