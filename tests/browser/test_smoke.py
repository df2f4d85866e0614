"""The first visit of a Spanish-speaking customer, in a real browser on a small phone."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "carmen@example.com"


def test_visitor_switches_to_spanish_signs_up_verifies_by_mail_and_lands_signed_in(
    page: Page, live_server, smtp_outbox, screenshot
):
    page.goto(live_server.url)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    assert_fits_the_screen(page)
    screenshot("1-home")

    # The switcher works from the keyboard, without JavaScript of ours.
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change").press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cada visita cuenta")

    page.get_by_role("link", name="Únase al programa").click()
    page.locator("#id_email").fill(EMAIL)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_first_name").fill("Carmen")
    assert_fits_the_screen(page)
    screenshot("2-sign-up")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(live_server.url + reverse("account_email_verification_sent"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    screenshot("3-verification-sent")

    mail = smtp_outbox.wait_for_mail(to=EMAIL)
    assert "¡Hola desde Tessera!" in mail.text
    links = [link for link in mail.links() if "/accounts/confirm-email/" in link]
    assert len(links) == 1, mail.text
    assert links[0].startswith(live_server.url)

    page.goto(links[0])
    screenshot("4-confirm")
    page.locator("main form button[type=submit]").click()

    # Signed in, the member lands on their own home (portal.landing), greeted by first name.
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + "/me/$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_test_id("user-email")).to_have_text(EMAIL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hola, Carmen")
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    assert_fits_the_screen(page)
    screenshot("5-signed-in")
    assert EmailAddress.objects.get(email=EMAIL).verified


def assert_fits_the_screen(page: Page) -> None:
    """Nothing scrolls sideways: the layout holds at this width."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the viewport"
