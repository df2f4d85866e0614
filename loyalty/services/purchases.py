"""Purchases and refunds: scoring, the earn entry and its lot, idempotent replay, rescoring refunds.

A purchase is scored with the program version in force at `purchased_at` and the member's tier at
that time (the tier history); a refund rescores what is left with the same version and tier and
takes the difference back.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from loyalty.definition import ProgramDefinition
from loyalty.events import purchase_recorded, purchase_refunded
from loyalty.models import EntryKind, LoyaltyAccount, PointsLot, ProgramVersion, Purchase, Refund
from loyalty.models.ledger import CHANNELS, Channel
from loyalty.money import decimal_plain, decimal_text, money_quantize, money_text
from loyalty.rules.credit import earn_lot_dates
from loyalty.rules.refund import ItemsNotLeft, refund_items_left, refund_rescore
from loyalty.rules.tiers import qualifying_total_with, tier_can_rise, tier_when_purchased
from loyalty.scoring import Score, items_from_stored, score_purchase
from loyalty.selectors.program import program_version_at
from loyalty.selectors.tiers import qualifying_total_query, tier_at, tier_history
from loyalty.services.ledger import (
    LedgerError,
    account_lock,
    account_lock_at,
    credit_rows,
    credit_rows_write,
    debit_write,
)
from loyalty.services.tiers import tier_refund_check, tier_upgrade_check
from members.status import member_active_require

FUTURE_TOLERANCE = datetime.timedelta(minutes=5)
# The most item lines one purchase may carry (API.md): a till's basket, not a bulk load.
MAX_ITEMS = 500


# --- Errors ----------------------------------------------------------------------------------


class DuplicateExternalId(LedgerError):
    code = "duplicate_external_id"
    status = 409
    template = _lazy("%(external_id)s was already posted with another body.")

    def __init__(self, external_id: str):
        super().__init__(external_id=external_id)


class CurrencyMismatch(LedgerError):
    code = "currency_mismatch"
    template = _lazy("The program counts in %(expected)s, not %(currency)s.")

    def __init__(self, *, currency: str, expected: str):
        super().__init__(currency=currency, expected=expected)


class PurchasedAtInFuture(LedgerError):
    code = "purchased_at_in_future"
    template = _lazy("purchased_at is more than five minutes in the future.")


class InvalidPurchase(LedgerError):
    """A value the API validates too (negative amount, bad item, unknown channel): answered as
    the API's field errors are, `invalid` with the message at the field."""

    code = "invalid"

    def __init__(self, field: str, message: str):
        self.field = field
        self.template = message
        super().__init__()

    def api_detail(self, language: str | None = None) -> str:
        return str(_lazy("Invalid input."))

    def __str__(self) -> str:  # as the import's reports word it
        return f"{self.field}: {self.message('en')}"


class AmountAboveLimit(LedgerError):
    """Above the program's `max_purchase_amount`; a manager may still record it in the console
    (`allow_above_limit`)."""

    code = "amount_above_limit"
    field = "amount"
    template = _lazy("%(amount)s is above the program's limit of %(limit)s for one purchase.")

    def __init__(self, *, amount: Decimal, limit: Decimal, currency: str):
        self.amount = amount
        self.limit = limit
        self.currency = currency
        super().__init__(amount=amount, limit=limit)

    def render(self) -> str:
        return str(self.template) % {
            "amount": money_text(self.amount, self.currency),
            "limit": money_text(self.limit, self.currency),
        }


class ItemsExceedAmount(LedgerError):
    """The lines (Σ quantity * unit_price) are worth more than the amount paid: rules that
    count the lines would credit money nobody spent."""

    code = "items_exceed_amount"
    field = "items"
    template = _lazy("The items add up to %(items)s, more than the amount of %(amount)s.")

    def __init__(self, *, items_total: Decimal, amount: Decimal, currency: str):
        self.items_total = items_total
        self.amount = amount
        self.currency = currency
        super().__init__(items=items_total, amount=amount)

    def render(self) -> str:
        return str(self.template) % {
            "items": money_text(self.items_total, self.currency),
            "amount": money_text(self.amount, self.currency),
        }


