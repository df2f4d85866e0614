import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.models import EntryKind, LedgerEntry, LoyaltyAccount, PointsLot, Purchase
from loyalty.services.ledger import MemberNotFound
from loyalty.services.purchases import (
    CurrencyMismatch,
    DuplicateExternalId,
    InvalidPurchase,
    PurchasedAtInFuture,
    purchase_preview,
    purchase_record,
    purchase_status,
)
from tests.factories.ledger import MemberFactory, program_version_create, purchase_body
from tests.ledger.conftest import assert_consistent, balances, record, snapshot

WINE = {"sku": "VINO", "category": "wine", "quantity": 2, "unit_price": "12.50"}


def test_purchase_credits_pending_points_with_breakdown(member, now):
    purchase, created = record(member, amount=Decimal("54.90"), items=[WINE])

    assert created
    assert purchase.points == 56  # floor(54.9 + 2 bottles)
    assert balances(member) | {} == {
        "available": 0,
        "pending": 56,
        "lifetime": 56,
        "debt": 0,
        "tier_code": "bronze",
    }
    entry = LedgerEntry.objects.get(member=member)
    assert entry.kind == EntryKind.EARN
    assert entry.points == 56
    assert entry.purchase == purchase
    assert entry.program_version == purchase.program_version
    assert {"base", "bottle"} <= {part["code"] for part in entry.breakdown}
    assert entry.breakdown[-1]["value"] == "56"
    lot = PointsLot.objects.get(member=member)
    assert lot.available_at == now + datetime.timedelta(days=14)
    assert lot.expires_at == datetime.datetime(2027, 11, 23, 10, 0, tzinfo=datetime.UTC)
    assert purchase_status(purchase) == {"status": "pending", "available_on": lot.available_at}
    assert_consistent(member)


def test_purchase_without_pending_days_is_available_at_once(member, now):
    program_version_create(pending_days=0, signup_bonus=False, created_at=now)

    purchase, _ = record(member, amount=Decimal("20.00"))

    assert balances(member)["available"] == 20
    assert balances(member)["pending"] == 0
    assert purchase_status(purchase)["status"] == "available"


def test_same_external_id_and_body_replays_without_second_credit(member, now):
    body = {"external_id": "store12-000981", "amount": Decimal("54.90"), "items": [WINE]}
    first, _ = record(member, **body)
    before = snapshot(member)

    again, created = record(member, **body, purchased_at=now)

    assert not created
    assert again.pk == first.pk
    assert snapshot(member) == before


def test_replay_recognises_the_same_body_written_differently(member, now):
    first, _ = record(member, external_id="x1", amount=Decimal("54.90"), items=[WINE])
    same = dict(WINE, quantity="2.0", unit_price=Decimal("12.5"))
    offset = datetime.timezone(datetime.timedelta(hours=1))

    again, created = record(
        member,
        external_id="x1",
        amount="54.9",
        items=[same],
        purchased_at=now.astimezone(offset),
    )

    assert (again.pk, created) == (first.pk, False)


def test_same_external_id_with_another_body_is_refused(member, now):
    record(member, external_id="store12-000981", amount=Decimal("54.90"))
    before = snapshot(member)

    with pytest.raises(DuplicateExternalId) as refused:
        record(member, external_id="store12-000981", amount=Decimal("55.90"))

    assert refused.value.code == "duplicate_external_id"
    assert snapshot(member) == before


def test_same_external_id_for_another_member_is_refused(member, other_member, now):
    record(member, external_id="shared")

    with pytest.raises(DuplicateExternalId):
        record(other_member, external_id="shared")

    assert balances(other_member)["pending"] == 0


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"currency": "USD"}, CurrencyMismatch, "currency_mismatch"),
        ({"amount": Decimal("-1.00")}, InvalidPurchase, "invalid"),
        ({"amount": "1.001"}, InvalidPurchase, "invalid"),
        ({"channel": "fax"}, InvalidPurchase, "invalid"),
        ({"items": [{"sku": "X", "quantity": -1, "unit_price": "1"}]}, InvalidPurchase, "invalid"),
    ],
)
def test_invalid_purchase_is_refused_and_writes_nothing(member, now, overrides, error, code):
    with pytest.raises(error) as refused:
        record(member, **overrides)

    assert refused.value.code == code
    assert not Purchase.objects.exists()
    assert snapshot(member) == (balances(member), [], [])


def test_purchase_more_than_five_minutes_ahead_is_refused(member, now):
    record(member, purchased_at=now + datetime.timedelta(minutes=5))

    with pytest.raises(PurchasedAtInFuture):
        record(member, purchased_at=now + datetime.timedelta(minutes=5, seconds=1))

    assert Purchase.objects.count() == 1


