"""Referrals (PROGRAM.md's referral rule; CAMPAIGNS.md, Automations and Referral checks): a
member who joined with another's code is a Referral, rewarded when their first purchase becomes
available (past the return window): the rule's `points` to the referrer, `referee_points` to
the friend, both told (the `referral` automation's two messages).

The checks, each with its reason on the row for staff to read:

- **self-referral**: the friend is the referrer under another account: the same email once dots
  and `+tags` are taken out of its local part, or the same phone (its last nine digits, so
  `+34 612 34 56 78` is `612345678`). The card is the member itself: a member cannot join with
  their own code (a database constraint), and a second card is a second member whose email or
  phone gives them away.
- **bursts**: more than 5 sign-ups with one code from one network address in 24 hours are held
  for review (every one of them not yet rewarded); a manager releases or rejects each. Only
  portal sign-ups carry an address: enrolments through the API come from the shop's own servers
  and at the till from the shop, so the address would say nothing about the customer.
- **monthly cap**: past the rule's `monthly_cap` referrals rewarded in a calendar month (the
  program's time zone), the referrer gets nothing more that month; the friend still gets theirs.
- **refunds**: a first purchase fully refunded before it became available rewards nobody; fully
  refunded afterwards, both bonuses are taken back as a refund takes back points (debt if they
  were spent).

The points are the program's: the rule decides them (no referral rule, no points). The
`referral` automation decides the messages: turned off, the points still come, untold.

Once: one Referral per friend (a unique key), the bonuses keyed `referral:<friend id>` for the
referrer and `referral:referee` for the friend (unique per member), the messages by the delivery
log's (automation, member, occasion = the friend's id).
"""

from __future__ import annotations

import datetime
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import AutomationCode, CampaignChannel
from campaigns.models.referrals import Referral, ReferralReason, ReferralStatus
from campaigns.selectors.automations import automation_enabled
from campaigns.services.deliveries import deliveries_queue, delivery_new
from campaigns.tasks import deliveries_kick
from config.domain import DomainError
from loyalty.models import PointsLot, Purchase
from loyalty.scoring import event_bonus_rule
from loyalty.selectors.program import program_in_force
from loyalty.services.ledger import bonus_take_back, event_bonus_award
from members.models import Member

REFERRAL = AutomationCode.REFERRAL.value
BURST_SIGNUPS = 5
BURST_WINDOW = datetime.timedelta(hours=24)
PHONE_DIGITS = 9
REFERRER_REASON = "referral bonus"
REFEREE_REASON = "referral bonus (invited)"
REFEREE_KEY = "referee"
_GMAIL_DOMAINS = {"googlemail.com": "gmail.com"}


class ReferralNotHeld(DomainError):
    code = "referral_not_held"
    status = 409
    template = _("Only a held referral can be released or rejected.")


def email_identity(email: str) -> str:
    """The mailbox behind an address: lower case, `+tag` and dots out of the local part."""
    local, _at, domain = (email or "").strip().lower().rpartition("@")
    if not local:
        return ""
    local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{_GMAIL_DOMAINS.get(domain, domain)}"