class RefundExceedsPurchase(LedgerError):
    code = "refund_exceeds_purchase"
    template = _lazy("The refund is more than what is left of the purchase.")

    def __init__(self, message: str | None = None):
        if message is not None:
            self.template = message
        super().__init__()


# --- Normalizing the request -------------------------------------------------------------------


def _decimal(value: Any, field: str) -> Decimal:
    """A number given as a plain decimal string ("54.90"), an int or a Decimal; never a float
    (its text is lost) nor a string with an exponent ("1e5") or a sign."""
    if isinstance(value, float | bool):
        raise InvalidPurchase(field, "must be a decimal string, not a float")
    if isinstance(value, str):
        number = decimal_plain(value.strip())
        if number is None:
            raise InvalidPurchase(field, _('Write it as a plain decimal number, such as "54.90".'))
        return number
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidPurchase(field, "is not a number") from None
    if not number.is_finite():
        raise InvalidPurchase(field, "is not a number")
    return number


def items_normalize(items: list[dict] | None, *, currency: str) -> list[dict[str, Any]]:
    """Items as stored and fingerprinted: sku, category (None when absent), quantity and
    unit_price as canonical decimal strings, in the order given."""
    normalized = []
    for index, item in enumerate(items or ()):
        field = f"items[{index}]"
        if not isinstance(item, dict):
            raise InvalidPurchase(field, "must be an object")
        quantity = _decimal(item.get("quantity", 1), f"{field}.quantity")
        unit_price = _decimal(item.get("unit_price", 0), f"{field}.unit_price")
        if quantity < 0 or unit_price < 0:
            raise InvalidPurchase(field, "quantity and unit_price must not be negative")
        normalized.append(
            {
                "sku": str(item.get("sku") or ""),
                "category": str(item["category"]) if item.get("category") else None,
                "quantity": decimal_text(quantity),
                "unit_price": str(money_quantize(unit_price, currency)),
            }
        )
    return normalized


@dataclass(frozen=True)
class PurchaseInput:
    member: Any
    external_id: str
    amount: Decimal
    currency: str
    purchased_at: datetime.datetime
    channel: str
    items: list[dict[str, Any]]
    version: ProgramVersion

    @property
    def program(self) -> ProgramDefinition:
        return self.version.definition

    def fingerprint(self) -> str:
        body = {
            "member": self.member.pk,
            "amount": str(self.amount),
            "currency": self.currency,
            "purchased_at": self.purchased_at.astimezone(datetime.UTC).isoformat(),
            "channel": self.channel,
            "items": self.items,
        }
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _purchased_at_check(purchased_at: datetime.datetime) -> None:
    if timezone.is_naive(purchased_at):
        raise InvalidPurchase("purchased_at", "needs a time zone offset")


def _purchase_input(
    *,
    member,
    external_id,
    amount,
    currency,
    purchased_at,
    channel,
    items,
    version=None,
    allow_above_limit=False,
) -> PurchaseInput:
    """Validate everything before anything is written. `version` is the one in force at
    `purchased_at` when the caller has read it already."""
    if not external_id or not str(external_id).strip():
        raise InvalidPurchase("external_id", "is required")
    _purchased_at_check(purchased_at)
    if purchased_at > timezone.now() + FUTURE_TOLERANCE:
        raise PurchasedAtInFuture()
    if channel not in CHANNELS:
        raise InvalidPurchase("channel", f"must be one of {', '.join(Channel.values)}")
    if version is None:
        version = program_version_at(at=purchased_at)
    program = version.definition
    if currency != program.currency:
        raise CurrencyMismatch(currency=currency, expected=program.currency)
    amount = _decimal(amount, "amount")
    if money_quantize(amount, currency) != amount:
        raise InvalidPurchase("amount", f"has more decimals than {currency} allows")
    amount = money_quantize(amount, currency)
    if items is not None and len(items) > MAX_ITEMS:
        raise InvalidPurchase(
            "items", _("A purchase has at most %(count)s items.") % {"count": MAX_ITEMS}
        )
    normalized = items_normalize(items, currency=currency)
    purchase_limits_check(
        program=program, amount=amount, items=normalized, allow_above_limit=allow_above_limit
    )
    return PurchaseInput(
        member=member,
        external_id=str(external_id),
        amount=amount,
        currency=currency,
        purchased_at=purchased_at,
        channel=channel,
        items=normalized,
        version=version,
    )


