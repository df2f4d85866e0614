"""Reads of the staff console. Each takes the staff user who asks and refuses (ActionNotAllowed)
anyone whose role does not let them read members."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db.models import F, Q, Value
from django.db.models.functions import Replace
from django.utils import timezone

from console.permissions import (
    MANAGE_CAMPAIGNS,
    MANAGE_SEGMENTS,
    RECORD_PURCHASE,
    RECORD_PURCHASE_ABOVE_LIMIT,
    VIEW_MEMBERS,
    staff_can,
    staff_permission_require,
)
from console.services import console_currency
from loyalty.explanations import entry_explanation, entry_title
from loyalty.models import Purchase
from loyalty.selectors.members import member_overview
from loyalty.services.purchases import Preview, purchase_preview
from members.models import Member, StaffAction
from members.numbers import member_number_clean, member_number_is_valid
from members.search import search_fold
from rewards.selectors import voucher_list_for_member

SEARCH_LIMIT = 20
SEARCH_MIN_LENGTH = 2
LATEST_MOVEMENTS = 10
LATEST_PURCHASES = 10
HISTORY_LIMIT = 50
# Phones are stored as typed ("+34 600-12 34 56"); searching compares digits only.
_PHONE_SEPARATORS = (" ", "-", ".", "(", ")", "+", "/")
_NUMBER_LIKE = re.compile(r"\+?[0-9().\-/]+")
# A whole query of digits in groups is one number: a member number typed as the card prints it
# ("4 000772 897651", "4000 7728 9765 1") or a phone as people write it ("+34 600 12 34 56").
_NUMBER_IN_GROUPS = re.compile(r"\+?[0-9().\-/]+(?:\s+[0-9().\-/]+)+")


def _phone_digits():
    expression = F("phone")
    for separator in _PHONE_SEPARATORS:
        expression = Replace(expression, Value(separator), Value(""))
    return expression


def _search_terms(query: str) -> list[str]:
    """The words every one of which a member must match: a number in groups is one word, its
    digits (so "4000 7728 9765 1" is the member number, not four numbers found anywhere)."""
    if _NUMBER_IN_GROUPS.fullmatch(query):
        return [re.sub(r"\D", "", query)]
    return query.split()


def _number_match(digits: str) -> Q:
    """Members whose number starts with `digits`, whose phone holds them, or whose email (or
    name) does. Three queries united, each with its own index or scan: one OR across the two
    tables made PostgreSQL join both tables whole (100 ms with 100,000 members, against 35 ms;
    bench/member_search.py)."""
    by_number = Member.objects.filter(member_number__startswith=digits).values("pk")
    by_phone = (
        Member.objects.alias(phone_digits=_phone_digits())
        .filter(phone_digits__contains=digits)
        .values("pk")
    )
    by_key = Member.objects.filter(user__search_key__contains=digits).values("pk")
    return Q(pk__in=by_number.union(by_phone, by_key))


def member_search(*, actor, query: str, limit: int = SEARCH_LIMIT) -> list[Member]:
    """Members matching every word of `query` in their first or last name or email, accents and
    case ignored (members.search: "garcia" finds García), or in their phone (digits only) or
    member number (its start). A query of digits in groups is one number ("4000 7728 9765 1",
    as the card prints it). Fewer than two characters find nobody: a queue of customers needs
    a short list, not the whole table."""
    staff_permission_require(actor, VIEW_MEMBERS)
    query = query.strip()
    terms = [term for term in _search_terms(query) if len(term) >= SEARCH_MIN_LENGTH]
    if len(query) < SEARCH_MIN_LENGTH or not terms:
        return []
    members = Member.objects.select_related("user", "loyalty_account")
    for term in terms:
        digits = re.sub(r"\D", "", term)
        if len(digits) >= SEARCH_MIN_LENGTH and _NUMBER_LIKE.fullmatch(term):
            members = members.filter(_number_match(digits))
        else:
            members = members.filter(user__search_key__contains=search_fold(term))
    return list(members.order_by("user__first_name", "user__last_name", "pk")[:limit])


def member_for_staff(*, actor, member_number: str) -> Member | None:
    staff_permission_require(actor, VIEW_MEMBERS)
    number = member_number.strip()
    if not member_number_is_valid(number):
        return None
    return (
        Member.objects.select_related("user", "loyalty_account")
        .filter(member_number=number)
        .first()
    )


def member_scanned(*, actor, query: str) -> Member | None:
    """The member whose card was scanned or whose number was typed in full, in the groups the
    card prints it in or not: a valid member number, check digit included, opens that member
    directly."""
    number = member_number_clean(query.strip())
    if not member_number_is_valid(number):
        return None
    return member_for_staff(actor=actor, member_number=number)


def member_page_for_staff(*, actor, member: Member, language: str) -> dict:
    """What the member page shows staff: balances, tier and progress, the latest movements with
    their explanations, vouchers and the latest purchases with what is left to refund."""
    staff_permission_require(actor, VIEW_MEMBERS)
    overview = member_overview(member=member, language=language, latest_count=LATEST_MOVEMENTS)
    program = overview["program"]
    tier_names = (
        {tier.code: tier.localized_name(language) for tier in program.tiers} if program else {}
    )
    for entry in overview["latest"]:
        entry.title = entry_title(entry)
        entry.explanation = entry_explanation(
            entry,
            currency=overview["currency"],
            tier_names=tier_names,
            category_names=program.category_names(language) if program else {},
        )
    now = timezone.now()
    vouchers = voucher_list_for_member(member=member)
    for voucher in vouchers:
        voucher.reward_name = voucher.redemption.localized_name(language)
        voucher.current_status = voucher.status_at(now)
    return {
        **overview,
        "vouchers": vouchers,
        "purchases": purchases_for_staff(actor=actor, member=member),
    }


def purchases_for_staff(*, actor, member: Member, limit: int = LATEST_PURCHASES) -> list[Purchase]:
    staff_permission_require(actor, VIEW_MEMBERS)
    purchases = list(
        Purchase.objects.filter(member=member).order_by("-purchased_at", "-pk")[:limit]
    )
    for purchase in purchases:
        purchase.left_to_refund = purchase.amount - purchase.refunded_amount
    return purchases


def purchase_for_staff(*, actor, member: Member, external_id: str) -> Purchase | None:
    """One of `member`'s purchases: an id belonging to another member finds nothing."""
    staff_permission_require(actor, VIEW_MEMBERS)
    return (
        Purchase.objects.select_related("member")
        .filter(member=member, external_id=external_id)
        .first()
    )


