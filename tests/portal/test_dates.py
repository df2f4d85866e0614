"""Movements show when what they record happened, on the program's wall clock (Europe/Madrid in
these tests), not when the row was written and not in UTC."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from loyalty.models import LedgerEntry
from loyalty.services.purchases import purchase_record
from tests.factories.ledger import purchase_body
from tests.portal.conftest import NOW, login

pytestmark = pytest.mark.django_db

# 23:30 UTC on the 20th is half past midnight on the 21st in Madrid (CET, UTC+1).
LATE_EVENING = datetime.datetime(2026, 11, 20, 23, 30, tzinfo=datetime.UTC)


@pytest.fixture
def bob_with_a_late_purchase(bob):
    purchase_record(member=bob, **purchase_body(external_id="bob-late", purchased_at=LATE_EVENING))
    return bob


def test_activity_shows_the_purchase_date_in_the_program_time_zone(
    client, bob_with_a_late_purchase
):
    client = login(client, bob_with_a_late_purchase)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"  # Bob reads Spanish

    html = client.get(reverse("members:activity")).content.decode()

    # Not the 20th (UTC), nor the 23rd (when it was written, NOW).
    assert 'datetime="2026-11-21T00:30:00+01:00">21 de noviembre de 2026</time>' in html


def test_entry_detail_shows_the_local_wall_clock_time(client, bob_with_a_late_purchase):
    entry = LedgerEntry.objects.get(member=bob_with_a_late_purchase, purchase__isnull=False)
    client = login(client, bob_with_a_late_purchase)

    html = client.get(reverse("members:entry", args=[entry.pk])).content.decode()

    assert "00:30" in html
    assert "23:30" not in html


def test_the_earn_entry_occurred_when_the_purchase_was_made(bob_with_a_late_purchase):
    entry = LedgerEntry.objects.get(member=bob_with_a_late_purchase, purchase__isnull=False)

    assert entry.occurred_at == LATE_EVENING
    assert entry.created_at == NOW


def test_activity_lists_movements_by_when_they_happened(client, bob_with_a_late_purchase):
    # Written later, happened earlier: it goes below the late purchase.
    purchase_record(
        member=bob_with_a_late_purchase,
        **purchase_body(
            external_id="bob-older", purchased_at=LATE_EVENING - datetime.timedelta(days=9)
        ),
    )
    entries = list(
        LedgerEntry.objects.filter(member=bob_with_a_late_purchase, purchase__isnull=False)
    )

    assert [entry.purchase.external_id for entry in entries] == ["bob-late", "bob-older"]


def test_the_ledger_export_dates_movements_on_the_program_clock(bob_with_a_late_purchase):
    import csv

    from loyalty.exports import ledger_csv

    rows = list(csv.DictReader(ledger_csv()))
    (earn,) = [row for row in rows if row["kind"] == "earn"]

    assert earn["occurred_at"] == "2026-11-21T00:30:00+01:00"
    assert earn["created_at"] == "2026-11-23T11:00:00+01:00"  # NOW, written later


def test_a_cancelled_voucher_is_one_movement_naming_it_in_spanish(client, bob):
    from loyalty.services.ledger import points_adjust
    from rewards.services.redemption import redemption_cancel, reward_redeem
    from tests.factories.rewards import RewardFactory

    reward = RewardFactory(code="coffee", name_es="Café gratis", name_en="Free coffee")
    points_adjust(member=bob, points=100, reason="gift", actor=None)
    redemption = reward_redeem(member=bob, reward=reward)
    redemption_cancel(redemption=redemption)
    client = login(client, bob)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    html = client.get(reverse("members:activity")).content.decode()

    assert html.count("Café gratis") == 2  # spent on it, then its voucher cancelled
    assert "Vale cancelado: Café gratis" in html
    assert "Corrección" not in html
    cancellation = LedgerEntry.objects.get(member=bob, kind="reversal")
    detail = client.get(reverse("members:entry", args=[cancellation.pk])).content.decode()
    assert redemption.voucher.code in detail
