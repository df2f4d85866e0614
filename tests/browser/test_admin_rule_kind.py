"""The earning rule's admin form in Chromium: choosing a kind shows its fields only, with the
help for that kind, and the page keeps to the Content-Security-Policy."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from playwright.sync_api import Page, expect

from loyalty.models import EarningRule
from loyalty.services.program import program_import
from tests.browser.test_content_security_policy import assert_no_violation, visit, watched
from tests.conftest import PASSWORD
from tests.factories.loyalty import example_program_text
from tests.factories.members import StaffUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["watched"]  # the fixture, shared with the policy's own tests

VALUE_FIELDS = (
    "points",
    "per",
    "multiplier",
    "min_amount",
    "category",
    "sku",
    "event",
    "referee_points",
    "monthly_cap",
    "starts",
    "ends",
    "weekdays",
    "channels",
)


def shown(page: Page) -> set[str]:
    return {name for name in VALUE_FIELDS if page.locator(f".form-row.field-{name}").is_visible()}


def test_the_kind_select_shows_only_that_kinds_fields(watched: Page, live_server):
    program_import(text=example_program_text())
    user = StaffUserFactory(email="owner@example.com", is_superuser=True, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    visit(watched, live_server.url + reverse("admin:login"))
    watched.locator("#id_username").fill(user.email)
    watched.locator("#id_password").fill(PASSWORD)
    watched.locator("input[type=submit]").click()
    expect(watched).to_have_url(re.compile(r"/admin/$"))

    visit(watched, live_server.url + reverse("admin:loyalty_earningrule_add"))
    assert shown(watched) == set()  # no kind chosen yet: nothing to fill but the kind

    watched.locator("#id_kind").select_option("per_currency_unit")
    assert shown(watched) == {"points", "per", "starts", "ends", "weekdays", "channels"}
    help_text = watched.locator(".form-row.field-points .help")
    expect(help_text).to_contain_text("1 point for every €1.00 spent")
    expect(help_text).not_to_contain_text("Used by")

    watched.locator("#id_kind").select_option("event_bonus")
    assert shown(watched) == {"event", "points", "monthly_cap", "starts", "ends"}
    watched.locator("#id_event").select_option("referral")
    assert "referee_points" in shown(watched)
    watched.locator("#id_event").select_option("birthday")
    assert "referee_points" not in shown(watched)

    watched.locator("#id_kind").select_option("spend_threshold_bonus")
    watched.locator("#id_code").fill("big_spender")
    watched.locator("#id_position").fill("40")
    watched.locator("#id_min_amount").fill("250.00")
    watched.locator("#id_points").fill("120")
    watched.locator("input[name=_save]").click()
    expect(watched).to_have_url(re.compile(r"/admin/loyalty/earningrule/$"))
    expect(
        watched.get_by_text("120 bonus points for a purchase of €250.00 or more")
    ).to_be_visible()
    assert_no_violation(watched, "earning rule form")
    rule = EarningRule.objects.get(code="big_spender")
    assert (rule.min_amount, rule.points, rule.event) == (250, 120, "")

    visit(watched, live_server.url + reverse("admin:loyalty_earningrule_change", args=[rule.pk]))
    assert shown(watched) == {"min_amount", "points", "starts", "ends", "weekdays", "channels"}
