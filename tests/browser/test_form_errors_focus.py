"""A form that comes back with errors opens at its first error, on a phone: the field has the
focus and is on the screen (static/js/forms.js)."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_sign_up_refused_for_its_birthday_opens_at_the_birthday(page: Page, live_server):
    page.goto(live_server.url + reverse("account_signup"))
    page.locator("#id_email").fill("zoe@example.com")
    page.locator("#id_password1").fill("a-long-enough-passphrase-42")
    page.locator("#id_password2").fill("a-long-enough-passphrase-42")
    page.locator("#id_first_name").fill("Zoé")
    page.locator("#id_birth_day").select_option("31")
    page.locator("#id_birth_month").select_option("2")
    page.locator("main form button[type=submit]").click()

    day = page.locator("#id_birth_day")
    expect(page.locator("#id_birth_day_error")).to_be_visible()
    expect(day).to_be_focused()
    expect(day).to_be_in_viewport()
