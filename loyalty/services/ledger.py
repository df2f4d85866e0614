"""Writes on the points ledger: credits, FIFO debits, debt, maturation, expiry, bonuses and staff
adjustments. Purchases and refunds (loyalty.services.purchases) and redemptions build on these.

Every write runs in one transaction that first locks the member's `LoyaltyAccount` row
(`account_lock`). Lock order, everywhere: account, then purchase, then lots. Holding the account
lock serializes every ledger write for a member, so balances are computed from the locked row and
saved once; the entries, lots and allocations written alongside keep the invariants listed in
loyalty.models.ledger, which `account_recompute` checks.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.domain import DomainError
from config.rows import row_get, row_update, rows_get, rows_insert_chain
from loyalty.definition import ProgramDefinition
from loyalty.events import points_expired, points_matured
from loyalty.models import (
    EntryKind,
    LedgerEntry,
    LotAllocation,
    LoyaltyAccount,
    PointsLot,
    ProgramVersion,
    Purchase,
)
from loyalty.models.ledger import BONUS_ONCE_PER_KEY, LIFETIME_KINDS
from loyalty.rules.bonus import EventBonus, event_bonus
from loyalty.rules.credit import LotCredit, lot_credit, lot_mature
from loyalty.rules.debit import debit_allocate, debit_apply
from loyalty.rules.expiry import inactivity_deadline, is_inactivity_expiry, lot_expires_at
from loyalty.rules.tiers import tier_lowest_code
from loyalty.selectors.ledger import last_activity_at
from loyalty.selectors.program import (
    VERSION_AT_SQL,
    ProgramNotConfigured,
    program_version_at,
    program_version_of,
)
from members.models import Member
from members.status import MemberBlocked, member_active_require

REASON_MAX_LENGTH = 500


# --- Errors ----------------------------------------------------------------------------------


class LedgerError(DomainError):
    """A change the ledger refuses (config.domain: code, message, status declared here)."""

    code = "ledger_error"
    template = _("The ledger refused this change.")


class InsufficientPoints(LedgerError):
    code = "insufficient_points"
    status = 409
    template = _("%(requested)s points requested, %(available)s available.")

    def __init__(self, *, requested: int, available: int):
        self.requested = requested
        self.available = available
        super().__init__(requested=requested, available=available)


class ReasonRequired(LedgerError):
    code = "reason_required"
    field = "reason"
    template = _("A reason is required.")


class AdjustmentZero(LedgerError):
    """An adjustment of no points: a person's slip at the till, said at the field."""

    code = "adjustment_zero"
    field = "points"
    template = _("Give a number of points other than zero.")


class InvalidPoints(LedgerError):
    """A programming error more than a person's (a debit of no points): said plainly."""

    code = "invalid_points"

    def __init__(self, detail: str):
        self.template = detail
        super().__init__()


class MemberNotFound(LedgerError):
    code = "member_not_found"
    status = 404
    template = _("No member has this member number.")


# --- The account lock --------------------------------------------------------------------------


def account_lock(*, member) -> LoyaltyAccount:
    """The member's account, locked until the transaction ends (created on first use). Must run
    inside `transaction.atomic()`: it is the first lock every ledger write takes."""
    if not connection.in_atomic_block:
        raise RuntimeError("account_lock must run inside transaction.atomic()")
    account = _account_locked(member_id=member.pk)
    if account is not None:
        return account
    try:
        program = program_version_at(at=timezone.now()).definition
    except ProgramNotConfigured:
        program = None
    # Two first writes may race to create it: the O2O's unique index decides, in a savepoint.
    try:
        with transaction.atomic():
            account_new(member_id=member.pk, joined_at=member.joined_at, program=program).save(
                force_insert=True
            )
    except IntegrityError:
        pass
    return LoyaltyAccount.objects.select_for_update().get(member=member)


# The account and its member, with the program version in force at a time, in one statement.
_LOCK_FROM = (
    "loyalty_loyaltyaccount a JOIN members_member m ON m.id = a.member_id"
    f" LEFT JOIN ({VERSION_AT_SQL}) v ON true"
)


