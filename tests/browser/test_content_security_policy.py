"""The Content-Security-Policy holds on the pages people use: Chromium reports no violation on
the portal, the staff console (with an htmx search), the admin and the API docs."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from members.roles import roles_install
from tests.conftest import PASSWORD
from tests.factories.ledger import MemberFactory, program_version_create
from tests.factories.members import StaffUserFactory
from tests.factories.rewards import RewardFactory, redemption_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script, outside the page's policy, and records what the policy refused.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def watched(browser: Browser):
    """A page whose CSP violations (events and console messages) are collected."""
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    context.set_default_timeout(10_000)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.console_violations = console
    yield page
    context.close()


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy, url
    assert "frame-ancestors 'none'" in policy, url
    page.wait_for_load_state("networkidle")
    assert_no_violation(page, url)


def assert_no_violation(page: Page, where: str) -> None:
    violations = page.evaluate("window.__cspViolations") + page.console_violations
    assert violations == [], f"{where}: {violations}"


@pytest.fixture
def shop(transactional_db):
    roles_install()
    program_version_create(pending_days=0)
    alice = MemberFactory(email="alice@example.com", first_name="Alice")
    alice.user.set_password(PASSWORD)
    alice.user.save(update_fields=["password"])
    EmailAddress.objects.create(
        user=alice.user, email=alice.user.email, verified=True, primary=True
    )
    redemption_create(alice, RewardFactory(code="coffee", points_cost=50, name_en="Free coffee"))
    return alice


def test_portal_pages_report_no_policy_violation(watched: Page, live_server, shop):
    for name in ("home", "account_signup", "account_login"):
        visit(watched, live_server.url + reverse(name))
    watched.locator("#id_login").fill(shop.user.email)
    watched.locator("#id_password").fill(PASSWORD)
    watched.locator("main form button[type=submit]").click()
    expect(watched.get_by_role("button", name="Sign out")).to_be_visible()

    for path in ("/me/", "/me/activity/", "/me/rewards/", "/me/vouchers/", "/me/card/",
                 "/me/invite/", "/me/profile/"):  # fmt: skip
        visit(watched, live_server.url + path)


def test_staff_console_and_admin_report_no_policy_violation(watched: Page, live_server, shop):
    user = StaffUserFactory(email="root@example.com", is_superuser=True, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    visit(watched, live_server.url + reverse("admin:login"))
    watched.locator("#id_username").fill(user.email)
    watched.locator("#id_password").fill(PASSWORD)
    watched.locator("input[type=submit]").click()
    expect(watched).to_have_url(re.compile(r"/admin/$"))
    assert_no_violation(watched, "admin index")

    for path in (
        "/admin/",
        "/admin/members/member/",
        f"/admin/members/member/{shop.pk}/change/",
        "/admin/loyalty/ledgerentry/",
        "/admin/loyalty/program/",
    ):
        visit(watched, live_server.url + path)

    visit(watched, live_server.url + reverse("staff:search"))
    # An htmx request: its indicator styles come from tessera.css, not an injected <style>.
    watched.get_by_role("searchbox").first.fill("alice")
    expect(watched.get_by_text(shop.member_number).first).to_be_visible()
    assert_no_violation(watched, "staff search")
    visit(watched, live_server.url + reverse("staff:member", args=[shop.member_number]))


def test_api_docs_render_under_their_own_policy(watched: Page, live_server, db):
    visit(watched, live_server.url + reverse("api-docs"))
    expect(watched.locator(".swagger-ui .info .title")).to_contain_text("Tessera API")
    assert_no_violation(watched, "api docs")