def phone_identity(phone: str) -> str:
    """The subscriber part of a phone number: its last nine digits (the country code and a
    national leading zero differ between ways of writing one number); "" when too short."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-PHONE_DIGITS:] if len(digits) >= PHONE_DIGITS else ""


def is_same_person(referrer: Member, referee: Member) -> bool:
    if email_identity(referrer.user.email) == email_identity(referee.user.email):
        return True
    phone = phone_identity(referee.phone)
    return bool(phone) and phone == phone_identity(referrer.phone)


def _burst_members(referee: Member) -> list[int]:
    """The sign-ups with the referee's code from their address in some 24 hours around theirs,
    when more than BURST_SIGNUPS: their member ids (the referee's included); else []."""
    if not referee.signup_address:
        return []
    signups = list(
        Member.objects.filter(
            referred_by_id=referee.referred_by_id,
            signup_address=referee.signup_address,
            joined_at__gte=referee.joined_at - BURST_WINDOW,
            joined_at__lte=referee.joined_at + BURST_WINDOW,
        )
        .order_by("joined_at", "pk")
        .values_list("pk", "joined_at")
    )
    in_burst: set[int] = set()
    start = 0
    for end in range(len(signups)):
        while signups[end][1] - signups[start][1] > BURST_WINDOW:
            start += 1
        if end - start + 1 > BURST_SIGNUPS:
            in_burst.update(pk for pk, _joined in signups[start : end + 1])
    return sorted(in_burst) if referee.pk in in_burst else []


def referral_open(*, referee_id: int) -> Referral | None:
    """The referral of a member who joined with a code, checked: rejected for a self-referral,
    held (with the rest of its burst) for a burst of sign-ups from one address, else pending.
    Once per friend; None for a member who joined without a code."""
    referee = Member.objects.select_related("user", "referred_by__user").get(pk=referee_id)
    if referee.referred_by_id is None:
        return None
    with transaction.atomic():
        referral, created = Referral.objects.get_or_create(
            referee=referee,
            defaults={"referrer_id": referee.referred_by_id, "created_at": referee.joined_at},
        )
        if not created:
            return referral
        if is_same_person(referee.referred_by, referee):
            _status_set(referral, ReferralStatus.REJECTED, ReferralReason.SELF_REFERRAL)
            return referral
        burst = _burst_members(referee)
        if burst:
            Referral.objects.filter(
                referee_id__in=burst, status=ReferralStatus.PENDING, released=False
            ).update(status=ReferralStatus.HELD, reason=ReferralReason.ADDRESS_BURST)
            referral.refresh_from_db()
    return referral


def _status_set(referral: Referral, status: str, reason: str = "", **fields) -> None:
    referral.status = status
    referral.reason = reason
    for name, value in fields.items():
        setattr(referral, name, value)
    referral.save(update_fields=["status", "reason", *fields])


def first_purchase(referee_id: int) -> Purchase | None:
    return Purchase.objects.filter(member_id=referee_id).order_by("purchased_at", "pk").first()


def _is_available(purchase: Purchase) -> bool:
    return PointsLot.objects.filter(purchase=purchase, is_matured=True).exists()


def _is_fully_refunded(purchase: Purchase) -> bool:
    return purchase.refunded_amount >= purchase.amount


def referral_purchase_available(
    *, referee_id: int, purchase_ids, at: datetime.datetime | None = None
) -> Referral | None:
    """Some of the member's purchases became available: if the first is among them and the
    member is a pending referral, reward it (or reject it, its first purchase fully refunded).
    Returns the referral when decided now."""
    first = first_purchase(referee_id)
    if first is None or first.pk not in set(purchase_ids):
        return None
    referral_open(referee_id=referee_id)  # its enrolment's event not handed over yet
    return _decide(referee_id=referee_id, purchase=first, at=at or timezone.now())


def referral_purchase_recorded_available(*, member_id: int, external_id: str) -> None:
    """A purchase just recorded: if it is available already (no return window to wait for),
    it counts for the member's referral as a maturing purchase would."""
    purchase = Purchase.objects.filter(member_id=member_id, external_id=external_id).first()
    if purchase is None or not _is_available(purchase):
        return
    if (
        not Referral.objects.filter(referee_id=member_id).exists()
        and not Member.objects.filter(pk=member_id, referred_by__isnull=False).exists()
    ):
        return
    referral_purchase_available(referee_id=member_id, purchase_ids=[purchase.pk])


def _decide(*, referee_id: int, purchase: Purchase, at: datetime.datetime) -> Referral | None:
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update()
            .filter(referee_id=referee_id, status=ReferralStatus.PENDING)
            .first()
        )
        if referral is None:
            return None
        purchase.refresh_from_db()
        if _is_fully_refunded(purchase):
            _status_set(
                referral, ReferralStatus.REJECTED, ReferralReason.REFUNDED, purchase=purchase
            )
            return referral
        _reward(referral, purchase=purchase, at=at)
        return referral


