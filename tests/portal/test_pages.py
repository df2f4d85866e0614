# ruff: noqa: RUF001 - the explanations use the multiplication and division signs.
"""Each member page shows the signed-in member's own data; htmx gets the partial, a plain
request the whole page."""

import datetime
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Referral, ReferralReason, ReferralStatus
from loyalty.models import EntryKind, LedgerEntry
from members.models import Member
from tests.factories.ledger import MemberFactory
from tests.portal.conftest import NOW, add_history, login

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_home_shows_balances_tier_progress_and_latest_movements(client, alice):
    page = login(client, alice).get(reverse("members:home")).content.decode()

    # 100 welcome + 177 - 14 refunded are available; the recent purchase's 10 are pending.
    assert 'data-testid="available-points">263<' in page
    assert 'data-testid="pending-points">10<' in page
    assert "Your tier: Bronze" in page
    # 125.00 - 12.50 + 10.00 spent: 377.50 more reaches Silver (500).
    assert '<progress id="tier-progress" max="500" value="122.50"' in page
    assert "Spend €377.50 more within 12 months to reach Silver." in page
    assert "Welcome bonus for joining the program" in page
    assert page.count("<h1") == 1


def test_home_in_spanish_formats_numbers_and_money_for_spain(client, alice):
    client.cookies["django_language"] = "es"

    page = login(client, alice).get(reverse("members:home")).content.decode()

    assert "Gaste 377,50\N{NO-BREAK SPACE}€ más" in page
    assert "Su nivel: Bronce" in page


def test_home_warns_of_points_expiring_soon(client, alice, now):
    # Alice's sign-up bonus expires 12 months after she joined: a week before that.
    now_then = NOW + datetime.timedelta(days=358)
    with time_machine.travel(now_then, tick=False):
        page = login(client, alice).get(reverse("members:home")).content.decode()

    assert "Points expiring soon" in page
    assert "100 points on" in page


def test_activity_lists_every_movement_newest_first_paginated(client, alice):
    add_history(alice, 45)
    client = login(client, alice)

    first = client.get(reverse("members:activity")).content.decode()
    third = client.get(reverse("members:activity") + "?page=3").content.decode()

    total = LedgerEntry.objects.filter(member=alice).count()
    assert first.count('class="movement ') == 20
    assert third.count('class="movement ') == total - 40
    assert "Page 1 of 3" in first
    ordered = LedgerEntry.objects.filter(member=alice).order_by("-occurred_at", "-pk")
    newest, second = (reverse("members:entry", args=[entry.pk]) for entry in ordered[:2])
    assert first.index(f'href="{newest}"') < first.index(f'href="{second}"')
    oldest = reverse("members:entry", args=[ordered.last().pk])
    assert f'href="{oldest}"' in third