def items_total(items: list[dict[str, Any]]) -> Decimal:
    """Σ quantity * unit_price of normalized items."""
    return sum(
        (Decimal(item["quantity"]) * Decimal(item["unit_price"]) for item in items), Decimal(0)
    )


def purchase_limits_check(
    *,
    program: ProgramDefinition,
    amount: Decimal,
    items: list[dict[str, Any]],
    allow_above_limit: bool = False,
) -> None:
    """What keeps a purchase from minting points, on every path (API, console, import): an
    amount above zero, lines worth no more than it, and no more than the program's
    `max_purchase_amount` unless a manager confirmed it (`allow_above_limit`)."""
    if amount <= 0:
        raise InvalidPurchase("amount", _("Must be greater than zero."))
    limit = program.max_purchase_amount
    if limit is not None and amount > limit and not allow_above_limit:
        raise AmountAboveLimit(amount=amount, limit=limit, currency=program.currency)
    total = items_total(items)
    if total > amount:
        raise ItemsExceedAmount(items_total=total, amount=amount, currency=program.currency)


def _score(data: PurchaseInput, *, tier_code: str | None) -> Score:
    return score_purchase(
        program=data.program,
        tier_code=tier_code,
        amount=data.amount,
        items=items_from_stored(data.items),
        purchased_at=data.purchased_at,
        channel=data.channel,
    )


# --- Purchases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    points: int
    breakdown: list[dict[str, Any]]
    tier_code: str | None
    available_at: datetime.datetime


def purchase_preview(
    *,
    member,
    amount,
    currency,
    purchased_at,
    channel,
    items=None,
    external_id="preview",
    allow_above_limit=False,
) -> Preview:
    """What `purchase_record` would credit for this body now; writes nothing. A blocked member
    would earn nothing: MemberBlocked (the copy of the member given is read as it is)."""
    member_active_require(member=member, status=member.status)
    data = _purchase_input(
        member=member,
        external_id=external_id,
        amount=amount,
        currency=currency,
        purchased_at=purchased_at,
        channel=channel,
        items=items,
        allow_above_limit=allow_above_limit,
    )
    tier_code = tier_at(member=member, at=purchased_at, program=data.program)
    score = _score(data, tier_code=tier_code)
    dates = earn_lot_dates(program=data.program, earned_at=purchased_at)
    return Preview(
        points=score.points,
        breakdown=score.breakdown,
        tier_code=tier_code,
        available_at=dates.available_at or purchased_at,
    )


def _tier_when_purchased(account: LoyaltyAccount, data: PurchaseInput) -> str | None:
    """The member's tier at purchased_at. The locked account knows the tier since its last
    change, which covers every purchase but a backdated one: only those read the history."""
    return tier_when_purchased(
        data.program,
        code=account.tier_code,
        since=account.tier_since,
        at=data.purchased_at,
        history=lambda: tier_history(member=data.member, at=data.purchased_at),
    )


def earn_reason(external_id: str) -> str:
    """The reason of a purchase's earn entry, live or imported."""
    return f"purchase {external_id}"


def _replay(data: PurchaseInput, existing: Purchase) -> tuple[Purchase, bool]:
    if existing.fingerprint != data.fingerprint():
        raise DuplicateExternalId(data.external_id)
    return existing, False


