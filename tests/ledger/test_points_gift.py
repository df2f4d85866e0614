"""points_gift: the shop's bonus points outside the program's rules (a campaign's offer), once
per member and key, nothing for a blocked member, available at once and expiring like any."""

import pytest

from loyalty.models import EntryKind, LedgerEntry, PointsLot
from loyalty.services.ledger import points_gift
from members.models import Member, MemberStatus
from tests.factories.ledger import MemberFactory
from tests.ledger.conftest import assert_consistent, balances

GIFT = {"bonus_key": "campaign:winter", "event": "campaign", "source_type": "campaign"}


def test_a_gift_is_given_once_per_key_available_at_once_and_expiring(member, now):
    entry = points_gift(member=member, points=50, source_id="winter", **GIFT)
    again = points_gift(member=member, points=50, source_id="winter", **GIFT)

    assert again is None
    assert (entry.kind, entry.points, entry.program_version_id is not None) == (
        EntryKind.BONUS,
        50,
        True,
    )
    lot = PointsLot.objects.get(entry=entry)
    assert lot.available_at <= now
    assert lot.expires_at is not None  # the program's expiry
    assert balances(member)["available"] == 50
    assert_consistent(member)


@pytest.mark.parametrize("has_account", [False, True])
def test_a_blocked_member_gets_no_gift(member, now, staff_user, has_account):
    if has_account:  # the one-statement lock; without an account, the long way
        points_gift(member=member, points=5, source_id="autumn", **GIFT | {"bonus_key": "a"})
    Member.objects.filter(pk=member.pk).update(
        status=MemberStatus.BLOCKED, blocked_reason="fraud", blocked_at=now, blocked_by=staff_user
    )

    assert points_gift(member=member, points=50, source_id="winter", **GIFT) is None
    assert not LedgerEntry.objects.filter(member=member, bonus_key=GIFT["bonus_key"]).exists()


@pytest.mark.django_db
def test_a_gift_before_any_program_is_published_never_expires(now):
    member = MemberFactory()

    entry = points_gift(member=member, points=50, source_id="winter", **GIFT)

    assert entry.program_version_id is None
    assert PointsLot.objects.get(entry=entry).expires_at is None
    assert balances(member)["available"] == 50
