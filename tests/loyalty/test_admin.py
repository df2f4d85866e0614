"""The admin edits the program with the file's validation, and each save publishes a version."""

from decimal import Decimal

import pytest
from django.urls import reverse

from loyalty.models import EarningRule, Program, ProgramVersion, Tier
from tests.factories.members import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


RULE_FORM = {
    "code": "app_double",
    "kind": "promo_multiplier",
    "multiplier": "2",
    "channels": ["app"],
    "position": "20",
    "is_active": "on",
}


def test_adding_a_valid_rule_publishes_a_version(admin_client, imported_version):
    response = admin_client.post(reverse("admin:loyalty_earningrule_add"), RULE_FORM)

    assert response.status_code == 302
    rule = EarningRule.objects.get(code="app_double")
    assert rule.channels == ["app"]
    version = ProgramVersion.objects.get(number=2)
    assert version.definition.rule("app_double").channels == ("app",)
    assert version.created_by.is_superuser


def test_a_rule_missing_its_kinds_field_is_refused_at_that_field(admin_client, imported_version):
    form = {**RULE_FORM, "kind": "per_currency_unit", "multiplier": "", "points": "1"}

    response = admin_client.post(reverse("admin:loyalty_earningrule_add"), form)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["per"] == ["This field is required."]
    assert not EarningRule.objects.filter(code="app_double").exists()
    assert ProgramVersion.objects.count() == 1


def test_a_field_the_kind_does_not_take_is_left_empty(admin_client, imported_version):
    # The page hides it (static/js/admin-rule-kind.js); whatever it holds is not the rule's.
    response = admin_client.post(
        reverse("admin:loyalty_earningrule_add"), {**RULE_FORM, "min_amount": "10.00"}
    )

    assert response.status_code == 302
    assert EarningRule.objects.get(code="app_double").min_amount is None
    rules = ProgramVersion.objects.get(number=2).snapshot["rules"]
    assert "min_amount" not in next(rule for rule in rules if rule["code"] == "app_double")


def test_a_rule_ending_before_it_starts_is_refused(admin_client, imported_version):
    rule = EarningRule.objects.get(code="tuesdays")
    form = {
        "code": "tuesdays",
        "kind": "promo_multiplier",
        "multiplier": "2",
        "starts": "2026-12-01",
        "ends": "2026-11-01",
        "weekdays": ["tue"],
        "channels": ["store"],
        "position": "4",
        "is_active": "on",
    }

    response = admin_client.post(reverse("admin:loyalty_earningrule_change", args=[rule.pk]), form)

    errors = response.context["adminform"].form.errors
    assert errors["ends"] == ["ends (2026-11-01) is before starts (2026-12-01)"]
    assert EarningRule.objects.get(code="tuesdays").ends.isoformat() == "2026-12-31"
    assert ProgramVersion.objects.count() == 1


def test_an_overlapping_tier_threshold_is_refused_at_the_threshold(admin_client, imported_version):
    gold = Tier.objects.get(code="gold")
    form = {
        "code": "gold",
        "name_en": "Gold",
        "threshold": "500",
        "multiplier": "1.5",
        "discount_percent": "15",
        "benefits": "free_shipping, early_access",
        "position": "2",
        "is_active": "on",
    }

    response = admin_client.post(reverse("admin:loyalty_tier_change", args=[gold.pk]), form)

    errors = response.context["adminform"].form.errors
    assert "must not overlap" in errors["threshold"][0]
    assert ProgramVersion.objects.count() == 1


def test_editing_a_tier_publishes_a_version(admin_client, imported_version):
    gold = Tier.objects.get(code="gold")
    form = {
        "code": "gold",
        "name_en": "Gold",
        "name_es": "Oro",
        "name_fr": "Or",
        "threshold": "2000",
        "multiplier": "1.5",
        "discount_percent": "15",
        "benefits": "free_shipping, early_access",
        "position": "2",
        "is_active": "on",
    }

    response = admin_client.post(reverse("admin:loyalty_tier_change", args=[gold.pk]), form)

    assert response.status_code == 302
    version = ProgramVersion.objects.get(number=2)
    assert version.changes == ['tier changed: gold: threshold "1500" -> "2000"']
    assert version.definition.tier("gold").benefits == ("free_shipping", "early_access")


def test_a_tier_a_reward_requires_cannot_be_deleted(admin_client, imported_version):
    gold = Tier.objects.get(code="gold")

    response = admin_client.post(
        reverse("admin:loyalty_tier_delete", args=[gold.pk]), {"post": "yes"}, follow=True
    )

    messages = [str(message) for message in response.context["messages"]]
    assert any("unknown tier 'gold'" in message for message in messages)
    assert Tier.objects.filter(code="gold").exists()
    assert ProgramVersion.objects.count() == 1


