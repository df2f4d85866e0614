"""The merge fields' values for a batch of members, at send time, each in the member's language
(CAMPAIGNS.md: numbers, money and dates formatted for it).

A sender fills hundreds of messages a second, so the values of a batch come from a fixed number
of queries whatever its size: the members with their accounts, their qualifying totals in one
aggregate, their expiring points in one more (two under the inactivity policy).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Max, Q, Sum
from django.urls import reverse
from django.utils import formats, translation

from loyalty.explanations import points_text
from loyalty.models import EntryKind, LedgerEntry, LoyaltyAccount, PointsLot, Purchase
from loyalty.money import DEFAULT_CURRENCY, money_text
from loyalty.rules.expiry import inactivity_deadline, is_inactivity_expiry
from loyalty.rules.tiers import qualification_window_start, qualifying_total_value, tier_next
from loyalty.selectors.program import program_in_force
from members.models import Member


def merge_values_for(
    *,
    members: Sequence[Member],
    at: datetime.datetime,
    unsubscribe_url: Callable[[Member], str] | None = None,
    extra: Mapping[int, Mapping[str, str]] | None = None,
) -> dict[int, dict[str, str]]:
    """{member pk: {merge field: text}} for every member given. `extra` adds values per member
    pk that only the sender knows (the voucher code its offer issued); `unsubscribe_url(member)`
    gives the member's signed link."""
    program = program_in_force(at=at)
    pks = [member.pk for member in members]
    accounts = {
        account.member_id: account for account in LoyaltyAccount.objects.filter(member_id__in=pks)
    }
    totals = _qualifying_totals(program, pks, at)
    expiring = expiring_soonest(program, members, at)
    currency = program.currency if program else DEFAULT_CURRENCY
    portal_url = settings.SITE_URL + reverse("members:home")
    values = {}
    for member in members:
        account = accounts.get(member.pk)
        with translation.override(member.language):
            values[member.pk] = {
                "first_name": member.user.first_name,
                "points": points_text(account.available if account else 0),
                "pending_points": points_text(account.pending if account else 0),
                **_tier_values(program, account, totals.get(member.pk, Decimal(0)), currency),
                **_expiring_values(expiring.get(member.pk)),
                "voucher_code": "",
                "portal_url": portal_url,
                "unsubscribe_url": unsubscribe_url(member) if unsubscribe_url else "",
                **((extra or {}).get(member.pk) or {}),
            }
    return values


def _tier_values(program, account, total: Decimal, currency: str) -> dict[str, str]:
    language = translation.get_language()
    code = account.tier_code if account else None
    tier = program.tier(code) if program is not None else None
    if tier is None and program is not None and program.tiers:
        tier = program.tiers[0]  # no account yet: the lowest tier, as the member's pages say
    following = tier_next(program, tier.code) if tier is not None else None
    remaining = ""
    if following is not None:
        left = max(following.threshold - total, Decimal(0))
        if program.qualification_metric == "spend":
            remaining = money_text(left.quantize(Decimal("0.01")), currency)
        else:
            remaining = points_text(left)
    return {
        "tier": tier.localized_name(language) if tier else "",
        "next_tier": following.localized_name(language) if following else "",
        "amount_to_next_tier": remaining,
    }


def _expiring_values(soonest: tuple[datetime.date, int] | None) -> dict[str, str]:
    if soonest is None:
        return {"expiring_points": points_text(0), "expiring_on": ""}
    day, points = soonest
    return {"expiring_points": points_text(points), "expiring_on": formats.date_format(day)}


def _qualifying_totals(program, pks: list[int], at: datetime.datetime) -> dict[int, Decimal]:
    """Each member's spend (net of refunds) or purchase points in the qualification window, as
    loyalty.selectors.tiers.qualifying_total reads it for one member."""
    if program is None or not program.tiers:
        return {}
    start = qualification_window_start(program, at)
    purchases = Purchase.objects.filter(
        member_id__in=pks, purchased_at__gt=start, purchased_at__lte=at
    )
    if program.qualification_metric == "points":
        rows = purchases.values("member_id").annotate(total=Sum("points"))
    else:
        rows = purchases.values("member_id").annotate(total=Sum(F("amount") - F("refunded_amount")))
    return {row["member_id"]: qualifying_total_value(program, row["total"]) for row in rows}


def expiring_soonest(
    program, members: Sequence[Member], at
) -> dict[int, tuple[datetime.date, int]]:
    """Each member's soonest expiry within the program's warn_days, as
    loyalty.selectors.ledger.expiring_soon groups it (by day in the program's time zone)."""
    if program is None or program.expiry.policy == "none":
        return {}
    horizon = at + datetime.timedelta(days=program.expiry.warn_days or 30)
    pks = [member.pk for member in members]
    by_member: dict[int, dict[datetime.date, int]] = defaultdict(lambda: defaultdict(int))
    if is_inactivity_expiry(program):
        held = dict(
            PointsLot.objects.filter(member_id__in=pks, remaining__gt=0)
            .values_list("member_id")
            .annotate(total=Sum("remaining"))
        )
        for member, last in _last_activity(members).items():
            deadline = inactivity_deadline(program=program, last_activity_at=last)
            if held.get(member) and deadline <= horizon:
                by_member[member][deadline.astimezone(program.zone).date()] += held[member]
    lots = PointsLot.objects.filter(
        member_id__in=pks, remaining__gt=0, expires_at__gt=at, expires_at__lte=horizon
    ).values_list("member_id", "expires_at", "remaining")
    for member, expires_at, remaining in lots:
        by_member[member][expires_at.astimezone(program.zone).date()] += remaining
    return {member: min(days.items()) for member, days in by_member.items()}


def _last_activity(members: Sequence[Member]) -> dict[int, datetime.datetime]:
    """The latest purchase or redemption of each member, or when they joined (as
    loyalty.selectors.ledger.last_activity_at reads it for one)."""
    pks = [member.pk for member in members]
    purchases = dict(
        Purchase.objects.filter(member_id__in=pks)
        .values_list("member_id")
        .annotate(at=Max("purchased_at"))
    )
    redeems = dict(
        LedgerEntry.objects.filter(Q(member_id__in=pks), kind=EntryKind.REDEEM)
        .values_list("member_id")
        .annotate(at=Max("occurred_at"))
    )
    return {
        member.pk: max(
            t for t in (purchases.get(member.pk), redeems.get(member.pk), member.joined_at) if t
        )
        for member in members
    }