def test_purchase_is_scored_with_the_version_in_force_when_it_was_made(member, now):
    newer = program_version_create(
        signup_bonus=False,
        created_at=now - datetime.timedelta(days=1),
        extra_rules="  - {code: double, kind: promo_multiplier, multiplier: '2'}",
    )

    old, _ = record(member, amount=Decimal("10.00"), purchased_at=now - datetime.timedelta(days=2))
    new, _ = record(member, amount=Decimal("10.00"))

    assert (old.points, new.points) == (10, 20)
    assert new.program_version == newer
    assert old.program_version != newer


def test_a_version_published_after_a_purchase_scores_the_next_one(member, now, time_machine):
    # The version in force is cached per process: publishing one must still take effect at once.
    first, _ = record(member, amount=Decimal("10.00"))
    time_machine.shift(datetime.timedelta(seconds=1))
    newer = program_version_create(
        signup_bonus=False,
        created_at=timezone.now(),
        extra_rules="  - {code: double, kind: promo_multiplier, multiplier: '2'}",
    )
    time_machine.shift(datetime.timedelta(seconds=1))

    second, _ = record(member, amount=Decimal("10.00"))

    assert (first.points, second.points) == (10, 20)
    assert first.program_version != newer
    assert second.program_version == newer


def test_purchase_that_crosses_a_threshold_is_scored_at_the_old_tier(member, now):
    first, _ = record(member, amount=Decimal("600.00"))
    second, _ = record(member, amount=Decimal("10.00"))

    assert first.tier_code == "bronze"
    assert first.points == 650  # 600 + 50 threshold bonus, multiplier 1
    assert balances(member)["tier_code"] == "silver"
    assert second.tier_code == "silver"
    assert second.points == 20


def test_preview_answers_the_points_and_writes_nothing(member, now):
    before = snapshot(member)

    preview = purchase_preview(
        member=member,
        amount=Decimal("120.00"),
        currency="EUR",
        purchased_at=now,
        channel="online",
        items=[WINE],
    )

    assert preview.points == 172  # 120 + 2 bottles + 50
    assert preview.breakdown[-1]["value"] == "172"
    assert snapshot(member) == before
    assert not Purchase.objects.exists()


def test_purchase_earning_no_points_records_an_entry_without_a_lot(member, now):
    purchase, _ = record(member, amount=Decimal("0.50"))  # below the 1.00 of the base rule

    assert purchase.points == 0
    assert LedgerEntry.objects.filter(purchase=purchase).count() == 1
    assert not PointsLot.objects.exists()
    assert_consistent(member)


def test_backdated_purchase_past_its_window_is_available(member, now):
    purchase, _ = purchase_record(
        member=member,
        external_id="old",
        amount=Decimal("30.00"),
        currency="EUR",
        purchased_at=now - datetime.timedelta(days=30),
        channel="store",
    )

    assert purchase_status(purchase)["status"] == "available"
    assert balances(member)["available"] == 30


def test_purchase_by_member_number_is_the_purchase_by_member(member, other_member, now):
    record(member, external_id="till-1", amount=Decimal("10.00"))  # both have an account now
    record(other_member, external_id="till-2", amount=Decimal("10.00"))
    body = purchase_body(purchased_at=timezone.now()) | {"amount": Decimal("54.90")}

    by_member, _ = purchase_record(member=member, **body | {"external_id": "till-3"})
    by_number, created = purchase_record(
        member_number=f" {other_member.member_number} ", **body | {"external_id": "till-4"}
    )

    assert created
    assert by_number.member_id == other_member.pk
    assert by_number.member.member_number == other_member.member_number
    assert (by_number.points, by_number.breakdown) == (by_member.points, by_member.breakdown)
    assert by_number.program_version_id == by_member.program_version_id
    assert balances(other_member) == balances(member)
    assert_consistent(other_member)


def test_first_purchase_by_member_number_creates_the_account(program, now):
    member = MemberFactory()
    assert not LoyaltyAccount.objects.filter(member=member).exists()

    purchase, created = purchase_record(
        member_number=member.member_number, **purchase_body(purchased_at=timezone.now())
    )

    assert created
    assert purchase.member_id == member.pk
    assert balances(member)["pending"] == purchase.points > 0
    assert_consistent(member)


def test_unknown_member_number_is_refused_and_writes_nothing(member, now):
    record(member)
    before = (Purchase.objects.count(), LedgerEntry.objects.count())

    with pytest.raises(MemberNotFound):
        purchase_record(member_number="4000000000000", **purchase_body(purchased_at=now))

    assert (Purchase.objects.count(), LedgerEntry.objects.count()) == before


@pytest.mark.parametrize("who", [{}, {"both": True}])
def test_purchase_needs_exactly_one_way_to_name_the_member(member, now, who):
    if who:
        who = {"member": member, "member_number": member.member_number}
    with pytest.raises(TypeError):
        purchase_record(**who, **purchase_body(purchased_at=now))
