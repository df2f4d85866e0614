"""Members with purchases at known moments, for the segment tests: the program of
tests.factories.ledger (Europe/Madrid, 1 point per EUR), points available at once, and "now" a
fixed moment passed to the rules (campaigns.segment_query.Moment)."""

import datetime
import itertools
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.segment_query import Moment
from loyalty.services.purchases import purchase_record, refund_record
from members.models import Member, MemberStatus
from tests.factories.api import ApiKeyFactory
from tests.factories.ledger import MemberFactory, program_version_create

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
# A Monday morning in Madrid, in the past of the real clock (purchases may not be in the future).
NOW = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=MADRID)
_ids = itertools.count(1)


@pytest.fixture
def program(db):
    return program_version_create(pending_days=0, signup_bonus=False)


@pytest.fixture
def moment(program):
    return Moment(now=NOW, zone=MADRID, lowest_tier="bronze")


def days_ago(days: int, *, hour: int = 12, minute: int = 0) -> datetime.datetime:
    day = NOW.date() - datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=MADRID)


def buy(member, at, amount="10.00", *, channel="store", items=None, refund=None):
    purchase, _ = purchase_record(
        member=member,
        external_id=f"seg-{next(_ids)}",
        amount=Decimal(amount),
        currency="EUR",
        purchased_at=at,
        channel=channel,
        items=items or [],
    )
    if refund is not None:
        refund_record(purchase=purchase, external_id=f"r-{purchase.pk}", amount=Decimal(refund))
    return purchase


def member(**fields):
    fields.setdefault("joined_at", days_ago(400))
    return MemberFactory(**fields)


def block(member, staff):
    Member.objects.filter(pk=member.pk).update(
        status=MemberStatus.BLOCKED,
        blocked_reason="fraud",
        blocked_at=timezone.now(),
        blocked_by=staff,
    )


@pytest.fixture
def api_client(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiKeyFactory().raw_key}")
    return client


@pytest.fixture
def client_for():
    def make(key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
        return client

    return make
