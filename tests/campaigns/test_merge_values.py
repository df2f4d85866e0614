"""The merge fields' values of a batch equal what the member's own pages show (the per-member
selectors), in the member's language, from a fixed number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.utils import formats, timezone, translation

from campaigns.merge_values import merge_values_for
from config.languages import localized
from loyalty.explanations import points_text
from loyalty.money import money_text
from loyalty.selectors.ledger import account_for_member, expiring_soon, next_tier_for
from loyalty.services.purchases import purchase_record
from tests.factories.ledger import (
    INACTIVITY,
    ROLLING,
    MemberFactory,
    program_version_create,
    purchase_body,
)

pytestmark = pytest.mark.django_db


def _buy(member, amount, days_ago):
    at = timezone.now() - datetime.timedelta(days=days_ago)
    body = purchase_body(amount=Decimal(amount), purchased_at=at)
    purchase_record(member=member, **body)


def _members():
    ana = MemberFactory(first_name="Ana", language="es")
    luc = MemberFactory(first_name="Lucie", language="fr")
    ben = MemberFactory(first_name="Ben", language="en")
    _buy(ana, "300.00", days_ago=400)  # outside the window now: only 620 counts toward gold
    _buy(ana, "620.00", days_ago=340)  # its points expire within warn_days (rolling, 12 months)
    _buy(luc, "80.00", days_ago=20)
    return [ana, luc, ben]


def _expected(member) -> dict:
    with translation.override(member.language):
        account = account_for_member(member=member)
        following = next_tier_for(member=member)
        soon = expiring_soon(member=member)
        return {
            "first_name": member.user.first_name,
            "points": points_text(account.available),
            "pending_points": points_text(account.pending),
            "next_tier": localized(following.name, member.language) if following else "",
            "amount_to_next_tier": money_text(following.remaining, "EUR") if following else "",
            "expiring_points": points_text(soon[0]["points"] if soon else 0),
            "expiring_on": formats.date_format(soon[0]["on"]) if soon else "",
        }


@pytest.mark.parametrize("expiry", [ROLLING, INACTIVITY])
def test_values_equal_the_members_own_pages(expiry, django_assert_max_num_queries):
    program_version_create(expiry=expiry)
    members = _members()
    with django_assert_max_num_queries(8):
        values = merge_values_for(members=members, at=timezone.now())
    for member in members:
        got = values[member.pk]
        for name, expected in _expected(member).items():
            assert got[name] == expected, (member.user.first_name, name)
    assert values[members[0].pk]["tier"] == "Plata"  # 620 spent in the window: silver, in Spanish
    assert values[members[1].pk]["tier"] == "Bronze"  # Lucie (fr): the program names it so
    assert values[members[2].pk]["points"] == points_text(100)  # Ben's sign-up bonus
    assert values[members[0].pk]["portal_url"].startswith("http")


def test_some_member_has_points_expiring_so_the_comparison_means_something():
    program_version_create(expiry=ROLLING)
    ana, *_rest = _members()
    values = merge_values_for(members=[ana], at=timezone.now())[ana.pk]
    assert values["expiring_on"]
    assert values["expiring_points"] != "0"
    with translation.override("es"):
        assert values["amount_to_next_tier"].endswith("\N{NO-BREAK SPACE}€")


def test_the_query_count_does_not_grow_with_the_batch(django_assert_max_num_queries):
    program_version_create(expiry=INACTIVITY)
    members = [MemberFactory() for _ in range(30)]
    with django_assert_max_num_queries(8):
        merge_values_for(members=members, at=timezone.now())


def test_extra_values_and_the_unsubscribe_link_are_the_callers():
    program_version_create()
    ben = MemberFactory(first_name="Ben")
    values = merge_values_for(
        members=[ben],
        at=timezone.now(),
        unsubscribe_url=lambda member: f"https://u.example/{member.pk}",
        extra={ben.pk: {"voucher_code": "ABC-123"}},
    )[ben.pk]
    assert values["voucher_code"] == "ABC-123"
    assert values["unsubscribe_url"] == f"https://u.example/{ben.pk}"