# The purchase's first statement: the member's account locked (lock order: account, then
# purchase, then lots), the member, and the version in force (VERSION_AT_SQL's parameter first).
def purchase_record(
    *,
    member=None,
    member_number: str | None = None,
    external_id: str,
    amount,
    currency: str,
    purchased_at: datetime.datetime,
    channel: str,
    items: list[dict] | None = None,
    actor=None,
    allow_above_limit: bool = False,
) -> tuple[Purchase, bool]:
    """Record a purchase and credit its points: one `earn` entry with the breakdown and one lot,
    pending for the program's `pending_days` from `purchased_at`, expiring (rolling policy) N
    months after it. Returns (purchase, created). The same external_id with the same body returns
    the first purchase and credits nothing (created False); with another body, raises
    DuplicateExternalId. Then upgrades the tier at once if the purchase crossed a threshold (the
    purchase itself is scored at the tier before it).

    The member is `member`, or the one with `member_number` (MemberNotFound if none): the API
    gives the number, so finding the member costs no statement of its own.

    Refused before anything is written: an amount of zero or less, lines worth more than the
    amount (ItemsExceedAmount), more than MAX_ITEMS lines, and an amount above the program's
    `max_purchase_amount` (AmountAboveLimit) unless `allow_above_limit` (a manager's
    confirmation in the console; the caller checks who may give it). A blocked member earns
    nothing: MemberBlocked, and nothing is written (even for an external_id recorded before the
    block: the replay answers again once the member is unblocked)."""
    if (member is None) == (member_number is None):
        raise TypeError("purchase_record needs member or member_number")
    _purchased_at_check(purchased_at)
    now = timezone.now()
    with transaction.atomic():
        account, member, version = account_lock_at(
            member=member, member_number=member_number, at=purchased_at
        )
        data = _purchase_input(
            member=member,
            external_id=external_id,
            amount=amount,
            currency=currency,
            purchased_at=purchased_at,
            channel=channel,
            items=items,
            version=version,
            allow_above_limit=allow_above_limit,
        )
        tier_code = _tier_when_purchased(account, data)
        score = _score(data, tier_code=tier_code)
        purchase = Purchase(
            external_id=data.external_id,
            member=member,
            amount=data.amount,
            currency=data.currency,
            purchased_at=purchased_at,
            channel=channel,
            items=data.items,
            program_version=data.version,
            tier_code=tier_code or "",
            points=score.points,
            earned_points=score.points,
            breakdown=score.breakdown,
            fingerprint=data.fingerprint(),
            created_at=now,
        )
        dates = earn_lot_dates(program=data.program, earned_at=purchased_at)
        entry, lot = credit_rows(
            account=account,
            kind=EntryKind.EARN,
            points=score.points,
            reason=earn_reason(data.external_id),
            earned_at=purchased_at,
            available_at=dates.available_at,
            expires_at=dates.expires_at,
            breakdown=score.breakdown,
            purchase=purchase,
            program_version=data.version,
            actor=actor,
            occurred_at=purchased_at,
            now=now,
        )
        # As of the purchase: imported history upgrades when it would have; a purchase a few
        # minutes ahead of our clock still counts. The total before this purchase comes with
        # the write (one round trip for the purchase, its entry, its lot, the balances and it).
        rising = tier_can_rise(data.program, account.tier_code)
        total_query = (
            qualifying_total_query(member=account.member_id, program=data.program, at=purchased_at)
            if rising
            else None
        )
        event = purchase_recorded(
            member_id=member.pk,
            external_id=data.external_id,
            amount=data.amount,
            currency=data.currency,
            purchased_at=purchased_at,
            channel=channel,
            points=score.points,
            now=now,
        )
        # The unique index on external_id decides between posts of one purchase: a later one
        # (or one waiting for the first's commit) writes nothing and replays the first's answer.
        written, total_before = credit_rows_write(
            account,
            [purchase, entry, lot, event],
            unless_conflict_on="external_id",
            select=total_query,
        )
        if not written:
            return _replay(data, Purchase.objects.get(external_id=data.external_id))
        if rising:
            total = qualifying_total_with(data.program, total_before, purchase, purchased_at)
            tier_upgrade_check(account=account, at=purchased_at, program=data.program, total=total)
    # What purchase_status would read back from the lot just written (none for 0 points).
    purchase._availability = (
        (lot.is_matured, lot.available_at) if lot is not None else (True, purchase.created_at)
    )
    return purchase, True


def purchase_status(purchase: Purchase) -> dict[str, Any]:
    """`status` (pending or available) and `available_on` for the API's answer."""
    known = getattr(purchase, "_availability", None)  # set by purchase_record: no query needed
    if known is None:
        # No ORDER BY ... LIMIT: PostgreSQL would walk the lots' primary key index instead of the
        # purchase's (17 ms on 20,000 lots, measured with bench/earn.py). A purchase has one lot.
        lots = sorted(purchase.lots.values_list("pk", "is_matured", "available_at"))
        if not lots:
            return {"status": "available", "available_on": purchase.created_at}
        known = lots[0][1:]
    is_matured, available_at = known
    return {"status": "available" if is_matured else "pending", "available_on": available_at}


