"""Proof under concurrency: real threads, each with its own PostgreSQL connection, started together
at a barrier. Only meaningful on PostgreSQL (row locks and unique indexes across connections)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from loyalty.models import EntryKind, LedgerEntry, Purchase, Refund
from loyalty.services.ledger import points_debit
from loyalty.services.purchases import RefundExceedsPurchase, purchase_record, refund_record
from tests.concurrency import run_together
from tests.factories.ledger import MemberFactory, program_version_create
from tests.ledger.conftest import assert_consistent, balances

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's locks (make test)"
    ),
]

THREADS = 20


@pytest.fixture
def member(db):
    program_version_create(signup_bonus=False, pending_days=0)
    return MemberFactory()


def test_simultaneous_posts_of_one_purchase_credit_it_once(member):
    purchased_at = timezone.now()

    results = run_together(
        THREADS,
        lambda _: purchase_record(
            member=member,
            external_id="store12-000981",
            amount=Decimal("54.90"),
            currency="EUR",
            purchased_at=purchased_at,
            channel="store",
        ),
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert sorted(created for _, created in results) == [False] * (THREADS - 1) + [True]
    assert len({purchase.pk for purchase, _ in results}) == 1
    assert Purchase.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN).count() == 1
    assert balances(member)["available"] == 54
    assert_consistent(member)


def test_simultaneous_distinct_purchases_all_count(member):
    purchased_at = timezone.now()

    results = run_together(
        THREADS,
        lambda i: purchase_record(
            member=member,
            external_id=f"p-{i}",
            amount=Decimal("10.00"),
            currency="EUR",
            purchased_at=purchased_at,
            channel="app",
        ),
    )

    assert [created for _, created in results] == [True] * THREADS
    assert balances(member)["available"] == 10 * THREADS
    assert_consistent(member)


def test_simultaneous_refunds_never_take_back_more_than_earned(member):
    purchase, _ = purchase_record(
        member=member,
        external_id="big",
        amount=Decimal("100.00"),
        currency="EUR",
        purchased_at=timezone.now(),
        channel="store",
    )
    assert purchase.points == 150
    points_debit(member=member, points=120, kind=EntryKind.REDEEM, reason="reward")

    results = run_together(
        THREADS,
        lambda i: refund_record(purchase=purchase, external_id=f"r-{i}", amount=Decimal("20.00")),
    )

    refunds = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, RefundExceedsPurchase)]
    assert len(refunds) == 5
    assert len(refused) == THREADS - 5
    assert sum(refund.points_taken for refund in refunds) == 150
    purchase.refresh_from_db()
    assert (purchase.points, purchase.refunded_amount) == (0, Decimal("100.00"))
    assert balances(member) | {"tier_code": None} == {
        "available": 0,
        "pending": 0,
        "lifetime": 0,
        "debt": 120,
        "tier_code": None,
    }
    assert_consistent(member)


def test_simultaneous_repeats_of_one_refund_take_points_once(member):
    purchase, _ = purchase_record(
        member=member,
        external_id="p",
        amount=Decimal("80.00"),
        currency="EUR",
        purchased_at=timezone.now(),
        channel="store",
    )

    results = run_together(
        THREADS,
        lambda _: refund_record(purchase=purchase, external_id="r", amount=Decimal("30.00")),
    )

    assert {result.pk for result in results} == {Refund.objects.get().pk}
    assert balances(member)["available"] == 50
    assert_consistent(member)


def test_simultaneous_redemptions_never_overspend(member):
    purchase_record(
        member=member,
        external_id="p",
        amount=Decimal("50.00"),
        currency="EUR",
        purchased_at=timezone.now(),
        channel="store",
    )

    results = run_together(
        THREADS,
        lambda _: points_debit(member=member, points=7, kind=EntryKind.REDEEM, reason="reward"),
    )

    spent = [r for r in results if isinstance(r, LedgerEntry)]
    assert len(spent) == 7
    assert balances(member)["available"] == 1
    assert_consistent(member)
