import datetime
from decimal import Decimal

from loyalty.models import LoyaltyAccount, TierChange
from loyalty.selectors.ledger import next_tier_for
from loyalty.services.purchases import refund_record
from loyalty.services.tiers import tier_notice_send
from loyalty.tasks import tiers_review
from tests.factories.ledger import MemberFactory
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
    with django_capture_on_commit_callbacks() as callbacks:
        record(member, amount=Decimal("600.00"))

    assert len(callbacks) == 1


def test_upgrade_notice_is_sent_once_in_the_member_language(program, now, mailoutbox):
    member = MemberFactory(language="es")
    record(member, amount=Decimal("1600.00"))
    change = TierChange.objects.get(member=member)

    assert tier_notice_send(tier_change_id=change.pk) is True
    assert tier_notice_send(tier_change_id=change.pk) is False

    assert len(mailoutbox) == 1
    assert "Oro" in mailoutbox[0].subject
    assert mailoutbox[0].to == [member.user.email]
    change.refresh_from_db()
    assert change.notified_at == now


def test_downgrade_waits_for_the_review_date(member, now, time_machine):
    purchase, _ = record(member, amount=Decimal("600.00"))
    refund_record(purchase=purchase, external_id="r", amount=Decimal("600.00"))
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
