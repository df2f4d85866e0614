"""Tiers: qualification, upgrade at once, downgrade only at the review date, the history, and the
upgrade notice.

- Qualifying total at time t: with metric `spend`, the amounts net of refunds of the member's
  purchases made in the `window_months` ending at t; with metric `points`, the points those
  purchases earned net of refunds (event bonuses and adjustments excluded).
- The member qualifies for the highest tier whose threshold the total reaches.
- Upgrade: checked after every purchase (as of its `purchased_at`, so history imported in order
  upgrades when it would have); the change starts a new review period.
- Review date: one year (program timezone) after the member reached the tier or was last
  reviewed. At review the tier becomes whatever the total qualifies for then: down, or kept (and
  reviewed again a year later). The lowest tier has no review date.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.rows import rows_insert_chain
from loyalty.models import LoyaltyAccount, TierChange
from loyalty.models.ledger import TierChangeReason
from loyalty.money import money_quantize
from loyalty.program_file import ProgramDefinition, TierDefinition
from loyalty.selectors.program import ProgramNotConfigured, program_version_at
from loyalty.services.ledger import account_lock, months_after

REVIEW_MONTHS = 12


def tier_rank(program: ProgramDefinition, code: str | None) -> int:
    """Position of a tier from the lowest (0); -1 for no tier or one the program no longer has."""
    for index, tier in enumerate(program.tiers):
        if tier.code == code:
            return index
    return -1


def tier_at(*, member, at: datetime.datetime, program: ProgramDefinition) -> str | None:
    """The member's tier at `at` from the history; the program's lowest tier before any change,
    None for a program without tiers."""
    change = TierChange.objects.filter(member=member, at__lte=at).order_by("-at", "-pk").first()
    if change is not None:
        return change.to_code
    return program.tiers[0].code if program.tiers else None


def qualifying_total(*, member, program: ProgramDefinition, at: datetime.datetime) -> Decimal:
    """Spend (net of refunds) or purchase points in the qualification window ending at `at`.
    `member` is a Member or its pk."""
    with connection.cursor() as cursor:
        cursor.execute(*qualifying_total_query(member=member, program=program, at=at))
        (total,) = cursor.fetchone()
    return qualifying_total_value(program, total)


def qualifying_total_query(
    *, member, program: ProgramDefinition, at: datetime.datetime
) -> tuple[str, list]:
    """The SQL and parameters of `qualifying_total`, for a caller that asks it within another
    statement (a purchase's write); `qualifying_total_value` reads its answer."""
    start = qualification_window_start(program, at)
    adapt = connection.ops.adapt_datetimefield_value
    # Hand-written: every purchase asks it, and the ORM's aggregate cost 0.5 ms of CPU per
    # purchase in bench/earn.py. The (member, purchased_at) index answers it.
    sql = _POINTS_TOTAL_SQL if program.qualification_metric == "points" else _SPEND_TOTAL_SQL
    return sql, [getattr(member, "pk", member), adapt(start), adapt(at)]


def qualifying_total_value(program: ProgramDefinition, total) -> Decimal:
    if total is None:
        return Decimal(0)
    # PostgreSQL sums numeric exactly; SQLite may answer a float, rounded here to the currency.
    if program.qualification_metric == "points":
        return Decimal(int(total))
    return money_quantize(Decimal(str(total)), program.currency)


def qualifying_total_with(
    program: ProgramDefinition, total_before, purchase, at: datetime.datetime
) -> Decimal:
    """The qualifying total at `at` once `purchase` is stored, from `total_before` (the raw
    answer of `qualifying_total_query`, asked in the statement that stored the purchase, which
    does not see it)."""
    total = qualifying_total_value(program, total_before)
    if qualification_window_start(program, at) < purchase.purchased_at <= at:
        spent = purchase.amount - purchase.refunded_amount
        total += qualifying_measure(program, spent=spent, points=purchase.points)
    return total


def qualifying_measure(program: ProgramDefinition, *, spent: Decimal, points: int) -> Decimal:
    """What counts toward a tier under the program's metric: spend net of refunds, or the
    points purchases earned."""
    return Decimal(points) if program.qualification_metric == "points" else spent


_TOTAL_SQL = (
    "SELECT SUM({}) FROM loyalty_purchase"
    " WHERE member_id = %s AND purchased_at > %s AND purchased_at <= %s"
)
_SPEND_TOTAL_SQL = _TOTAL_SQL.format("amount - refunded_amount")
_POINTS_TOTAL_SQL = _TOTAL_SQL.format("points")


def tier_for_total(program: ProgramDefinition, total: Decimal) -> TierDefinition | None:
    qualified = [tier for tier in program.tiers if total >= tier.threshold]
    return qualified[-1] if qualified else (program.tiers[0] if program.tiers else None)


# --- The rules, on values: the live path below and the bulk import (loyalty.imports) share them


def qualification_window_start(program: ProgramDefinition, at: datetime.datetime):
    """Where the qualification window ending at `at` starts (excluded): `window_months` earlier
    on the program's calendar."""
    return months_after(at, -program.qualification_window_months, zone=program.zone)


def tier_can_rise(program: ProgramDefinition, code: str | None) -> bool:
    """Whether a member at tier `code` has a higher tier to reach (not without tiers, not at
    the top): only then is a qualifying total worth adding up."""
    return bool(program.tiers) and tier_rank(program, code) < len(program.tiers) - 1


def tier_upgrade_target(
    program: ProgramDefinition, code: str | None, total: Decimal
) -> TierDefinition | None:
    """The tier `total` qualifies for when it is above tier `code`; None otherwise (an upgrade
    never goes down)."""
    target = tier_for_total(program, total)
    if target is None or tier_rank(program, target.code) <= tier_rank(program, code):
        return None
    return target


def tier_review_on(
    program: ProgramDefinition, code: str, at: datetime.datetime
) -> datetime.date | None:
    """When a member who reached (or kept) tier `code` at `at` is next reviewed: a year later,
    on the program's calendar; never for the lowest tier."""
    if tier_rank(program, code) <= 0:
        return None
    return months_after(at, REVIEW_MONTHS, zone=program.zone).date()


def tier_holds_at(
    program: ProgramDefinition,
    *,
    code: str | None,
    since: datetime.datetime | None,
    at: datetime.datetime,
) -> bool:
    """Whether a member's current tier (`code`, reached at `since`) was already theirs at `at`:
    true for every purchase but a backdated one, which must read the tier history."""
    return since is not None and since <= at and tier_rank(program, code) >= 0


def _change_write(
    *,
    account: LoyaltyAccount,
    program: ProgramDefinition,
    to: TierDefinition,
    reason: str,
    total: Decimal,
    at: datetime.datetime,
) -> TierChange:
    change = TierChange(
        member_id=account.member_id,
        from_code=account.tier_code,
        to_code=to.code,
        reason=reason,
        qualifying_total=total,
        at=at,
    )
    account.tier_code = to.code
    account.tier_since = at
    account.tier_review_on = tier_review_on(program, to.code, at)
    # The change and the account in one round trip (config.rows): an upgrade happens during a
    # purchase, on the API's hot path.
    rows_insert_chain(
        [change],
        update=account,
        update_fields=("tier_code", "tier_since", "tier_review_on", "updated_at"),
    )
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
    `at`, when the caller has them already. The upgrade notice is queued to run after commit."""
    if program is None:
        try:
            program = program_version_at(at=at).definition
        except ProgramNotConfigured:
            return None
    if not tier_can_rise(program, account.tier_code):
        return None
    if total is None:
        total = qualifying_total(member=account.member_id, program=program, at=at)
    target = tier_upgrade_target(program, account.tier_code, total)
    if target is None:
        return None
    change = _change_write(
        account=account,
        program=program,
        to=target,
        reason=TierChangeReason.UPGRADE,
        total=total,
        at=at,
    )
    told_at = _notice_already_given(program, change)
    if told_at is not None:
        # No second "you are now Gold" for a tier a refund took back in the same period.
        TierChange.objects.filter(pk=change.pk).update(notified_at=told_at)
        change.notified_at = told_at
        return change
    from loyalty.tasks import tier_notice_send

    tier_notice_send.delay(change.pk)  # deferred to on_commit by TesseraTask
    return change


@dataclass
class _Held:
    """A tier as the account holds it: its code, since when, and its next review date."""

    code: str
    since: datetime.datetime | None
    review_on: datetime.date | None


@dataclass(frozen=True)
class _Rise:
    """An upgrade of the current review period, as refunds may have lowered it."""

    at: datetime.datetime
    from_code: str
    to_code: str


def _reviews_pass(program: ProgramDefinition, held: _Held, until: datetime.date, period: list):
    """Reviews that kept the tier between the last change and `until`: each ends the period."""
    while held.review_on is not None and held.review_on <= until:
        period.clear()
        held.review_on = months_after(
            datetime.datetime.combine(held.review_on, datetime.time(12), tzinfo=program.zone),
            REVIEW_MONTHS,
            zone=program.zone,
        ).date()


def _tier_period(
    program: ProgramDefinition, member_id: int, at: datetime.datetime
) -> tuple[_Held, _Held, list[_Rise]]:
    """Replay the member's tier history up to `at`: the tier held now, the tier held before
    the current review period's upgrades (`base`), and those upgrades, oldest first. An upgrade
    starts a review period but one reached before the previous one's review date continues it;
    a review (which writes no change when it keeps the tier), a review's downgrade or a tier set
    by staff ends it; a refund's withdrawal lowers the upgrades it took back."""
    lowest = program.tiers[0].code if program.tiers else ""
    held = _Held(code=lowest, since=None, review_on=None)
    base = _Held(code=lowest, since=None, review_on=None)
    period: list[_Rise] = []
    changes = TierChange.objects.filter(member_id=member_id, at__lte=at).order_by("at", "pk")
    for change in changes:
        local_day = change.at.astimezone(program.zone).date()
        _reviews_pass(program, held, local_day, period)
        if change.reason == TierChangeReason.REFUND:
            rank = tier_rank(program, change.to_code)
            while period and tier_rank(program, period[-1].to_code) > rank:
                rise = period.pop()
                if tier_rank(program, rise.from_code) < rank:
                    period.append(_Rise(rise.at, rise.from_code, change.to_code))
                    break
            held = _Held(change.to_code, *_held_after_refund(program, base, period, rank))
            continue
        if change.reason != TierChangeReason.UPGRADE or not period:
            base = _Held(held.code, held.since, held.review_on)
            period.clear()
        if change.reason == TierChangeReason.UPGRADE:
            period.append(_Rise(change.at, change.from_code, change.to_code))
        held = _Held(change.to_code, change.at, tier_review_on(program, change.to_code, change.at))
    _reviews_pass(program, held, at.astimezone(program.zone).date(), period)
    return held, base, period


def _held_after_refund(
    program: ProgramDefinition, base: _Held, period: list[_Rise], rank: int
) -> tuple[datetime.datetime | None, datetime.date | None]:
    """Since when, and until which review, a member holds the tier of `rank` once a refund took
    the higher ones back: the tier held before the period keeps its own dates; a tier the
    period's upgrades reached (or passed) is held since the first of them that did."""
    reached = next(
        (
            rise
            for rise in period
            if tier_rank(program, rise.from_code) < rank <= tier_rank(program, rise.to_code)
        ),
        None,
    )
    if reached is None:
        return base.since, base.review_on
    code = program.tiers[rank].code
    return reached.at, tier_review_on(program, code, reached.at)


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
    held, base, period = _tier_period(program, account.member_id, at)
    if not period or held.code != account.tier_code:
        return None  # nothing reached this period, or a history this program cannot replay
    floor_rank = max(tier_rank(program, period[0].from_code), tier_rank(program, base.code), 0)
    current_rank = tier_rank(program, account.tier_code)
    total = qualifying_total(member=account.member_id, program=program, at=at)
    reached = tier_for_total(program, total)
    target_rank = max(tier_rank(program, reached.code if reached else None), floor_rank)
    if target_rank >= current_rank:
        return None
    target = program.tiers[target_rank]
    change = TierChange.objects.create(
        member_id=account.member_id,
        from_code=account.tier_code,
        to_code=target.code,
        reason=TierChangeReason.REFUND,
        qualifying_total=total,
        at=at,
    )
    since, review_on = _held_after_refund(program, base, period, target_rank)
    account.tier_code = target.code
    account.tier_since = since
    # A review date that came while a withdrawn tier was held is run by the next daily review.
    account.tier_review_on = review_on if target_rank > 0 else None
    account.save(update_fields=["tier_code", "tier_since", "tier_review_on", "updated_at"])
    return change


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
        total = qualifying_total(member=member, program=program, at=at)
        target = tier_for_total(program, total)
        if target is None:
            return None
        if target.code != account.tier_code:
            reason = (
                TierChangeReason.UPGRADE
                if tier_rank(program, target.code) > tier_rank(program, account.tier_code)
                else TierChangeReason.REVIEW
            )
            change = _change_write(
                account=account, program=program, to=target, reason=reason, total=total, at=at
            )
            if change.is_upgrade:
                from loyalty.tasks import tier_notice_send

                tier_notice_send.delay(change.pk)
            return change
        account.tier_review_on = tier_review_on(program, target.code, at)
        account.save(update_fields=["tier_review_on", "updated_at"])
        return None


def tier_notice_send(*, tier_change_id: int) -> bool:
    """Mail the member about an upgrade, in their language, once per change. The change row is
    locked while the mail is sent and marked in the same transaction: a concurrent duplicate
    waits and then finds it done; a failed send rolls back and is retried. (A worker dying between
    the SMTP answer and the commit is the only way to send twice.) Returns whether it sent."""
    with transaction.atomic():
        change = (
            TierChange.objects.select_for_update()
            .select_related("member__user")
            .filter(pk=tier_change_id, notified_at__isnull=True, reason=TierChangeReason.UPGRADE)
            .first()
        )
        if change is None:
            return False
        member = change.member
        try:
            program = program_version_at(at=change.at).definition
            tier = program.tier(change.to_code)
        except ProgramNotConfigured:
            tier = None
        with translation.override(member.language):
            name = tier.localized_name(member.language) if tier else change.to_code
            subject = _("You are now %(tier)s") % {"tier": name}
            body = _(
                "Hello %(name)s,\n\nYour purchases have taken you to the %(tier)s tier. "
                "Enjoy its benefits from your next purchase.\n"
            ) % {"name": member.user.first_name or member.user.email, "tier": name}
        send_mail(subject, body, None, [member.user.email])
        TierChange.objects.filter(pk=change.pk).update(notified_at=timezone.now())
        return True
