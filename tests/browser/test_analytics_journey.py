"""A marketer reads the analytics on a phone (360 px), in Spanish: from the console's navigation
to the overview, whose chart Chart.js draws (served from static/, under the CSP: no console
error, no violation); a bad period is told at its field, a preset picks another; the other pages
fit the screen too."""

import datetime
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from loyalty.models import LedgerEntry, Purchase, TierChange
from loyalty.models.ledger import EntryKind
from loyalty.selectors.program import program_version_latest
from loyalty.services.program import program_import
from members.roles import MARKETER, roles_install
from tests.browser.test_smoke import assert_fits_the_screen
from tests.conftest import PASSWORD
from tests.factories.ledger import MemberFactory, ledger_program_text
from tests.factories.members import StaffUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script and records what the Content-Security-Policy refused.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
PAGES = ["activity", "points", "tiers", "cohorts", "channels", "funnel", "nps", "results"]


@pytest.fixture
def shop(transactional_db):
    """Twelve members buying over the last two months, in store, online and in the app; two
    risen to silver."""
    roles_install()
    program_import(text=ledger_program_text(signup_bonus=False), note="analytics journey")
    version = program_version_latest()
    now = timezone.now()
    channels = ["store", "store", "online", "app"]
    for n in range(12):
        member = MemberFactory(
            first_name=f"Socio{n}", language="es", joined_at=now - datetime.timedelta(days=70 - n)
        )
        for k in range(n % 5 + 1):
            when = now - datetime.timedelta(days=(n * 7 + k * 11) % 58, hours=k)
            Purchase.objects.create(
                external_id=f"p-{n}-{k}",
                member=member,
                amount=Decimal(20 + 7 * n + 3 * k),
                currency="EUR",
                purchased_at=when,
                channel=channels[(n + k) % 4],
                fingerprint="x",
                program_version=version,
            )
            LedgerEntry.objects.create(
                member=member, kind=EntryKind.EARN, points=20 + 7 * n, occurred_at=when
            )
        if n % 6 == 0:
            TierChange.objects.create(
                member=member,
                from_code="bronze",
                to_code="silver",
                reason="upgrade",
                at=now - datetime.timedelta(days=10),
            )


def watch(page: Page) -> list[str]:
    """Console errors and warnings, script errors, and failed requests (the page's icon
    included: base.html links it, so the browser asks for no /favicon.ico)."""
    errors: list[str] = []

    def console(message) -> None:
        if message.type in ("error", "warning") and "Failed to load resource" not in message.text:
            errors.append(message.text)

    def response(answer) -> None:
        if answer.status >= 400:
            errors.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", response)
    return errors


def sign_in_in_spanish(page: Page, live_server) -> None:
    user = StaffUserFactory(email="marketer@example.com", password=PASSWORD)
    user.groups.add(Group.objects.get(name=MARKETER))
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page.context.add_cookies([{"name": "django_language", "value": "es", "url": live_server.url}])
    page.goto(live_server.url + reverse("account_login"))
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_marketer_reads_the_overview_with_its_chart_on_a_phone_in_spanish(
    page: Page, live_server, shop, screenshot
):
    errors = watch(page)
    page.context.add_init_script(RECORD_VIOLATIONS)
    sign_in_in_spanish(page, live_server)

    page.get_by_role("link", name="Analítica").first.click()
    expect(page).to_have_url(live_server.url + reverse("analytics:overview"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Analítica")
    page.wait_for_load_state("networkidle")

    canvas = page.locator("canvas[data-chart=chart-series]")
    expect(canvas).to_be_visible()
    drawn = page.evaluate(
        """() => {
          const canvas = document.querySelector("canvas[data-chart=chart-series]");
          const chart = window.Chart && window.Chart.getChart(canvas);
          return chart ? {bars: chart.data.datasets[0].data.length, width: canvas.width} : null;
        }"""
    )
    assert drawn is not None, "Chart.js did not draw the chart"
    assert drawn["bars"] == 30
    assert drawn["width"] > 200
    assert_fits_the_screen(page)
    assert page.evaluate("window.__cspViolations") == []
    assert errors == []
    # The figures are in Spanish, with the table beside the chart.
    expect(page.locator('tr[data-figure="revenue"] th')).to_have_text("Ingresos")
    expect(page.locator('tr[data-figure="revenue"] td').first).to_contain_text("€")
    screenshot("1-overview")

    # A period that ends before it starts: told at the field, and the page does not break.
    page.get_by_label("Desde").fill("2026-11-20")
    page.get_by_label("Hasta (no incluido)").fill("2026-11-10")
    page.get_by_role("button", name="Mostrar").click()
    expect(page.locator(".field--invalid")).to_contain_text("El periodo debe terminar")
    expect(page.get_by_label("Hasta (no incluido)")).to_have_attribute("aria-invalid", "true")
    assert_fits_the_screen(page)
    screenshot("2-bad-period")
    assert [error for error in errors if "/analytics/?from=" not in error] == []
    errors.clear()  # the refused period's 400

    # A preset: the last 12 months.
    page.get_by_role("link", name="Últimos 12 meses").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("link", name="Últimos 12 meses")).to_have_attribute(
        "aria-current", "page"
    )
    assert page.evaluate(
        "() => window.Chart.getChart(document.querySelector('canvas[data-chart]')) !== undefined"
    )
    assert_fits_the_screen(page)

    for name in PAGES:
        page.goto(live_server.url + reverse(f"analytics:{name}") + "?" + _last_year())
        page.wait_for_load_state("networkidle")
        assert_fits_the_screen(page)
        screenshot(f"3-{name}")
    assert page.evaluate("window.__cspViolations") == []
    assert errors == []


def _last_year() -> str:
    today = timezone.localdate()
    start = today - datetime.timedelta(days=364)
    end = today + datetime.timedelta(days=1)
    return f"from={start.isoformat()}&to={end.isoformat()}"