def test_activity_pager_with_htmx_returns_only_the_list(client, alice):
    add_history(alice, 30)
    client = login(client, alice)

    response = client.get(
        reverse("members:activity") + "?page=2", HTTP_HX_TARGET="activity-list", **HTMX
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="activity-list"')
    assert "<html" not in page
    assert "Page 2 of 2" in page


def test_opening_a_purchase_explains_its_rules_and_arithmetic(client, alice):
    earn = LedgerEntry.objects.get(
        member=alice, purchase__external_id="alice-big-basket", kind="earn"
    )
    client = login(client, alice)

    partial = client.get(reverse("members:entry", args=[earn.pk]), **HTMX).content.decode()
    full = client.get(reverse("members:entry", args=[earn.pk])).content.decode()

    assert "<html" not in partial
    assert "1 point per €1.00 spent: €125.00 ÷ €1.00 × 1 = 125" in partial
    assert "1 point per item of wine: 2 × 1 = 2" in partial
    assert "Bonus for spending €100.00 or more: +50" in partial
    assert "Your tier, Bronze: points × 1" in partial
    assert "(127) × 1 + 50 = 177, rounded down: 177" in partial
    assert "+177 points" in partial
    assert "<html" in full
    assert full.count("<h1") == 1
    assert "1 point per €1.00 spent" in full


def test_opening_a_refund_explains_what_was_taken_back(client, alice):
    refund = LedgerEntry.objects.get(member=alice, kind=EntryKind.REFUND)

    page = login(client, alice).get(reverse("members:entry", args=[refund.pk]), **HTMX)

    text = page.content.decode()
    assert "You returned €12.50. €112.50 of the purchase is left, which earns 163 points" in text
    assert "instead of 177" in text
    assert "\N{MINUS SIGN}14 points" in text


def test_card_shows_number_barcode_and_qr(client, alice):
    response = login(client, alice).get(reverse("members:card"))

    page = response.content.decode()
    number = alice.member_number
    assert f"{number[0]} {number[1:7]} {number[7:]}" in page
    assert f'aria-label="Barcode of member number {number}"' in page
    assert 'class="qr"' in page
    assert 'rel="manifest"' in page
    assert response["Cache-Control"] == "private, no-cache"


def test_service_worker_is_served_from_me_and_caches_the_card(client):
    response = client.get(reverse("members:service_worker"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    body = response.content.decode()
    assert f'const CARD_URL = "{reverse("members:card")}"' in body


def test_invite_shows_code_share_link_and_friends_with_their_status(client, alice, program):
    from tests.factories.members import portal_member_create

    friend = portal_member_create(email="fran@example.com", first_name="Fran")
    Member.objects.filter(pk=friend.pk).update(referred_by=alice)

    page = login(client, alice).get(reverse("members:invite")).content.decode()

    assert alice.referral_code in page
    assert f"http://testserver/accounts/signup/?ref={alice.referral_code}" in page
    assert "Fran" in page
    assert "fran@example.com" not in page
    assert "Joined" in page
    assert "you get 300 points and your friend 150" in page


def test_invite_shows_each_friends_real_referral_state(client, alice, program):
    states = [
        (
            "Rita",
            {"status": ReferralStatus.REWARDED, "referrer_points": 300},
            "Rewarded: 300 points",
        ),
        (
            "Cap",
            {"status": ReferralStatus.REWARDED, "reason": ReferralReason.MONTHLY_CAP},
            "this month's limit",
        ),
        (
            "Hugo",
            {"status": ReferralStatus.HELD, "reason": ReferralReason.ADDRESS_BURST},
            "Being checked",
        ),
        (
            "Rémi",
            {"status": ReferralStatus.REJECTED, "reason": ReferralReason.REFUNDED},
            "was returned",
        ),
    ]
    for name, fields, _text in states:
        friend = MemberFactory(email=f"{name.lower()}@example.com", first_name=name)
        Member.objects.filter(pk=friend.pk).update(referred_by=alice)
        rewarded_at = timezone.now() if fields["status"] == ReferralStatus.REWARDED else None
        Referral.objects.create(referrer=alice, referee=friend, rewarded_at=rewarded_at, **fields)

    page = login(client, alice).get(reverse("members:invite")).content.decode()

    for _name, _fields, text in states:
        assert text in page


def test_profile_saves_name_phone_birthday_and_language(client, alice):
    client = login(client, alice)

    response = client.post(
        reverse("members:profile"),
        {
            "first_name": "Alicia",
            "last_name": "Ruiz",
            "phone": "+34 600 123 456",
            "birth_day": "2",
            "birth_month": "12",
            "birth_year": "1990",
            "language": "es",
        },
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    alice.user.refresh_from_db()
    assert (alice.user.first_name, alice.user.last_name) == ("Alicia", "Ruiz")
    assert alice.phone == "+34 600 123 456"
    assert (alice.birth_day, alice.birth_month, alice.birth_year) == (2, 12, 1990)
    assert alice.language == "es"


def test_profile_refuses_a_bad_phone_at_the_field(client, alice):
    response = login(client, alice).post(
        reverse("members:profile"), {"first_name": "Alice", "phone": "call me", "language": "en"}
    )

    assert response.status_code == 200
    assert 'id="id_phone_error"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.phone == ""


def test_profile_refuses_a_birth_year_after_this_year_at_the_field(client, alice):
    next_year = timezone.localdate().year + 1
    response = login(client, alice).post(
        reverse("members:profile"),
        {
            "first_name": "Alice",
            "birth_day": "2",
            "birth_month": "12",
            "birth_year": str(next_year),
            "language": "en",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_birth_year_error"' in page
    assert "A birth year cannot be after this year." in page
    alice.refresh_from_db()
    assert alice.birth_year is None


def test_export_is_a_json_file_of_profile_consents_and_ledger(client, alice):
    response = login(client, alice).get(reverse("members:data_export"))

    assert response["Content-Disposition"].startswith('attachment; filename="tessera-my-data-')
    data = json.loads(response.content)
    assert data["profile"]["email"] == "alice@example.com"
    assert data["profile"]["member_number"] == alice.member_number
    assert {(c["kind"], c["granted"]) for c in data["consents"]} == {
        ("marketing_email", True),
        ("marketing_sms", False),
    }
    assert len(data["ledger"]) == LedgerEntry.objects.filter(member=alice).count()
    assert sum(entry["points"] for entry in data["ledger"]) == sum(
        LedgerEntry.objects.filter(member=alice).values_list("points", flat=True)
    )
    assert {entry["kind"] for entry in data["ledger"]} >= {"earn", "refund", "bonus"}
