"""Referrals: both rewarded when the friend's first purchase becomes available, both told, once;
each check alone (self-referral by email, phone; bursts from one address; the monthly cap; a
refunded first purchase, before and after the reward)."""

import datetime
from decimal import Decimal

import pytest

from campaigns.models import Delivery, Referral, ReferralReason, ReferralStatus
from campaigns.services.automations import automation_update
from campaigns.services.referrals import (
    ReferralNotHeld,
    email_identity,
    phone_identity,
    referral_reject,
    referral_release,
)
from campaigns.services.sending import deliveries_send
from loyalty.models import LedgerEntry, LoyaltyAccount
from loyalty.services.purchases import purchase_record, refund_record
from loyalty.tasks import lots_mature
from members.models import Member
from members.services import signup_address_hash
from tests.campaigns.automations.conftest import consumer_run
from tests.factories.ledger import MemberFactory

NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)
RETURN_WINDOW = datetime.timedelta(days=14, minutes=1)  # the example program's pending_days


@pytest.fixture
def now(program, time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def ana(now):
    return MemberFactory(email="ana@example.es", first_name="Ana", language="es", phone="612345678")


def friend(referrer, email, *, phone="", address="", joined_at=None, **fields):
    member = MemberFactory(email=email, referral_code=referrer.referral_code, phone=phone, **fields)
    if address or joined_at:
        Member.objects.filter(pk=member.pk).update(
            signup_address=signup_address_hash(address) if address else "",
            **({"joined_at": joined_at} if joined_at else {}),
        )
    consumer_run("referral_open")
    return Member.objects.get(pk=member.pk)


counter = iter(range(10_000))


def buy(member, amount="40.00", at=None):
    purchase, _created = purchase_record(
        member=member,
        external_id=f"ref-{next(counter)}",
        amount=Decimal(amount),
        currency="EUR",
        purchased_at=at or datetime.datetime.now(datetime.UTC),
        channel="store",
    )
    return purchase


def mature(time_machine, after=RETURN_WINDOW):
    time_machine.shift(after)
    lots_mature()
    consumer_run("referral_reward")


def referral_points(member) -> int:
    return sum(
        LedgerEntry.objects.filter(member=member, bonus_key__startswith="referral:").values_list(
            "points", flat=True
        )
    )


def status(member) -> tuple[str, str]:
    referral = Referral.objects.get(referee=member)
    return referral.status, referral.reason


@pytest.mark.django_db
def test_both_are_rewarded_and_told_when_the_first_purchase_becomes_available(
    ana, time_machine, smtp_outbox
):
    luc = friend(ana, "luc@example.fr", first_name="Luc", language="fr")
    assert status(luc) == (ReferralStatus.PENDING, "")
    buy(luc)
    consumer_run("referral_reward")
    assert referral_points(ana) == 0  # still inside the return window

    mature(time_machine)
    assert status(luc) == (ReferralStatus.REWARDED, "")
    assert referral_points(ana) == 300
    assert referral_points(luc) == 150
    consumer_run("referral_reward")  # handed over again, run again: nothing more
    assert referral_points(ana) == 300

    consumer_run("welcome")
    Delivery.objects.filter(automation="welcome").delete()
    assert deliveries_send().sent == 2
    mails = {mail.recipients[0]: mail for mail in smtp_outbox.mails}
    to_ana, to_luc = mails["ana@example.es"].text, mails["luc@example.fr"].text
    assert "Luc" in to_ana
    assert "300" in to_ana
    assert "Ana" in to_luc
    assert "150" in to_luc
    assert "invitation" in to_luc  # in French
    assert deliveries_send().sent == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "phone"),
    [
        ("a.n.a+friend@example.es", ""),  # the same mailbox, dots and a +tag added
        ("ANA+2@Example.ES", ""),
        ("someone@example.com", "+34 612 34 56 78"),  # the same phone, written otherwise
    ],
)
def test_a_self_referral_is_rejected_with_its_reason(ana, time_machine, email, phone):
    again = friend(ana, email, phone=phone)
    assert status(again) == (ReferralStatus.REJECTED, ReferralReason.SELF_REFERRAL)
    buy(again)
    mature(time_machine)
    assert referral_points(ana) == 0
    assert referral_points(again) == 0


def test_identities_normalise_email_and_phone():
    assert email_identity("J.Doe+shop@GoogleMail.com") == "jdoe@gmail.com"
    assert phone_identity("0033 6 12 34 56 78") == phone_identity("06 12 34 56 78") == "612345678"
    assert phone_identity("1234") == ""