def purchase_preview_for_staff(
    *,
    actor,
    member: Member,
    amount: Decimal,
    channel: str,
    items: list[dict] | None = None,
    confirm_above_limit: bool = False,
) -> Preview:
    """The points a purchase made now would earn; writes nothing. Above the program's limit it
    raises AmountAboveLimit unless a manager confirms (as purchase_record_by_staff)."""
    staff_permission_require(actor, RECORD_PURCHASE)
    now = timezone.now()
    return purchase_preview(
        member=member,
        amount=amount,
        currency=console_currency(at=now),
        purchased_at=now,
        channel=channel,
        items=items or [],
        allow_above_limit=confirm_above_limit and staff_can(actor, RECORD_PURCHASE_ABOVE_LIMIT),
    )


_SUBJECT_PERMISSIONS = {
    "campaign": MANAGE_CAMPAIGNS,
    "segment": MANAGE_SEGMENTS,
    "automation": MANAGE_CAMPAIGNS,
}


def history_for_subject(*, actor, subject: str, limit: int = HISTORY_LIMIT) -> list[StaffAction]:
    """The latest staff actions on a campaign, a segment or an automation (`campaign:<code>`),
    newest first, with who did them: for those who may manage that kind of thing."""
    staff_permission_require(actor, _SUBJECT_PERMISSIONS[subject.partition(":")[0]])
    return list(StaffAction.objects.filter(subject=subject).select_related("actor")[:limit])