# --- Refunds -----------------------------------------------------------------------------------


def _items_left(purchase: Purchase, refunded: list[list[dict]]) -> list[dict[str, Any]]:
    """The purchase's items less every refunded item (matched on sku and category)."""
    try:
        return refund_items_left(purchase.items, refunded)
    except ItemsNotLeft:
        raise RefundExceedsPurchase(
            "The refund returns items the purchase does not have left."
        ) from None


def refund_record(
    *, purchase: Purchase, external_id: str, amount, items: list[dict] | None = None, actor=None
) -> Refund:
    """Refund part or all of a purchase: rescore what is left with the purchase's program version
    and tier and take the difference back (threshold bonuses no longer met go too; a full refund
    leaves 0). Points come from the purchase's own lot first (pending or not), then the member's
    available points first-in-first-out, and what is missing becomes debt. The same refund
    external_id again returns the first refund and takes nothing. Raises RefundExceedsPurchase
    when the refund is more than what is left. Without `items`, a partial refund leaves the items
    as they were (rules that count items keep counting them)."""
    external_id = str(external_id or "").strip()
    if not external_id:
        raise InvalidPurchase("external_id", "is required")
    amount = _decimal(amount, "amount")
    if amount <= 0:
        raise InvalidPurchase("amount", "must be positive")
    if money_quantize(amount, purchase.currency) != amount:
        raise InvalidPurchase("amount", f"has more decimals than {purchase.currency} allows")
    refund_items = items_normalize(items, currency=purchase.currency)
    existing = Refund.objects.filter(purchase=purchase, external_id=external_id).first()
    if existing is not None:
        return _refund_replay(existing, amount)
    now = timezone.now()
    with transaction.atomic():
        # Lock order: account, then purchase, then lots (the same as purchase_record's).
        account = account_lock(member=purchase.member)
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        existing = Refund.objects.filter(purchase=purchase, external_id=external_id).first()
        if existing is not None:
            return _refund_replay(existing, amount)
        amount_left = purchase.amount - purchase.refunded_amount - amount
        if amount_left < 0:
            raise RefundExceedsPurchase()
        refunded_items = [
            *purchase.refunds.order_by("pk").values_list("items", flat=True),
            refund_items,
        ]
        items_left = _items_left(purchase, refunded_items) if amount_left > 0 else []
        version = purchase.program_version
        score = refund_rescore(
            program=version.definition,
            tier_code=purchase.tier_code or None,
            points_before=purchase.points,
            amount_left=amount_left,
            items_left=items_left,
            purchased_at=purchase.purchased_at,
            channel=purchase.channel,
        )
        new_points, taken, rescored = score.points, score.taken, score.rescored
        refund = Refund.objects.create(
            purchase=purchase,
            external_id=external_id,
            amount=amount,
            items=refund_items,
            points_taken=taken,
            actor=actor,
            created_at=now,
        )
        if taken:
            own_lots = (
                PointsLot.objects.select_for_update()
                .filter(purchase=purchase, remaining__gt=0)
                .order_by("is_matured", "pk")
            )
            debit_write(
                account=account,
                kind=EntryKind.REFUND,
                points=taken,
                reason=f"refund {external_id} of purchase {purchase.external_id}",
                lots=list(own_lots),
                allow_debt=True,
                breakdown=[
                    *rescored.breakdown,
                    {
                        "part": "refund",
                        "amount_left": str(amount_left),
                        "points_before": purchase.points,
                        "points_after": new_points,
                    },
                ],
                purchase=purchase,
                refund=refund,
                program_version=version,
                actor=actor,
                occurred_at=refund.created_at,
                now=now,
            )
        purchase.points = new_points
        purchase.refunded_amount += amount
        purchase.breakdown = rescored.breakdown
        purchase.save(update_fields=["points", "refunded_amount", "breakdown"])
        # A tier this period's purchases reached and the refunded total no longer reaches is
        # taken back now; any other downgrade waits for the review date (services.tiers).
        tier_refund_check(account=account, at=now)
        purchase_refunded(refund=refund, purchase=purchase)
    return refund


def _refund_replay(existing: Refund, amount: Decimal) -> Refund:
    if existing.amount != amount:
        raise DuplicateExternalId(existing.external_id)
    return existing