def account_lock_at(
    *, member=None, member_number: str | None = None, at: datetime.datetime
) -> tuple[LoyaltyAccount, Member, ProgramVersion]:
    """Lock the account of `member` (or of the member with `member_number`) and read the version
    in force at `at`, in one statement: the hot path of a purchase and of a campaign's gift. A
    member whose account does not exist yet takes the long way (account_lock creates it). A
    blocked member: MemberBlocked, decided on the member row this statement read. No version
    published: ProgramNotConfigured, once the account is locked."""
    if member is not None:
        where, key = "a.member_id = %s", member.pk
    else:
        where, key = "m.member_number = %s", member_number.strip()
    found = rows_get(
        [(LoyaltyAccount, "a"), (Member, "m")],
        _LOCK_FROM,
        where,
        [connection.ops.adapt_datetimefield_value(at), key],
        extra=["v.id", "v.created_at"],
        for_update_of="a",
    )
    if found is None:
        if member is None:
            member = row_get(Member, "member_number = %s", [key])
            if member is None:
                raise MemberNotFound()
        account = account_lock(member=member)
        member_active_require(member=member)
        return account, member, program_version_at(at=at)
    (account, found_member), version_row = found
    member_active_require(member=member or found_member, status=found_member.status)
    return account, member or found_member, program_version_of(*version_row)


def account_new(
    *, member_id: int, joined_at: datetime.datetime, program: ProgramDefinition | None
) -> LoyaltyAccount:
    """A member's account as their first ledger write opens it (unsaved): no points, the lowest
    tier of `program` (the one in force now), held since they joined. `account_lock` saves it;
    the bulk imports save theirs in bulk."""
    return LoyaltyAccount(
        member_id=member_id, tier_code=tier_lowest_code(program) or "", tier_since=joined_at
    )


def _account_locked(*, member_id: int) -> LoyaltyAccount | None:
    # config.rows: every ledger write starts here, and the ORM's query building was 0.4 ms of
    # CPU per purchase in bench/earn.py.
    return row_get(LoyaltyAccount, "member_id = %s", [member_id], for_update=True)


_BALANCES = ("available", "pending", "lifetime", "debt", "updated_at")


def _account_save(account: LoyaltyAccount) -> None:
    row_update(account, fields=_BALANCES)


# --- Credits -----------------------------------------------------------------------------------


