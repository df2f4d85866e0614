"""Tiers: the writes. Upgrades at once, downgrades only at the review date, withdrawals after a
refund, the history, and the claim of the upgrade notice (which the delivery log sends). The
rules (qualification, upgrade, review, refund) are loyalty.rules.tiers; this module reads the
qualifying total and writes what they decide.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from config.rows import rows_insert_chain
from loyalty.definition import ProgramDefinition
from loyalty.events import tier_changed
from loyalty.models import LoyaltyAccount, TierChange
from loyalty.models.ledger import TierChangeReason
from loyalty.rules.months import months_after
from loyalty.rules.tiers import (
    REVIEW_MONTHS,
    TierMove,
    tier_can_rise,
    tier_period,
    tier_refund_move,
    tier_review_move,
    tier_review_on,
    tier_upgrade,
)
from loyalty.selectors.program import ProgramNotConfigured, program_version_at
from loyalty.selectors.tiers import qualifying_total
from loyalty.services.ledger import account_lock


def _change_write(*, account: LoyaltyAccount, move: TierMove) -> TierChange:
    change = TierChange(
        member_id=account.member_id,
        from_code=move.from_code,
        to_code=move.to_code,
        reason=move.reason,
        qualifying_total=move.total,
        at=move.at,
    )
    move.apply(account)
    # The change and the account in one round trip (config.rows): an upgrade happens during a
    # purchase, on the API's hot path.
    rows_insert_chain(
        [change],
        update=account,
        update_fields=("tier_code", "tier_since", "tier_review_on", "updated_at"),
    )
    tier_changed(change)
    return change


def tier_upgrade_check(
    *,
    account: LoyaltyAccount,
    at: datetime.datetime,
    program: ProgramDefinition | None = None,
    total: Decimal | None = None,
) -> TierChange | None:
    """Upgrade the locked `account` at once if its qualifying total at `at` reaches a higher tier;
    never downgrades. `program` is the one in force at `at` and `total` the qualifying total at
    `at`, when the caller has them already. The upgrade notice is queued by the `tier.changed`
    event's consumer (campaigns.consumers), once this commits."""
    if program is None:
        try:
            program = program_version_at(at=at).definition
        except ProgramNotConfigured:
            return None
    if not tier_can_rise(program, account.tier_code):
        return None
    if total is None:
        total = qualifying_total(member=account.member_id, program=program, at=at)
    move = tier_upgrade(program, code=account.tier_code, total=total, at=at)
    if move is None:
        return None
    change = _change_write(account=account, move=move)
    told_at = _notice_already_given(program, change)
    if told_at is not None:
        # No second "you are now Gold" for a tier a refund took back in the same period.
        TierChange.objects.filter(pk=change.pk).update(notified_at=told_at)
        change.notified_at = told_at
    return change


def tier_refund_check(
    *, account: LoyaltyAccount, at: datetime.datetime, program: ProgramDefinition | None = None
) -> TierChange | None:
    """After a refund, take back at once a tier reached during the current review period that
    the qualifying total at `at` no longer reaches (API.md): down to the highest tier the total
    still reaches, never below the tier held before the period's upgrades. Recorded in the
    history as a `refund` change; the tier kept has the dates it had. Downgrades for other
    reasons still wait for the review date."""
    if program is None:
        try:
            program = program_version_at(at=at).definition
        except ProgramNotConfigured:
            return None
    if not program.tiers:
        return None
    changes = TierChange.objects.filter(member_id=account.member_id, at__lte=at).order_by(
        "at", "pk"
    )
    period = tier_period(program, changes, at)
    if not period.is_withdrawable(account.tier_code):
        return None  # nothing reached this period, or a history this program cannot replay
    total = qualifying_total(member=account.member_id, program=program, at=at)
    move = tier_refund_move(program, period=period, code=account.tier_code, total=total, at=at)
    if move is None:
        return None
    return _change_write(account=account, move=move)


def _notice_already_given(
    program: ProgramDefinition, change: TierChange
) -> datetime.datetime | None:
    """When the member was last told of reaching `code`, if a refund took that tier back and
    its review period has not ended: reaching it again then is no news (the same spend, put
    back after a refund or an exchange). None otherwise."""
    start = months_after(change.at, -REVIEW_MONTHS, zone=program.zone)
    told = (
        TierChange.objects.filter(
            member_id=change.member_id,
            reason=TierChangeReason.UPGRADE,
            to_code=change.to_code,
            at__gt=start,
            at__lte=change.at,
            notified_at__isnull=False,
        )
        .exclude(pk=change.pk)
        .order_by("-at", "-pk")
        .first()
    )
    if told is None:
        return None
    withdrawn = TierChange.objects.filter(
        member_id=change.member_id,
        reason=TierChangeReason.REFUND,
        from_code=change.to_code,
        at__gte=told.at,
        pk__gt=told.pk,
    ).exists()
    return told.notified_at if withdrawn else None


def tier_review(*, member, at: datetime.datetime | None = None) -> TierChange | None:
    """Review a member whose review date has come: move to the tier the qualifying total earns
    now (a downgrade, or an upgrade), or keep the tier for another year. Idempotent: the review
    date moves forward, so a second run the same day does nothing."""
    at = at or timezone.now()
    try:
        program = program_version_at(at=at).definition
    except ProgramNotConfigured:
        return None
    with transaction.atomic():
        account = account_lock(member=member)
        today = at.astimezone(program.zone).date()
        if account.tier_review_on is None or account.tier_review_on > today:
            return None
        if not program.tiers:
            return None
        total = qualifying_total(member=member, program=program, at=at)
        move = tier_review_move(program, code=account.tier_code, total=total, at=at)
        if move is not None:
            return _change_write(account=account, move=move)
        account.tier_review_on = tier_review_on(program, account.tier_code, at)
        account.save(update_fields=["tier_review_on", "updated_at"])
        return None


def tier_notice_claim(
    *, tier_change_id: int, at: datetime.datetime | None = None
) -> TierChange | None:
    """Claim the notice of an upgrade: mark it `notified_at`, in the caller's transaction (which
    queues the message on the delivery log, campaigns.consumers), if no notice was given or
    queued for it yet and the member still holds the tier (an upgrade a refund took back before
    it was told is not news; reaching it again is). Returns the change when claimed, None
    otherwise (not an upgrade, a repeat, a tier reached again whose notice was given)."""
    at = at or timezone.now()
    left_since = TierChange.objects.filter(
        member_id=OuterRef("member_id"), from_code=OuterRef("to_code"), pk__gt=OuterRef("pk")
    )
    claimed = (
        TierChange.objects.filter(
            pk=tier_change_id, notified_at__isnull=True, reason=TierChangeReason.UPGRADE
        )
        .exclude(Exists(left_since))
        .update(notified_at=at)
    )
    if claimed != 1:
        return None
    return TierChange.objects.get(pk=tier_change_id)