def _month_start(at: datetime.datetime, program) -> datetime.datetime:
    local = at.astimezone(program.zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _reward(referral: Referral, *, purchase: Purchase, at: datetime.datetime) -> None:
    """Credit both (the referrer within the monthly cap), mark the referral rewarded and queue
    the messages, in the caller's transaction (which holds the referral's lock)."""
    program = program_in_force(at=at)
    rule = event_bonus_rule(program=program, event="referral", at=at) if program else None
    if rule is None:
        return  # the program gives nothing for a referral: it stays pending
    # The referrer's row is the lock that counts their month: two friends' purchases becoming
    # available at once are counted one after the other.
    referrer = Member.objects.select_for_update().get(pk=referral.referrer_id)
    referee = Member.objects.get(pk=referral.referee_id)
    rewarded_this_month = Referral.objects.filter(
        referrer_id=referrer.pk,
        status=ReferralStatus.REWARDED,
        referrer_points__gt=0,
        rewarded_at__gte=_month_start(at, program),
    ).count()
    within_cap = rule.monthly_cap is None or rewarded_this_month < rule.monthly_cap
    source = {"source_type": "referral", "source_id": str(referral.pk)}
    referrer_entry = (
        event_bonus_award(
            member=referrer,
            event="referral",
            at=at,
            source_key=str(referee.pk),
            reason=REFERRER_REASON,
            **source,
        )
        if within_cap
        else None
    )
    referee_entry = event_bonus_award(
        member=referee,
        event="referral",
        at=at,
        source_key=REFEREE_KEY,
        points=rule.referee_points or 0,
        reason=REFEREE_REASON,
        **source,
    )
    _status_set(
        referral,
        ReferralStatus.REWARDED,
        "" if within_cap else ReferralReason.MONTHLY_CAP,
        purchase=purchase,
        rewarded_at=at,
        referrer_points=referrer_entry.points if referrer_entry else 0,
        referee_points=referee_entry.points if referee_entry else 0,
    )
    if not automation_enabled(REFERRAL):
        return
    told = [entry.member_id for entry in (referrer_entry, referee_entry) if entry is not None]
    deliveries_queue(
        delivery_new(
            member_id=member_id,
            automation=REFERRAL,
            occasion=str(referee.pk),
            channel=CampaignChannel.EMAIL,
            due_at=at,
        )
        for member_id in told
    )
    if told:
        deliveries_kick()


def referral_purchase_refunded(*, purchase_id: int, at: datetime.datetime | None = None) -> None:
    """A purchase was refunded: if it is a referral's first purchase and is now fully refunded,
    a pending referral is rejected, and a rewarded one has both bonuses taken back."""
    at = at or timezone.now()
    purchase = Purchase.objects.filter(pk=purchase_id).first()
    if purchase is None or not _is_fully_refunded(purchase):
        return
    first = first_purchase(purchase.member_id)
    if first is None or first.pk != purchase.pk:
        return
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update()
            .filter(referee_id=purchase.member_id)
            .exclude(status=ReferralStatus.REJECTED)
            .first()
        )
        if referral is None:
            return
        if referral.status == ReferralStatus.REWARDED:
            source = {"source_type": "referral", "source_id": str(referral.pk)}
            bonus_take_back(
                member=referral.referrer,
                bonus_key=f"referral:{referral.referee_id}",
                reason="referral bonus taken back: the friend's purchase was refunded",
                at=at,
                **source,
            )
            bonus_take_back(
                member=referral.referee,
                bonus_key=f"referral:{REFEREE_KEY}",
                reason="referral bonus taken back: the purchase was refunded",
                at=at,
                **source,
            )
            _status_set(
                referral, ReferralStatus.REJECTED, ReferralReason.TAKEN_BACK, purchase=purchase
            )
        elif referral.status == ReferralStatus.PENDING:
            _status_set(
                referral, ReferralStatus.REJECTED, ReferralReason.REFUNDED, purchase=purchase
            )


def referral_release(*, referral: Referral, actor, at: datetime.datetime | None = None) -> Referral:
    """A manager's release of a held referral: pending again, or rewarded at once when the
    friend's first purchase is available already (ReferralNotHeld otherwise)."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if locked.status != ReferralStatus.HELD:
            raise ReferralNotHeld()
        _status_set(locked, ReferralStatus.PENDING, released=True, decided_at=at, decided_by=actor)
        first = first_purchase(locked.referee_id)
        if first is not None and _is_available(first):
            if _is_fully_refunded(first):
                _status_set(
                    locked, ReferralStatus.REJECTED, ReferralReason.REFUNDED, purchase=first
                )
            else:
                _reward(locked, purchase=first, at=at)
    return locked


def referral_reject(*, referral: Referral, actor, at: datetime.datetime | None = None) -> Referral:
    """A manager's rejection of a held referral (ReferralNotHeld otherwise)."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if locked.status != ReferralStatus.HELD:
            raise ReferralNotHeld()
        _status_set(
            locked,
            ReferralStatus.REJECTED,
            ReferralReason.STAFF,
            decided_at=at,
            decided_by=actor,
        )
    return locked