def credit_rows(
    *,
    account: LoyaltyAccount,
    kind: str,
    points: int,
    reason: str,
    earned_at: datetime.datetime,
    available_at: datetime.datetime | None = None,
    expires_at: datetime.datetime | None = None,
    breakdown: list | None = None,
    purchase: Purchase | None = None,
    program_version: ProgramVersion | None = None,
    bonus_key: str = "",
    actor=None,
    source_type: str = "",
    source_id: str = "",
    occurred_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> tuple[LedgerEntry, PointsLot | None]:
    """A credit for the locked `account`, in memory: one entry and, for positive points, one
    lot, pending until `available_at` (None: available at once), with the account's balances
    moved as loyalty.rules.credit says. Nothing is written: `credit_write` writes it, or
    `credit_rows_write` with a row that comes first (a purchase and its earn entry in one
    statement). `occurred_at` is when what the entry records happened (default: now)."""
    now = now or timezone.now()
    entry = LedgerEntry(
        member_id=account.member_id,
        kind=kind,
        points=points,
        reason=reason[:REASON_MAX_LENGTH],
        breakdown=breakdown or [],
        purchase=purchase,
        program_version=program_version,
        bonus_key=bonus_key,
        actor=actor,
        source_type=source_type,
        source_id=source_id,
        occurred_at=occurred_at or now,
        created_at=now,
    )
    credit = lot_credit(
        account,
        kind=kind,
        points=points,
        earned_at=earned_at,
        available_at=available_at,
        expires_at=expires_at,
        now=now,
    )
    return entry, _lot(account, entry, credit, purchase=purchase) if credit else None


def _lot(
    account: LoyaltyAccount, entry: LedgerEntry, credit: LotCredit, *, purchase=None
) -> PointsLot:
    return PointsLot(
        member_id=account.member_id,
        entry=entry,
        purchase=purchase,
        points=credit.points,
        remaining=credit.remaining,
        debt_paid=credit.debt_paid,
        available_at=credit.available_at,
        is_matured=credit.is_matured,
        expires_at=credit.expires_at,
        earned_at=credit.earned_at,
    )


def credit_rows_write(
    account: LoyaltyAccount,
    rows: list,
    *,
    unless_conflict_on: str | None = None,
    select: tuple[str, list] | None = None,
) -> tuple[bool, object]:
    """Insert `rows` (a credit's entry and lot, possibly after the row they belong to) and save
    the account's balances: on PostgreSQL one round trip (config.rows.rows_insert_chain, whose
    `unless_conflict_on` and `select` these are). Returns (written, selected)."""
    return rows_insert_chain(
        [row for row in rows if row is not None],
        unless_conflict_on=unless_conflict_on,
        update=account,
        update_fields=_BALANCES,
        select=select,
    )


def credit_write(*, account: LoyaltyAccount, **credit) -> LedgerEntry:
    """Write a credit for the locked `account` (see `credit_rows` for the arguments): its entry,
    its lot and the account's balances. Saves the account."""
    entry, lot = credit_rows(account=account, **credit)
    credit_rows_write(account, [entry, lot])
    return entry


def debit_reverse_write(
    *,
    account: LoyaltyAccount,
    entry: LedgerEntry,
    reason: str,
    breakdown: list | None = None,
    actor=None,
    source_type: str = "",
    source_id: str = "",
    now: datetime.datetime | None = None,
) -> LedgerEntry:
    """Give back everything the debit `entry` took, for the locked `account`: one `reversal`
    entry for the whole, and one lot per lot the debit drew on, with that lot's earned_at and
    expiry (points whose date has passed meanwhile expire at the next run, as they would have).
    Available at once, paying debt first. Saves the account."""
    now = now or timezone.now()
    allocations = list(
        LotAllocation.objects.filter(entry=entry).select_related("lot").order_by("pk")
    )
    points = sum(allocation.points for allocation in allocations)
    reversal = LedgerEntry(
        member_id=account.member_id,
        kind=EntryKind.REVERSAL,
        points=points,
        reason=reason[:REASON_MAX_LENGTH],
        breakdown=breakdown or [],
        reverses=entry,
        actor=actor,
        source_type=source_type,
        source_id=source_id,
        occurred_at=now,
        created_at=now,
    )
    reversal.save()
    lots = []
    for allocation in allocations:
        # Given back as the debit's kind was taken: lifetime back for an earned kind.
        credit = lot_credit(
            account,
            kind=entry.kind,
            points=allocation.points,
            earned_at=allocation.lot.earned_at,
            available_at=None,
            expires_at=allocation.lot.expires_at,
            now=now,
        )
        lots.append(_lot(account, reversal, credit))
    PointsLot.objects.bulk_create(lots)
    _account_save(account)
    return reversal


# --- Debits ------------------------------------------------------------------------------------


def _spendable_lots(member_id: int):
    """Matured lots with points left, in spending order: soonest expiry first (never-expiring
    last), then first earned. Locked after the account (lock order: account, purchase, lots)."""
    return (
        PointsLot.objects.select_for_update()
        .filter(member_id=member_id, is_matured=True, remaining__gt=0)
        .order_by(F("expires_at").asc(nulls_last=True), "earned_at", "pk")
    )


def debit_write(
    *,
    account: LoyaltyAccount,
    kind: str,
    points: int,
    reason: str,
    lots: Iterable[PointsLot] | None = None,
    allow_debt: bool = False,
    breakdown: list | None = None,
    purchase: Purchase | None = None,
    refund=None,
    program_version: ProgramVersion | None = None,
    actor=None,
    source_type: str = "",
    source_id: str = "",
    occurred_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
    bonus_key: str = "",
) -> LedgerEntry:
    """Take `points` (> 0) from the locked `account`: from `lots` in the given order, then from
    its available lots first-in-first-out. Only refunds may take more than there is
    (`allow_debt`): the shortfall becomes debt. Writes one entry (points negative), one allocation
    per lot touched, and saves the account."""
    if points <= 0:
        raise InvalidPoints("a debit takes a positive number of points")
    if not allow_debt and lots is None and points > account.available:
        raise InsufficientPoints(requested=points, available=account.available)
    now = now or timezone.now()
    taken, left = debit_allocate([*(lots or ()), *_spendable_lots(account.member_id)], points)
    if left and not allow_debt:
        raise InsufficientPoints(requested=points, available=points - left)
    entry = LedgerEntry.objects.create(
        member_id=account.member_id,
        kind=kind,
        points=-points,
        reason=reason[:REASON_MAX_LENGTH],
        breakdown=breakdown or [],
        purchase=purchase,
        refund=refund,
        program_version=program_version,
        actor=actor,
        source_type=source_type,
        source_id=source_id,
        bonus_key=bonus_key,
        occurred_at=occurred_at or now,
        created_at=now,
    )
    debit_apply(account, kind=kind, points=points, taken=taken, shortfall=left)  # 0 unless debt
    for lot, _take in taken:
        lot.save(update_fields=["remaining"])
    LotAllocation.objects.bulk_create(
        LotAllocation(entry=entry, lot=lot, points=take) for lot, take in taken
    )
    _account_save(account)
    return entry


def points_debit(
    *,
    member,
    points: int,
    kind: str,
    reason: str,
    actor=None,
    source_type: str = "",
    source_id: str = "",
    breakdown: list | None = None,
) -> LedgerEntry:
    """Spend `points` of the member's available points, first-in-first-out (redemptions).
    Raises InsufficientPoints, changing nothing, when there are not enough."""
    if kind not in {EntryKind.REDEEM, EntryKind.ADJUST, EntryKind.EXPIRE}:
        raise InvalidPoints(f"{kind} is not a debit kind")
    with transaction.atomic():
        account = account_lock(member=member)
        return debit_write(
            account=account,
            kind=kind,
            points=points,
            reason=reason,
            actor=actor,
            source_type=source_type,
            source_id=source_id,
            breakdown=breakdown,
        )


# --- Staff adjustments and bonuses -------------------------------------------------------------


def points_adjust(*, member, points: int, reason: str, actor) -> LedgerEntry:
    """A staff correction with a mandatory reason. Positive: available at once (and expiring like
    any other points); negative: taken first-in-first-out, never below zero (InsufficientPoints).
    Adjustments do not count as points earned (lifetime). A blocked member earns nothing: a
    positive adjustment raises MemberBlocked (a negative one still takes points back)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    if not isinstance(points, int) or isinstance(points, bool):
        raise InvalidPoints("an adjustment is a whole number of points")
    if points == 0:
        raise AdjustmentZero()
    now = timezone.now()
    with transaction.atomic():
        account = account_lock(member=member)
        if points < 0:
            return debit_write(
                account=account,
                kind=EntryKind.ADJUST,
                points=-points,
                reason=reason,
                actor=actor,
                now=now,
            )
        # Read under the account lock: a block committed before it is seen.
        member_active_require(member=member)
        version = _version_or_none(now)
        return credit_write(
            account=account,
            kind=EntryKind.ADJUST,
            points=points,
            reason=reason,
            earned_at=now,
            expires_at=lot_expires_at(program=version.definition, earned_at=now)
            if version
            else None,
            program_version=version,
            actor=actor,
            now=now,
        )


def _version_or_none(at: datetime.datetime) -> ProgramVersion | None:
    try:
        return program_version_at(at=at)
    except ProgramNotConfigured:
        return None


def event_bonus_award(
    *,
    member,
    event: str,
    at: datetime.datetime | None = None,
    reason: str = "",
    source_key: str = "once",
    points: int | None = None,
    source_type: str = "",
    source_id: str = "",
) -> LedgerEntry | None:
    """Award the program's bonus for `event` (signup, birthday, referral...) once per member and
    `source_key` ("once" for signup, the year for a birthday, the referee for a referral).
    `points` overrides the rule's points (a referee's `referee_points`). Returns the entry, or None
    when the program gives nothing for the event or it was already awarded, or when the member
    is blocked (a blocked member earns nothing; the bonus is skipped, not kept for later, and the
    automations that call this carry on with the next member). Bonus points are available at
    once."""
    at = at or timezone.now()
    version = _version_or_none(at)
    if version is None:
        return None
    bonus = event_bonus(
        program=version.definition, event=event, at=at, source_key=source_key, points=points
    )
    if bonus is None:
        return None
    with transaction.atomic():
        account = account_lock(member=member)
        try:
            member_active_require(member=member)
        except MemberBlocked:
            return None
        # "Once per member and key" is the unique (member, bonus_key) index, not a lookup first:
        # a bonus given already writes nothing (as points_gift).
        entry, lot = event_bonus_rows(
            account=account,
            bonus=bonus,
            version=version,
            reason=reason,
            source_type=source_type,
            source_id=source_id,
        )
        written, _selected = credit_rows_write(
            account, [entry, lot], unless_conflict_on=BONUS_ONCE_PER_KEY
        )
        if not written:
            account.refresh_from_db()  # its balances were counted with the bonus
            return None
        return entry


def points_gift(
    *,
    member,
    points: int,
    bonus_key: str,
    event: str,
    source_type: str,
    source_id: str,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> LedgerEntry | None:
    """Bonus points the shop gives outside the program's rules (a campaign's offer), once per
    member and `bonus_key`: None when given already, or when the member is blocked (a blocked
    member earns nothing). Available at once, expiring like any points; `event` names the
    occasion for the member's explanation (loyalty.explanations.event_label). Joins the
    caller's transaction (the one recording the message that announces them)."""
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise InvalidPoints("a gift is a positive whole number of points")
    now = now or timezone.now()
    # No savepoint (the caller's transaction, or a new one): a gift given already writes
    # nothing (ON CONFLICT on the once-per-key index) instead of raising, so this also works
    # with the caller's statements pipelined (campaigns.services.sending), where a failed
    # statement could not be rolled back to a savepoint.
    with transaction.atomic(savepoint=False):
        try:
            account, _member, version = account_lock_at(member=member, at=now)
        except MemberBlocked:
            return None
        except ProgramNotConfigured:
            account, version = account_lock(member=member), None
        entry, lot = credit_rows(
            account=account,
            kind=EntryKind.BONUS,
            points=points,
            reason=reason or f"{event} gift",
            earned_at=now,
            expires_at=lot_expires_at(program=version.definition, earned_at=now)
            if version
            else None,
            breakdown=[{"part": "event", "event": event, "points": points}],
            program_version=version,
            bonus_key=bonus_key,
            source_type=source_type,
            source_id=source_id,
            now=now,
        )
        written, _selected = credit_rows_write(
            account, [entry, lot], unless_conflict_on=BONUS_ONCE_PER_KEY
        )
        if not written:
            # Given already. The account's balances were counted with the gift: read again.
            account.refresh_from_db()
            return None
        return entry


