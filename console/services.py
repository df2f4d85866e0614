"""Writes of the staff console. Each checks the actor's role (the views check it too, but a rule
that only a view enforces is one refactor away from gone), calls the domain service with the
actor, and records a StaffAction once per thing done.

Console forms carry a one-time token (a UUID drawn when the form is shown); it becomes the
purchase's or refund's external_id, so a double click or a resubmitted form is replayed by the
ledger's idempotency instead of crediting twice.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from config.once import once_begin
from console.permissions import (
    ADJUST,
    ADJUST_ANY,
    BLOCK,
    CONSUME_VOUCHER,
    ENROL,
    RECORD_PURCHASE,
    RECORD_PURCHASE_ABOVE_LIMIT,
    REFUND,
    staff_can,
    staff_permission_require,
)
from loyalty.models import LedgerEntry, Purchase, Refund
from loyalty.selectors.program import ProgramNotConfigured, program_version_at
from loyalty.services.enrolment import member_join
from loyalty.services.ledger import LedgerError, ReasonRequired, points_adjust
from loyalty.services.purchases import DuplicateExternalId, purchase_record, refund_record
from members.birthdays import Birthday
from members.models import (
    ConsentChange,
    ConsentKind,
    ConsentSource,
    Member,
    MemberStatus,
    StaffAction,
    StaffActionKind,
)
from members.services import member_claim_invite
from rewards.services.vouchers import voucher_consume

PURCHASE_PREFIX = "console-"
REFUND_PREFIX = "console-refund-"


class AdjustmentAboveLimit(LedgerError):
    """An adjustment bigger than STAFF_CASHIER_MAX_ADJUSTMENT by someone without
    `adjust_points_any`: a manager must make it."""

    code = "adjustment_above_limit"
    field = "points"
    template = _lazy(
        "Adjustments above %(limit)s points need a manager. Ask a manager to make this "
        "one, or adjust by %(limit)s points at most."
    )

    def __init__(self, *, limit: int):
        self.limit = limit
        super().__init__(limit=limit)


def action_record(
    *,
    actor,
    kind: str,
    key: str,
    member: Member | None = None,
    subject: str = "",
    reason: str = "",
    details=None,
) -> StaffAction:
    """The StaffAction for one thing done, about a member (the till) or a subject (the
    marketer's `segment:<code>`, `campaign:<code>`). In the caller's transaction, so the record
    and the action commit or roll back together."""
    # get_or_create on the unique key: a replayed purchase or refund is recorded once.
    try:
        with transaction.atomic():
            action, _created = StaffAction.objects.get_or_create(
                key=key,
                defaults={
                    "actor": actor,
                    "member": member,
                    "subject": subject,
                    "kind": kind,
                    "reason": reason[:500],
                    "details": details or {},
                },
            )
    except IntegrityError:
        action = StaffAction.objects.get(key=key)
    return action


# --- Adjustments -------------------------------------------------------------------------------


def points_adjust_by_staff(
    *, member: Member, points: int, reason: str, actor, token=None
) -> LedgerEntry:
    """Add (positive) or take (negative) points with a mandatory reason. Above the cashier limit
    (setting STAFF_CASHIER_MAX_ADJUSTMENT, either way) only `adjust_points_any` may: anyone else
    gets AdjustmentAboveLimit and nothing changes. Raises ReasonRequired, AdjustmentZero,
    InsufficientPoints (never below zero) from the ledger. The form's `token` makes a double
    submit adjust once (config.once): the repeat answers the first adjustment."""
    staff_permission_require(actor, ADJUST)
    limit = settings.STAFF_CASHIER_MAX_ADJUSTMENT
    if abs(points) > limit and not staff_can(actor, ADJUST_ANY):
        raise AdjustmentAboveLimit(limit=limit)
    with transaction.atomic():
        attempt = None
        if token is not None:
            attempt = once_begin(scope=f"staff:{actor.pk}", key=f"adjust:{token}")
            if not attempt.first:
                return LedgerEntry.objects.get(pk=attempt.outcome)
        entry = points_adjust(member=member, points=points, reason=reason, actor=actor)
        if attempt is not None:
            attempt.done(entry.pk)
        action_record(
            actor=actor,
            member=member,
            kind=StaffActionKind.ADJUST,
            key=f"adjust:{entry.pk}",
            reason=entry.reason,
            details={"points": points, "entry": entry.pk},
        )
    return entry


# --- Purchases and refunds ---------------------------------------------------------------------


def console_currency(*, at=None) -> str:
    """The program's currency: the console records purchases in it and nothing else."""
    return program_version_at(at=at or timezone.now()).definition.currency


def console_purchase_limit(*, at=None) -> Decimal | None:
    """The program's `max_purchase_amount` now (None: no limit, or no program yet)."""
    try:
        return program_version_at(at=at or timezone.now()).definition.max_purchase_amount
    except ProgramNotConfigured:
        return None


def purchase_record_by_staff(
    *,
    member: Member,
    token: uuid.UUID,
    amount: Decimal,
    channel: str,
    items: list[dict] | None = None,
    actor,
    confirm_above_limit: bool = False,
) -> tuple[Purchase, bool]:
    """Record a purchase made now, in the program's currency, as `console-<token>`. Returns
    (purchase, created); the same token again returns the first purchase, created False.

    An amount above the program's `max_purchase_amount` raises AmountAboveLimit unless a
    manager (`record_purchase_above_limit`) confirms it; such a purchase is recorded as a
    `purchase_above_limit` staff action."""
    staff_permission_require(actor, RECORD_PURCHASE)
    if confirm_above_limit:
        staff_permission_require(actor, RECORD_PURCHASE_ABOVE_LIMIT)
    external_id = f"{PURCHASE_PREFIX}{token}"
    existing = _console_purchase(member, external_id)
    if existing is not None:
        return existing, False
    now = timezone.now()
    with transaction.atomic():
        try:
            purchase, created = purchase_record(
                member=member,
                external_id=external_id,
                amount=amount,
                currency=console_currency(at=now),
                purchased_at=now,
                channel=channel,
                items=items or [],
                actor=actor,
                allow_above_limit=confirm_above_limit,
            )
        except DuplicateExternalId:
            # Two submits of one form racing: the second's body differs from the first's only
            # by its time (purchased_at is "now"), so the ledger refuses it as a different body.
            # It is the same sale: answer with the first one.
            existing = _console_purchase(member, external_id)
            if existing is None:
                raise
            return existing, False
        if created:
            limit = purchase.program_version.definition.max_purchase_amount
            above_limit = limit is not None and purchase.amount > limit
            details = {
                "external_id": external_id,
                "amount": str(purchase.amount),
                "points": purchase.points,
            }
            action_record(
                actor=actor,
                member=member,
                kind=StaffActionKind.PURCHASE_ABOVE_LIMIT
                if above_limit
                else StaffActionKind.PURCHASE,
                key=f"purchase:{purchase.pk}",
                details={**details, "limit": str(limit)} if above_limit else details,
            )
    return purchase, created


def _console_purchase(member: Member, external_id: str) -> Purchase | None:
    purchase = Purchase.objects.filter(external_id=external_id).first()
    if purchase is not None and purchase.member_id != member.pk:
        # A token is drawn for one member's form; replaying it for another is not a replay.
        raise DuplicateExternalId(external_id)
    return purchase


def refund_record_by_staff(
    *, purchase: Purchase, token: uuid.UUID, amount: Decimal, reason: str, actor
) -> Refund:
    """Refund part or all of `purchase` with a reason (managers). The points go back as
    loyalty.services.purchases.refund_record decides; the reason is kept on the StaffAction."""
    staff_permission_require(actor, REFUND)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        refund = refund_record(
            purchase=purchase,
            external_id=f"{REFUND_PREFIX}{token}",
            amount=amount,
            actor=actor,
        )
        action_record(
            actor=actor,
            member=purchase.member,
            kind=StaffActionKind.REFUND,
            key=f"refund:{refund.pk}",
            reason=reason,
            details={
                "purchase": purchase.external_id,
                "amount": str(refund.amount),
                "points_taken": refund.points_taken,
            },
        )
    return refund


# --- Vouchers ----------------------------------------------------------------------------------


def voucher_consume_by_staff(*, code: str, actor, order_ref: str = ""):
    """Use a voucher at the till, once (rewards.services.vouchers.voucher_consume decides)."""

    staff_permission_require(actor, CONSUME_VOUCHER)
    with transaction.atomic():
        voucher = voucher_consume(code=code, order_ref=order_ref.strip(), actor=actor)
        action_record(
            actor=actor,
            member=voucher.redemption.member,
            kind=StaffActionKind.VOUCHER_CONSUME,
            key=f"voucher:{voucher.pk}",
            details={"code": voucher.code, "order_ref": voucher.order_ref},
        )
    return voucher


# --- Blocking ----------------------------------------------------------------------------------


def member_block(*, member: Member, reason: str, actor) -> Member:
    """Block the member (managers): from now on they earn nothing, redeem nothing and none of
    their vouchers is consumed (members.status). The reason is required; the block and its
    reason are kept on the member and as a StaffAction. Blocking a blocked member changes
    nothing (a double submit records one block). Raises ReasonRequired, ActionNotAllowed."""
    staff_permission_require(actor, BLOCK)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.status != MemberStatus.BLOCKED:
            _status_write(
                locked, MemberStatus.BLOCKED, reason=reason[:500], at=timezone.now(), by=actor
            )
            action_record(
                actor=actor,
                member=locked,
                kind=StaffActionKind.BLOCK,
                key=f"block:{uuid.uuid4()}",
                reason=locked.blocked_reason,
            )
    _status_copy(locked, member)
    return member


def _status_write(locked: Member, status: str, *, reason: str = "", at=None, by=None) -> None:
    """Set the locked member's status and its block fields together (the model's check
    constraint wants a block complete and an active member without one)."""
    locked.status = status
    locked.blocked_reason = reason
    locked.blocked_at = at
    locked.blocked_by = by
    locked.save(update_fields=["status", "blocked_reason", "blocked_at", "blocked_by"])


def member_unblock(*, member: Member, actor) -> Member:
    """Unblock the member (managers): everything a block refused works again. The block's
    reason, time and author go with the StaffAction that records the unblock. Unblocking an
    active member changes nothing. Raises ActionNotAllowed."""
    staff_permission_require(actor, BLOCK)
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.status == MemberStatus.BLOCKED:
            details = {
                "blocked_reason": locked.blocked_reason,
                "blocked_at": locked.blocked_at.isoformat(),
                "blocked_by": locked.blocked_by_id,
            }
            _status_write(locked, MemberStatus.ACTIVE)
            action_record(
                actor=actor,
                member=locked,
                kind=StaffActionKind.UNBLOCK,
                key=f"unblock:{uuid.uuid4()}",
                details=details,
            )
    _status_copy(locked, member)
    return member


def _status_copy(source: Member, target: Member) -> None:
    for field in ("status", "blocked_reason", "blocked_at", "blocked_by_id"):
        setattr(target, field, getattr(source, field))


# --- Enrolment ---------------------------------------------------------------------------------


def member_enrol_by_staff(
    *,
    actor,
    email: str,
    first_name: str,
    last_name: str = "",
    phone: str = "",
    birthday: Birthday | None = None,
    language: str = "en",
    time_zone: str = "",
    marketing_email_opt_in: bool = False,
    marketing_sms_opt_in: bool = False,
) -> Member:
    """Enrol a walk-in customer, who is mailed (in their language, once this commits) a link
    to set a password for the account made for them (members.services.member_claim_invite).
    The consents asked at the till are recorded as given there, ticked or not. `time_zone`:
    blank for the program's (members.services.member_enrol)."""
    staff_permission_require(actor, ENROL)
    with transaction.atomic():
        member = member_join(
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            phone=phone.strip(),
            birthday=birthday,
            language=language,
            time_zone=time_zone,
            marketing_email_opt_in=marketing_email_opt_in,
            marketing_sms_opt_in=marketing_sms_opt_in,
        )
        now = timezone.now()
        ConsentChange.objects.bulk_create(
            ConsentChange(
                member=member, kind=kind, granted=granted, at=now, source=ConsentSource.STAFF
            )
            for kind, granted in (
                (ConsentKind.MARKETING_EMAIL, marketing_email_opt_in),
                (ConsentKind.MARKETING_SMS, marketing_sms_opt_in),
            )
        )
        action_record(
            actor=actor, member=member, kind=StaffActionKind.ENROL, key=f"enrol:{member.pk}"
        )
        member_claim_invite(member=member)
    return member
