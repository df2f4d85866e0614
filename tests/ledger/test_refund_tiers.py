"""Refunds take back a tier reached in the current review period (API.md, Purchases and refunds).

The ledger program: silver from 500 spent, gold from 1500, a 12-month window; a review a year
after reaching a tier."""

import datetime
from decimal import Decimal

from loyalty.models import LoyaltyAccount, TierChange
from loyalty.services.purchases import refund_record
from loyalty.tasks import tiers_review
from tests.campaigns.delivery.notices import tier_notices_send
from tests.ledger.conftest import assert_consistent, balances, record


def history(member) -> list[tuple[str, str, str]]:
    """(from, to, reason), oldest first."""
    return list(
        TierChange.objects.filter(member=member)
        .order_by("at", "pk")
        .values_list("from_code", "to_code", "reason")
    )


def account(member) -> LoyaltyAccount:
    return LoyaltyAccount.objects.get(member=member)


def test_refund_takes_back_the_tier_its_purchase_reached(member, now):
    purchase, _ = record(member, amount=Decimal("600.00"))
    assert balances(member)["tier_code"] == "silver"

    refund_record(purchase=purchase, external_id="r1", amount=Decimal("600.00"))

    assert balances(member)["tier_code"] == "bronze"
    assert history(member) == [("bronze", "silver", "upgrade"), ("silver", "bronze", "refund")]
    withdrawal = TierChange.objects.get(member=member, reason="refund")
    assert withdrawal.at == now
    assert withdrawal.qualifying_total == Decimal("0.00")
    assert account(member).tier_review_on is None
    assert_consistent(member)


def test_partial_refund_keeps_a_tier_the_total_still_reaches(member, now):
    purchase, _ = record(member, amount=Decimal("600.00"))

    refund_record(purchase=purchase, external_id="r1", amount=Decimal("100.00"))

    assert balances(member)["tier_code"] == "silver"
    assert history(member) == [("bronze", "silver", "upgrade")]
    assert account(member).tier_review_on == datetime.date(2027, 11, 23)


def test_refund_goes_down_only_to_the_tier_the_total_still_reaches(member, now, time_machine):
    record(member, amount=Decimal("400.00"))
    time_machine.move_to(now + datetime.timedelta(days=10), tick=False)
    big, _ = record(member, amount=Decimal("1200.00"))  # 1600: bronze straight to gold
    assert balances(member)["tier_code"] == "gold"
    time_machine.move_to(now + datetime.timedelta(days=20), tick=False)

    refund_record(purchase=big, external_id="r1", amount=Decimal("1000.00"))  # 600 left

    assert balances(member)["tier_code"] == "silver"
    assert history(member)[-1] == ("gold", "silver", "refund")
    held = account(member)
    # Silver is held since the upgrade that passed it, and reviewed a year after it.
    assert held.tier_since == now + datetime.timedelta(days=10)
    assert held.tier_review_on == datetime.date(2027, 12, 3)


def test_refund_never_goes_below_the_tier_held_before_the_upgrade(member, now, time_machine):
    first, _ = record(member, amount=Decimal("600.00"))  # silver, reviewed on 2027-11-23
    time_machine.move_to(now + datetime.timedelta(days=300), tick=False)
    second, _ = record(member, amount=Decimal("550.00"))
    time_machine.move_to(now + datetime.timedelta(days=365), tick=False)
    assert tiers_review() == 0  # silver kept for another year: a new review period
    time_machine.move_to(now + datetime.timedelta(days=400), tick=False)
    third, _ = record(member, amount=Decimal("1000.00"))  # 1550 in the window: gold
    assert balances(member)["tier_code"] == "gold"

    refund_record(purchase=third, external_id="r3", amount=Decimal("1000.00"))
    refund_record(purchase=second, external_id="r2", amount=Decimal("550.00"))

    # The window now holds nothing, but silver was kept at a review before gold was reached:
    # only gold is taken back, and silver keeps its review date.
    assert balances(member)["tier_code"] == "silver"
    assert history(member) == [
        ("bronze", "silver", "upgrade"),
        ("silver", "gold", "upgrade"),
        ("gold", "silver", "refund"),
    ]
    assert account(member).tier_review_on == datetime.date(2028, 11, 23)
    assert first.pk  # the first purchase is left alone


def test_refunds_take_back_every_upgrade_of_the_period(member, now, time_machine):
    silver, _ = record(member, amount=Decimal("600.00"))
    time_machine.move_to(now + datetime.timedelta(days=30), tick=False)
    gold, _ = record(member, amount=Decimal("1000.00"))
    assert balances(member)["tier_code"] == "gold"

    refund_record(purchase=gold, external_id="r1", amount=Decimal("1000.00"))
    assert balances(member)["tier_code"] == "silver"
    assert account(member).tier_since == now
    assert account(member).tier_review_on == datetime.date(2027, 11, 23)

    refund_record(purchase=silver, external_id="r2", amount=Decimal("600.00"))

    assert balances(member)["tier_code"] == "bronze"
    assert history(member) == [
        ("bronze", "silver", "upgrade"),
        ("silver", "gold", "upgrade"),
        ("gold", "silver", "refund"),
        ("silver", "bronze", "refund"),
    ]
    assert account(member).tier_review_on is None


def test_refund_does_not_downgrade_for_spend_that_left_the_window(member, now, time_machine):
    record(member, amount=Decimal("600.00"))  # silver
    time_machine.move_to(now + datetime.timedelta(days=100), tick=False)
    small, _ = record(member, amount=Decimal("50.00"))

    refund_record(purchase=small, external_id="r1", amount=Decimal("50.00"))

    assert balances(member)["tier_code"] == "silver"
    assert history(member) == [("bronze", "silver", "upgrade")]


def test_a_tier_set_by_staff_is_not_taken_back_by_a_refund(member, now, time_machine):
    purchase, _ = record(member, amount=Decimal("600.00"))
    held = account(member)
    TierChange.objects.create(
        member=member, from_code="silver", to_code="gold", reason="staff", at=now
    )
    held.tier_code, held.tier_since = "gold", now
    held.save()
    time_machine.move_to(now + datetime.timedelta(days=1), tick=False)

    refund_record(purchase=purchase, external_id="r1", amount=Decimal("600.00"))

    assert balances(member)["tier_code"] == "gold"


def test_reaching_a_withdrawn_tier_again_sends_no_second_notice(member, now, mailoutbox):
    purchase, _ = record(member, amount=Decimal("600.00"))
    first = TierChange.objects.get(member=member, reason="upgrade")
    assert tier_notices_send() == 1
    refund_record(purchase=purchase, external_id="r1", amount=Decimal("600.00"))

    record(member, amount=Decimal("600.00"))  # the exchange: the same spend again

    again = TierChange.objects.filter(member=member, reason="upgrade").latest("pk")
    assert again.pk != first.pk
    assert balances(member)["tier_code"] == "silver"
    assert tier_notices_send() == 0
    assert len(mailoutbox) == 1
    again.refresh_from_db()
    first.refresh_from_db()
    assert again.notified_at == first.notified_at is not None


def test_a_tier_never_told_is_told_when_reached_again(member, now, mailoutbox):
    purchase, _ = record(member, amount=Decimal("600.00"))
    refund_record(purchase=purchase, external_id="r1", amount=Decimal("600.00"))  # before the mail

    record(member, amount=Decimal("600.00"))

    again = TierChange.objects.filter(member=member, reason="upgrade").latest("pk")
    assert tier_notices_send() == 1
    assert len(mailoutbox) == 1
    assert TierChange.objects.get(pk=again.pk).notified_at is not None