def bonus_take_back(
    *,
    member,
    bonus_key: str,
    reason: str,
    source_type: str = "",
    source_id: str = "",
    at: datetime.datetime | None = None,
) -> LedgerEntry | None:
    """Take back the bonus the member got under `bonus_key` (a referral whose first purchase was
    refunded afterwards), as a refund takes back a purchase's points: from the bonus's own lot
    first, then the available points, the rest as debt. Once: the take-back carries the key
    `<bonus_key>:back`, unique like every bonus key. None when there was no such bonus or it
    was taken back already."""
    at = at or timezone.now()
    with transaction.atomic():
        account = account_lock(member=member)
        bonus = LedgerEntry.objects.filter(member=member, bonus_key=bonus_key).first()
        if bonus is None or bonus.points <= 0:
            return None
        try:
            with transaction.atomic():
                return debit_write(
                    account=account,
                    kind=EntryKind.REFUND,
                    points=bonus.points,
                    reason=reason,
                    lots=list(PointsLot.objects.filter(entry=bonus, remaining__gt=0)),
                    allow_debt=True,
                    breakdown=[{"part": "take_back", "bonus_key": bonus_key}],
                    source_type=source_type,
                    source_id=source_id,
                    bonus_key=f"{bonus_key}:back",
                    occurred_at=at,
                    now=at,
                )
        except IntegrityError:
            account.refresh_from_db()
            return None


