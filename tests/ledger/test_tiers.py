import datetime
from decimal import Decimal

from django.db import connection

from loyalty.models import LoyaltyAccount, TierChange
from loyalty.selectors.ledger import next_tier_for
from loyalty.selectors.program import program_version_at
from loyalty.selectors.tiers import qualifying_total
from loyalty.services.purchases import refund_record
from loyalty.tasks import tiers_review
from tests.campaigns.delivery.notices import tier_notices_send
from tests.factories.ledger import MemberFactory, program_version_create
from tests.ledger.conftest import balances, record


def test_upgrade_is_immediate_and_recorded_with_a_review_date(member, now):
    record(member, amount=Decimal("499.99"))
    assert balances(member)["tier_code"] == "bronze"

    record(member, amount=Decimal("0.01"))

    change = TierChange.objects.get(member=member)
    assert (change.from_code, change.to_code, change.reason) == ("bronze", "silver", "upgrade")
    account = LoyaltyAccount.objects.get(member=member)
    assert account.tier_code == "silver"
    assert account.tier_review_on == datetime.date(2027, 11, 23)


def test_upgrade_queues_its_notice_after_commit(member, now, django_capture_on_commit_callbacks):
    # The member's enrolment asked for a dispatch already (its welcome), and a transaction asks
    # once: forget that one to see the purchase's own.
    connection.run_on_commit.clear()
    with django_capture_on_commit_callbacks() as callbacks:
        record(member, amount=Decimal("600.00"))

    assert len(callbacks) == 1


def test_upgrade_notice_is_sent_once_in_the_member_language(program, now, mailoutbox):
    member = MemberFactory(language="es")
    record(member, amount=Decimal("1600.00"))
    change = TierChange.objects.get(member=member)

    assert tier_notices_send() == 1
    assert tier_notices_send() == 0

    assert len(mailoutbox) == 1
    assert "Oro" in mailoutbox[0].subject
    assert mailoutbox[0].to == [member.user.email]
    change.refresh_from_db()
    assert change.notified_at == now


def test_downgrade_waits_for_the_review_date(member, now, time_machine):
    # The purchase leaves the 12-month window at the review date: no spend, but the tier
    # is kept until then.
    record(member, amount=Decimal("600.00"))
    time_machine.move_to(now + datetime.timedelta(days=200), tick=False)
    assert tiers_review() == 0
    assert balances(member)["tier_code"] == "silver"
    time_machine.move_to(now + datetime.timedelta(days=364), tick=False)
    assert tiers_review() == 0
    assert balances(member)["tier_code"] == "silver"

    time_machine.move_to(now + datetime.timedelta(days=365), tick=False)
    assert tiers_review() == 1
    assert tiers_review() == 0

    assert balances(member)["tier_code"] == "bronze"
    assert LoyaltyAccount.objects.get(member=member).tier_review_on is None
    assert list(TierChange.objects.values_list("to_code", "reason")) == [
        ("bronze", "review"),
        ("silver", "upgrade"),
    ]


def test_review_keeps_a_tier_still_earned_for_another_year(member, now, time_machine):
    record(member, amount=Decimal("600.00"))
    time_machine.move_to(now + datetime.timedelta(days=300), tick=False)
    record(member, amount=Decimal("550.00"))

    time_machine.move_to(now + datetime.timedelta(days=365), tick=False)
    assert tiers_review() == 0

    account = LoyaltyAccount.objects.get(member=member)
    assert account.tier_code == "silver"
    assert account.tier_review_on == datetime.date(2028, 11, 23)


def test_next_tier_says_how_much_is_left(member, now):
    record(member, amount=Decimal("320.00"))

    upcoming = next_tier_for(member=member)

    assert (upcoming.code, upcoming.remaining) == ("silver", Decimal("180.00"))
    assert upcoming.localized_name("es") == "Plata"


def test_next_tier_is_none_at_the_top(member, now):
    record(member, amount=Decimal("2000.00"))

    assert next_tier_for(member=member) is None


def test_points_metric_counts_purchase_points_net_of_refunds(member, now):
    # 300.00 earns 350 (1 a euro + 50 from 100.00); 120.00 earns 170: 520 points, 420 spent.
    program_version_create(
        metric="points", signup_bonus=False, created_at=now - datetime.timedelta(days=1)
    )
    first, _ = record(member, amount=Decimal("300.00"))
    assert balances(member)["tier_code"] == "bronze"

    record(member, amount=Decimal("120.00"))

    change = TierChange.objects.get(member=member)
    assert (change.to_code, change.qualifying_total) == ("silver", Decimal("520"))
    # The refund takes 50 back (300.00 - 250.00 = 50.00 left: 50 points, no bonus): 220 now.
    refund_record(purchase=first, external_id="r-1", amount=Decimal("250.00"))
    assert qualifying_total(
        member=member, program=program_version_at(at=now).definition, at=now
    ) == Decimal("220")


def test_spend_metric_counts_amounts_net_of_refunds(member, now):
    first, _ = record(member, amount=Decimal("300.00"))
    record(member, amount=Decimal("120.55"))
    refund_record(purchase=first, external_id="r-1", amount=Decimal("0.25"))

    total = qualifying_total(member=member, program=program_version_at(at=now).definition, at=now)

    assert total == Decimal("420.30")