@pytest.mark.django_db
def test_more_than_five_signups_from_one_address_in_a_day_are_held(ana, now, time_machine):
    first_five = [
        friend(
            ana,
            f"f{n}@example.com",
            address="203.0.113.7",
            joined_at=now + n * datetime.timedelta(hours=1),
        )
        for n in range(5)
    ]
    assert {status(member)[0] for member in first_five} == {ReferralStatus.PENDING}
    elsewhere = friend(ana, "other@example.com", address="198.51.100.1")
    sixth = friend(
        ana, "f5@example.com", address="203.0.113.7", joined_at=now + datetime.timedelta(hours=6)
    )
    for member in [*first_five, sixth]:
        assert status(member) == (ReferralStatus.HELD, ReferralReason.ADDRESS_BURST)
    assert status(elsewhere) == (ReferralStatus.PENDING, "")
    # Two days later the same address is a new day.
    later = friend(
        ana, "g@example.com", address="203.0.113.7", joined_at=now + datetime.timedelta(days=3)
    )
    assert status(later) == (ReferralStatus.PENDING, "")

    buy(sixth)
    mature(time_machine)
    assert referral_points(sixth) == 0  # held: not rewarded on its own

    manager = MemberFactory(email="boss@example.com").user
    referral_release(referral=Referral.objects.get(referee=sixth), actor=manager)
    assert status(sixth) == (ReferralStatus.REWARDED, "")
    assert referral_points(sixth) == 150
    referral_reject(referral=Referral.objects.get(referee=first_five[0]), actor=manager)
    assert status(first_five[0]) == (ReferralStatus.REJECTED, ReferralReason.STAFF)
    with pytest.raises(ReferralNotHeld):
        referral_reject(referral=Referral.objects.get(referee=first_five[0]), actor=manager)


@pytest.mark.django_db
def test_past_the_monthly_cap_only_the_friend_is_rewarded(ana, time_machine):
    friends = [friend(ana, f"cap{n}@example.com") for n in range(6)]
    for member in friends:
        buy(member)
    mature(time_machine)
    assert referral_points(ana) == 5 * 300  # the example program's cap is 5 a month
    assert all(referral_points(member) == 150 for member in friends)
    capped = [
        m for m in friends if status(m) == (ReferralStatus.REWARDED, ReferralReason.MONTHLY_CAP)
    ]
    assert len(capped) == 1
    assert not Delivery.objects.filter(
        automation="referral", member=ana, occasion=str(capped[0].pk)
    ).exists()  # the referrer is not told of points they did not get

    # Next month the cap starts again.
    late = friend(ana, "nextmonth@example.com")
    buy(late)
    mature(time_machine, after=datetime.timedelta(days=31))
    assert referral_points(ana) == 6 * 300


@pytest.mark.django_db
def test_a_first_purchase_fully_refunded_before_it_counts_rewards_nobody(ana, time_machine):
    luc = friend(ana, "luc@example.fr")
    purchase = buy(luc)
    refund_record(purchase=purchase, external_id="r-1", amount=purchase.amount)
    consumer_run("referral_refund")
    assert status(luc) == (ReferralStatus.REJECTED, ReferralReason.REFUNDED)
    buy(luc)  # a second purchase is not a first one
    mature(time_machine)
    assert referral_points(ana) == referral_points(luc) == 0


@pytest.mark.django_db
def test_a_partial_refund_still_rewards(ana, time_machine):
    luc = friend(ana, "luc@example.fr")
    purchase = buy(luc)
    refund_record(purchase=purchase, external_id="r-1", amount=Decimal("10.00"))
    consumer_run("referral_refund")
    mature(time_machine)
    assert status(luc) == (ReferralStatus.REWARDED, "")


@pytest.mark.django_db
def test_a_refund_after_the_reward_takes_both_bonuses_back(ana, time_machine):
    luc = friend(ana, "luc@example.fr")
    purchase = buy(luc)
    mature(time_machine)
    assert referral_points(ana) == 300
    refund_record(purchase=purchase, external_id="r-1", amount=purchase.amount)
    consumer_run("referral_refund")
    consumer_run("referral_refund")
    assert status(luc) == (ReferralStatus.REJECTED, ReferralReason.TAKEN_BACK)
    assert referral_points(ana) == 0  # +300, then -300, once
    assert referral_points(luc) == 0
    assert LoyaltyAccount.objects.get(member=ana).available == 100  # the sign-up bonus left


@pytest.mark.django_db
def test_with_the_automation_off_the_points_come_untold(ana, time_machine):
    automation_update(code="referral", enabled=False)
    luc = friend(ana, "luc@example.fr")
    buy(luc)
    mature(time_machine)
    assert referral_points(ana) == 300
    assert not Delivery.objects.filter(automation="referral").exists()


@pytest.mark.django_db
def test_a_first_purchase_recorded_after_its_return_window_counts_at_once(ana, now):
    luc = friend(ana, "luc@example.fr")
    buy(luc, at=now - datetime.timedelta(days=20))  # already past the 14-day window
    consumer_run("referral_purchase")
    assert status(luc) == (ReferralStatus.REWARDED, "")
    assert referral_points(ana) == 300