def event_bonus_rows(
    *,
    account: LoyaltyAccount,
    bonus: EventBonus,
    version: ProgramVersion,
    reason: str = "",
    source_type: str = "",
    source_id: str = "",
    now: datetime.datetime | None = None,
) -> tuple[LedgerEntry, PointsLot | None]:
    """The entry and lot of `bonus` for `account`, in memory (`credit_rows`): what
    `event_bonus_award` writes, and the member import writes in bulk. Dated when the event
    happened; available at once."""
    return credit_rows(
        account=account,
        kind=EntryKind.BONUS,
        points=bonus.points,
        reason=reason or f"{bonus.event} bonus",
        earned_at=bonus.earned_at,
        expires_at=bonus.expires_at,
        breakdown=bonus.breakdown,
        program_version=version,
        bonus_key=bonus.bonus_key,
        source_type=source_type or "event",
        source_id=source_id or bonus.event,
        occurred_at=bonus.earned_at,
        now=now,
    )


# --- Time: maturation and expiry ---------------------------------------------------------------


def lots_mature(*, member, at: datetime.datetime | None = None) -> int:
    """Make the member's pending lots whose return window is over available (paying debt first).
    Returns the points that became available; 0 when run again."""
    at = at or timezone.now()
    with transaction.atomic():
        account = account_lock(member=member)
        lots = list(
            PointsLot.objects.select_for_update()
            .filter(member=member, is_matured=False, available_at__lte=at)
            .order_by("available_at", "pk")
        )
        total = 0
        for lot in lots:
            paid = lot_mature(account, lot.remaining)
            lot.remaining -= paid
            lot.debt_paid += paid
            total += lot.remaining
            lot.is_matured = True
            lot.save(update_fields=["is_matured", "remaining", "debt_paid"])
        if lots:
            _account_save(account)
            points_matured(member_id=member.pk, lots=lots, points=total, at=at)
        return total