def test_program_settings_are_validated_like_the_file(admin_client, imported_version):
    program = Program.objects.get()
    form = {
        "name": "Club Sicmay",
        "currency": "XYZ",
        "timezone": "Europe/Madrid",
        "language": "es",
        "categories": "[]",
        "point_value": "0.01",
        "pending_days": "14",
        "rounding": "floor",
        "expiry_policy": "none",
        "expiry_months": "12",
        "expiry_warn_days": "30",
        "qualification_metric": "spend",
        "qualification_window_months": "12",
        "quiet_hours_from": "21:00",
        "quiet_hours_to": "09:00",
        "frequency_cap_messages": "1",
        "frequency_cap_days": "2",
    }

    response = admin_client.post(reverse("admin:loyalty_program_change", args=[program.pk]), form)

    errors = response.context["adminform"].form.errors
    assert errors["currency"] == ["unknown currency 'XYZ' (an ISO 4217 code such as EUR)"]
    assert errors["expiry_months"] == ["only applies when points expire"]
    assert ProgramVersion.objects.count() == 1


PROGRAM_FORM = {
    "name": "Club Sicmay",
    "currency": "EUR",
    "timezone": "Europe/Madrid",
    "language": "es",
    "categories": "[]",
    "point_value": "0.01",
    "pending_days": "14",
    "rounding": "floor",
    "expiry_policy": "rolling",
    "expiry_months": "12",
    "expiry_warn_days": "30",
    "qualification_metric": "spend",
    "qualification_window_months": "12",
    "quiet_hours_from": "21:00",
    "quiet_hours_to": "09:00",
    "frequency_cap_messages": "1",
    "frequency_cap_days": "2",
}


def test_the_purchase_limit_is_set_in_the_admin_and_published(admin_client, imported_version):
    program = Program.objects.get()
    url = reverse("admin:loyalty_program_change", args=[program.pk])

    response = admin_client.post(url, PROGRAM_FORM | {"max_purchase_amount": "1500.00"})

    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = ProgramVersion.objects.order_by("-number").first()
    assert latest.definition.max_purchase_amount == Decimal("1500.00")
    assert latest.snapshot["program"]["max_purchase_amount"] == "1500.00"


def test_a_purchase_limit_of_zero_is_refused_at_its_field(admin_client, imported_version):
    program = Program.objects.get()
    url = reverse("admin:loyalty_program_change", args=[program.pk])

    response = admin_client.post(url, PROGRAM_FORM | {"max_purchase_amount": "0"})

    errors = response.context["adminform"].form.errors
    assert errors["max_purchase_amount"] == ["must be greater than 0"]
    assert ProgramVersion.objects.count() == 1


def test_a_version_is_shown_read_only_with_its_snapshot(admin_client, imported_version):
    response = admin_client.get(
        reverse("admin:loyalty_programversion_change", args=[imported_version.pk])
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "{code: base, kind: per_currency_unit, points: 1, per: &quot;1.00&quot;}" in content
    assert 'name="note"' not in content  # no editable field


def test_communications_are_set_in_the_admin_and_published(admin_client, imported_version):
    program = Program.objects.get()
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    form = PROGRAM_FORM | {
        "quiet_hours_from": "22:00",
        "quiet_hours_to": "22:00",
        "frequency_cap_messages": "2",
        "frequency_cap_days": "7",
    }

    response = admin_client.post(url, form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = ProgramVersion.objects.order_by("-number").first()
    assert latest.number == 2
    assert latest.definition.communications.quiet_hours.is_none
    assert latest.snapshot["program"]["communications"] == {
        "quiet_hours": {"from": "22:00", "to": "22:00"},
        "frequency_cap": {"messages": 2, "days": 7},
    }
    assert "program.communications.frequency_cap: {messages: 1, days: 2} -> " in "\n".join(
        latest.changes
    )


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("frequency_cap_messages", "0", "Ensure this value is greater than or equal to 1."),
        ("frequency_cap_days", "400", "Ensure this value is less than or equal to 365."),
        ("frequency_cap_messages", "101", "Ensure this value is less than or equal to 100."),
        ("quiet_hours_from", "21:00:30", "'21:00:30' is not a time of day"),
    ],
)
def test_bad_communications_are_refused_at_their_field(
    admin_client, imported_version, field, value, problem
):
    program = Program.objects.get()
    url = reverse("admin:loyalty_program_change", args=[program.pk])

    response = admin_client.post(url, PROGRAM_FORM | {field: value})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert problem in errors[field][0]
    assert ProgramVersion.objects.count() == 1
    assert Program.objects.get().frequency_cap_messages == 1


def test_the_program_page_shows_the_communications_fields(admin_client, imported_version):
    program = Program.objects.get()

    response = admin_client.get(reverse("admin:loyalty_program_change", args=[program.pk]))

    page = response.content.decode()
    assert 'name="quiet_hours_from" value="21:00"' in page
    assert 'name="frequency_cap_days"' in page
