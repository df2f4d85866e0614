"""The member portal's fixtures: a published program (sign-up and referral bonuses), Alice with
purchases and a refund, Bob another member; staff without a membership is `staff_user`."""

import datetime
import random
from decimal import Decimal

import pytest

from loyalty.models import EntryKind, LedgerEntry
from loyalty.services.ledger import lots_mature
from loyalty.services.purchases import purchase_record, refund_record
from tests.factories.ledger import program_version_create, purchase_body
from tests.factories.members import portal_member_create

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)
REFERRAL_RULE = (
    "  - {code: referral, kind: event_bonus, event: referral, points: 300, referee_points: 150}"
)
WINE = {"sku": "VINO-TINTO-75", "category": "wine", "quantity": 2, "unit_price": "12.50"}


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def program(db):
    # Dated before NOW so every purchase below is scored with it.
    return program_version_create(
        created_at=NOW - datetime.timedelta(days=800), extra_rules=REFERRAL_RULE
    )


@pytest.fixture
def alice(program, now):
    member = portal_member_create(email="alice@example.com", first_name="Alice")
    purchase, _created = purchase_record(
        member=member,
        **purchase_body(
            external_id="alice-big-basket",
            amount=Decimal("125.00"),
            items=[WINE],
            purchased_at=NOW - datetime.timedelta(days=40),
        ),
    )
    refund_record(
        purchase=purchase,
        external_id="alice-return-1",
        amount=Decimal("12.50"),
        items=[{**WINE, "quantity": 1}],
    )
    purchase_record(
        member=member,
        **purchase_body(external_id="alice-recent", purchased_at=NOW - datetime.timedelta(days=2)),
    )
    lots_mature(member=member, at=NOW)
    return member


@pytest.fixture
def bob(program, now):
    return portal_member_create(email="bob@example.com", first_name="Bob", language="es")


def add_history(member, count: int) -> None:
    """`count` more ledger entries (inserted directly: the portal reads them, it does not score
    them), spread over the past year, so page costs can be measured against a long history."""
    rng = random.Random(count)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            member=member,
            kind=EntryKind.ADJUST,
            points=rng.randint(1, 50),
            reason=f"history {n}",
            occurred_at=NOW - datetime.timedelta(days=rng.randint(3, 360)),
            created_at=NOW,
        )
        for n in range(count)
    )


def login(client, member):
    client.force_login(member.user)
    return client