def points_expire(*, member, at: datetime.datetime | None = None) -> LedgerEntry | None:
    """Expire what the policy in force says is due: rolling, every lot past its `expires_at`;
    inactivity, everything once the member has had no purchase or redemption for N months. One
    `expire` entry for the sum; None when nothing is due (so a second run changes nothing)."""
    at = at or timezone.now()
    version = _version_or_none(at)
    if version is None:
        return None
    program = version.definition
    with transaction.atomic():
        account = account_lock(member=member)
        lots = PointsLot.objects.select_for_update().filter(member=member, remaining__gt=0)
        if is_inactivity_expiry(program):
            deadline = inactivity_deadline(
                program=program, last_activity_at=last_activity_at(member)
            )
            if deadline > at:
                lots = lots.none()
            reason = f"expired after {program.expiry.months} months without activity"
            occurred_at = deadline
        else:
            # Lots keep the expiry they were given when earned, whatever the policy is now.
            lots = lots.filter(expires_at__lte=at)
            reason = "points expired"
        lots = list(lots.order_by("expires_at", "earned_at", "pk"))
        total = sum(lot.remaining for lot in lots)
        if total == 0:
            return None
        if not is_inactivity_expiry(program):
            # The points expired on their date, not when this run found them.
            occurred_at = max(lot.expires_at for lot in lots)
        entry = debit_write(
            account=account,
            kind=EntryKind.EXPIRE,
            points=total,
            reason=reason,
            lots=lots,
            allow_debt=False,
            program_version=version,
            occurred_at=min(occurred_at, at),
        )
        points_expired(entry=entry)
        return entry


# --- Checks ------------------------------------------------------------------------------------


def account_recompute(*, member) -> dict[str, Any]:
    """Derive the balances from entries and lots and compare them with the stored account.
    `consistent` is False if any invariant is broken; `problems` says which."""
    entries = LedgerEntry.objects.filter(member=member)
    entries_sum = entries.aggregate(total=Sum("points"))["total"] or 0
    lifetime = (
        entries.filter(
            Q(kind__in=LIFETIME_KINDS)
            | Q(kind=EntryKind.REVERSAL, reverses__kind__in=LIFETIME_KINDS)
        ).aggregate(total=Sum("points"))["total"]
        or 0
    )
    lots = PointsLot.objects.filter(member=member)
    available = lots.filter(is_matured=True).aggregate(total=Sum("remaining"))["total"] or 0
    pending = lots.filter(is_matured=False).aggregate(total=Sum("remaining"))["total"] or 0
    derived = {
        "available": available,
        "pending": pending,
        "lifetime": lifetime,
        "debt": available + pending - entries_sum,
    }
    account = LoyaltyAccount.objects.filter(member=member).first()
    stored = (
        {name: getattr(account, name) for name in derived} if account else dict.fromkeys(derived, 0)
    )
    problems = [
        f"{name}: stored {stored[name]}, derived {derived[name]}"
        for name in derived
        if stored[name] != derived[name]
    ]
    if derived["debt"] < 0:
        problems.append(f"derived debt is negative ({derived['debt']})")
    allocated = dict(
        LotAllocation.objects.filter(lot__member=member)
        .values_list("lot_id")
        .annotate(total=Sum("points"))
    )
    for lot in lots:
        expected = lot.points - allocated.get(lot.pk, 0) - lot.debt_paid
        if lot.remaining != expected:
            problems.append(f"lot {lot.pk}: remaining {lot.remaining}, derived {expected}")
    return {
        "stored": stored,
        "derived": derived,
        "entries_sum": entries_sum,
        "consistent": not problems,
        "problems": problems,
    }
