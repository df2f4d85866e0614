# ruff: noqa: RUF001 - French text uses the typographic apostrophe, as its catalogue does.
"""The error pages on a small phone, in Spanish and French (the browser's language): a visitor
following a dead link and a cashier opening a manager's page read what happened and find their
way back, without the page scrolling sideways."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from members.roles import CASHIER, roles_install
from tests.browser.test_smoke import assert_fits_the_screen
from tests.conftest import PASSWORD
from tests.factories.members import StaffUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCALES = {"es": "es-ES", "fr": "fr-FR"}
TEXT = {
    "es": {
        "not_found": "No encontramos esta página",
        "home": "Volver a la página de inicio",
        "home_heading": "Cada visita cuenta",
        "refused": "No puede abrir esta página",
        "role": "Su rol no permite acceder a esta página.",
        "console": "Volver a la consola del personal",
        "console_heading": "Buscar un socio",
    },
    "fr": {
        "not_found": "Nous ne trouvons pas cette page",
        "home": "Retour à l’accueil",
        "home_heading": "Chaque visite compte",
        "refused": "Vous ne pouvez pas ouvrir cette page",
        "role": "Votre rôle ne permet pas d’accéder à cette page.",
        "console": "Retour à la console du personnel",
        "console_heading": "Trouver un membre",
    },
}


@pytest.fixture(params=["es", "fr"])
def language(request) -> str:
    return request.param


@pytest.fixture
def page(browser: Browser, language: str):
    """The conftest's small phone, whose browser asks for `language` (Accept-Language)."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale=LOCALES[language])
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_dead_link_shows_our_404_and_leads_home(page: Page, live_server, language, screenshot):
    text = TEXT[language]

    response = page.goto(live_server.url + "/no-such-page/")

    assert response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(text["not_found"])
    assert_fits_the_screen(page)
    screenshot("404")
    page.get_by_role("link", name=text["home"]).click()
    expect(page).to_have_url(live_server.url + reverse("home"))
    expect(page.get_by_role("heading", level=1)).to_have_text(text["home_heading"])


def test_cashier_on_a_managers_page_reads_our_403_and_goes_back_to_the_console(
    page: Page, live_server, language, screenshot
):
    roles_install()  # a transactional test's database was flushed
    cashier = StaffUserFactory(email="cashier@example.com", password=PASSWORD)
    cashier.groups.add(Group.objects.get(name=CASHIER))
    EmailAddress.objects.create(user=cashier, email=cashier.email, verified=True, primary=True)
    text = TEXT[language]

    # Signed out, the manager's page asks for a sign-in first and comes back to it.
    page.goto(live_server.url + reverse("staff:referrals"))
    expect(page).to_have_url(re.compile(re.escape(reverse("account_login"))))
    page.locator("#id_login").fill(cashier.email)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_response(re.compile(re.escape(reverse("staff:referrals")) + "$")) as refused:
        page.locator("main form button[type=submit]").click()

    assert refused.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(text["refused"])
    expect(page.get_by_text(text["role"])).to_be_visible()
    assert_fits_the_screen(page)
    screenshot("403")
    page.get_by_role("link", name=text["console"]).click()
    expect(page).to_have_url(live_server.url + reverse("staff:search"))
    expect(page.get_by_role("heading", level=1)).to_have_text(text["console_heading"])
