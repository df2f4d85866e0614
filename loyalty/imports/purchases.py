"""Import a shop's purchase history from CSV (API.md, "Bulk import"), scored in batches.

Columns: `external_id` (required), `member_email` or `member_number`, `purchased_at`, `amount`,
`currency`, `channel`, and optionally `quantity`, `sku`, `category`, `unit_price` for a
single-line purchase. Choices the contract leaves open, made here:

- `purchased_at` is ISO 8601; without an offset it is read on the program's clock. More than five
  minutes in the future is refused, as live.
- An empty `currency` is the program's; an empty `channel` is `store`.
- A line given without `unit_price` is the whole amount (`amount / quantity`); `quantity`
  defaults to 1.

Each purchase is scored exactly as `purchase_record` would score it (same program version, the
member's tier at `purchased_at`, upgrades as of each purchase), but a batch is scored in Python
and written with one bulk insert per table, keeping the ledger's invariants
(loyalty.models.ledger): one earn entry per purchase, one lot for positive points (pending until
`purchased_at` + pending days, expiring from `purchased_at`), matured points paying debt first,
lifetime counting every earned point. Upgrade notices are not mailed for imported history: it
would tell members today about a tier they reached months ago.
"""

from __future__ import annotations

import bisect
import datetime
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from loyalty.imports.base import Checked, Importer, RowInvalid
from loyalty.imports.writing import JsonText, TableWriter
from loyalty.models import EntryKind, LedgerEntry, LoyaltyAccount, PointsLot, Purchase, TierChange
from loyalty.models.ledger import Channel, TierChangeReason
from loyalty.models.program import ProgramVersion
from loyalty.money import currency_decimals, money_quantize
from loyalty.program_file import ProgramDefinition
from loyalty.scoring import Item, score_purchase
from loyalty.selectors.program import ProgramNotConfigured
from loyalty.services.ledger import REASON_MAX_LENGTH, lot_expires_at, months_after
from loyalty.services.purchases import FUTURE_TOLERANCE, PurchaseInput, items_normalize
from loyalty.services.tiers import REVIEW_MONTHS, tier_for_total, tier_rank
from members.models import Member
from members.numbers import member_number_is_valid

COLUMNS = (
    "external_id",
    "member_email",
    "member_number",
    "purchased_at",
    "amount",
    "currency",
    "channel",
    "quantity",
    "sku",
    "category",
    "unit_price",
)
REQUIRED_COLUMNS = ("external_id", "purchased_at", "amount")
ITEM_COLUMNS = ("quantity", "sku", "category", "unit_price")
EXTERNAL_ID_MAX_LENGTH = 100
CHANNELS = frozenset(Channel.values)


@dataclass(frozen=True)
class PurchaseRow:
    external_id: str
    member_number: str
    member_email: str
    purchased_at: datetime.datetime
    amount: Decimal
    currency: str
    channel: str
    items: list[dict[str, Any]]
    version: ProgramVersion


class ProgramVersions:
    """Every published version, loaded once: `at(t)` answers like `program_version_at`."""

    def __init__(self) -> None:
        self.versions = list(ProgramVersion.objects.order_by("created_at", "number"))
        if not self.versions:
            raise ProgramNotConfigured("no program version has been published")
        self.starts = [version.created_at for version in self.versions]

    def at(self, moment: datetime.datetime) -> ProgramVersion:
        index = bisect.bisect_right(self.starts, moment) - 1
        return self.versions[max(index, 0)]

    @property
    def latest(self) -> ProgramVersion:
        return max(self.versions, key=lambda version: version.number)


def _decimal(text: str, name: str) -> Decimal:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise RowInvalid(f"{name} {text!r} is not a number") from None
    if not value.is_finite():
        raise RowInvalid(f"{name} {text!r} is not a number")
    return value


def moment_parse(text: str, name: str, *, zone) -> datetime.datetime:
    """ISO 8601; a value without an offset is read on `zone`'s clock."""
    if not text:
        raise RowInvalid(f"{name} is required")
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise RowInvalid(f"{name} {text!r} is not a date and time (ISO 8601)") from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, zone)
    return value


class PurchaseImporter(Importer):
    kind = "purchases"
    columns = COLUMNS
    required_columns = REQUIRED_COLUMNS

    def __init__(self, *, actor=None):
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.versions = ProgramVersions()
        self.seen: set[str] = set()

    def header_check(self, names: list[str]) -> list[str]:
        problems = super().header_check(names)
        if "member_email" not in names and "member_number" not in names:
            problems.append("missing required column: member_email or member_number")
        return problems

    def checks_reset(self) -> None:
        self.seen = set()

    # --- Checking ------------------------------------------------------------------------------

    def row_parse(self, row: dict[str, str], now: datetime.datetime) -> PurchaseRow:
        external_id = row.get("external_id", "")
        if not external_id:
            raise RowInvalid("external_id is required")
        if len(external_id) > EXTERNAL_ID_MAX_LENGTH:
            raise RowInvalid(f"external_id is longer than {EXTERNAL_ID_MAX_LENGTH} characters")
        number, email = row.get("member_number", ""), row.get("member_email", "").lower()
        if not number and not email:
            raise RowInvalid("member_email or member_number is required")
        if number and not member_number_is_valid(number):
            raise RowInvalid(f"member_number {number!r} is not a valid member number")
        zone = self.versions.latest.definition.zone
        purchased_at = moment_parse(row.get("purchased_at", ""), "purchased_at", zone=zone)
        if purchased_at > now + FUTURE_TOLERANCE:
            raise RowInvalid("purchased_at is more than five minutes in the future")
        version = self.versions.at(purchased_at)
        program: ProgramDefinition = version.definition
        currency = row.get("currency", "") or program.currency
        if currency != program.currency:
            raise RowInvalid(f"currency {currency}: the program counts in {program.currency}")
        amount_text = row.get("amount", "")
        if not amount_text:
            raise RowInvalid("amount is required")
        amount = _decimal(amount_text, "amount")
        if amount < 0:
            raise RowInvalid(f"amount {amount_text} is negative")
        if money_quantize(amount, currency) != amount:
            places = currency_decimals(currency)
            raise RowInvalid(f"amount {amount_text} has more than {places} decimals")
        channel = row.get("channel", "") or Channel.STORE
        if channel not in CHANNELS:
            raise RowInvalid(f"channel {channel!r} is not one of {', '.join(Channel.values)}")
        return PurchaseRow(
            external_id=external_id,
            member_number=number,
            member_email=email,
            purchased_at=purchased_at,
            amount=money_quantize(amount, currency),
            currency=currency,
            channel=channel,
            items=self._items(row, amount, currency),
            version=version,
        )

    def _items(self, row: dict[str, str], amount: Decimal, currency: str) -> list[dict]:
        if not any(row.get(column) for column in ITEM_COLUMNS):
            return []
        quantity = _decimal(row.get("quantity") or "1", "quantity")
        if quantity < 0:
            raise RowInvalid(f"quantity {quantity} is negative")
        if row.get("unit_price"):
            unit_price = _decimal(row["unit_price"], "unit_price")
            if unit_price < 0:
                raise RowInvalid(f"unit_price {row['unit_price']} is negative")
        else:
            unit_price = money_quantize(amount / quantity, currency) if quantity else Decimal(0)
        item = {"sku": row.get("sku", ""), "quantity": quantity, "unit_price": unit_price}
        if row.get("category"):
            item["category"] = row["category"]
        return items_normalize([item], currency=currency)

    def batch_check(self, rows: list[tuple[int, dict[str, str]]]) -> list[Checked]:
        now = timezone.now()
        checked: list[Checked] = []
        for line, row in rows:
            external_id = row.get("external_id", "")
            is_duplicate = bool(external_id) and external_id in self.seen
            self.seen.add(external_id)
            if is_duplicate:
                reason = f"external_id {external_id!r} appears more than once in the file"
                checked.append(Checked(line, row, reason=reason))
                continue
            try:
                checked.append(Checked(line, row, value=self.row_parse(row, now)))
            except RowInvalid as invalid:
                checked.append(Checked(line, row, reason=str(invalid)))
        self._members_resolve(checked)
        self._known_mark(checked)
        return checked

    def _members_resolve(self, checked: list[Checked]) -> None:
        parsed = [row for row in checked if row.is_valid]
        numbers = {row.value.member_number for row in parsed if row.value.member_number}
        emails = {row.value.member_email for row in parsed if row.value.member_email}
        if not parsed:
            return
        found = Member.objects.filter(
            Q(member_number__in=numbers) | Q(user__email__in=emails)
        ).values_list("pk", "member_number", "user__email", "joined_at")
        by_number, by_email = {}, {}
        for pk, number, email, joined_at in found:
            by_number[number] = by_email[email.lower()] = (pk, joined_at)
        for row in parsed:
            data: PurchaseRow = row.value
            member = by_number.get(data.member_number) if data.member_number else None
            if data.member_number and member is None:
                row.reason = f"unknown member: no member has the number {data.member_number}"
                continue
            if data.member_email:
                by_mail = by_email.get(data.member_email)
                if by_mail is None:
                    row.reason = f"unknown member: no member has the email {data.member_email}"
                    continue
                if member is not None and member != by_mail:
                    row.reason = "member_email and member_number are two different members"
                    continue
                member = by_mail
            row.value = (data, *member)

    def _known_mark(self, checked: list[Checked]) -> None:
        ids = [row.value[0].external_id for row in checked if row.is_valid]
        known = set(Purchase.objects.filter(external_id__in=ids).values_list("external_id", flat=1))
        for row in checked:
            if row.is_valid and row.value[0].external_id in known:
                row.is_known = True

    # --- Writing -------------------------------------------------------------------------------

    def batch_write(self, rows: list[Checked]) -> int:
        if not rows:
            return 0
        now = timezone.now()
        actor_id = self.actor.pk if self.actor is not None else None
        joined = {member_id: joined_at for _data, member_id, joined_at in (r.value for r in rows)}
        accounts = self._accounts_lock(joined, now)
        history = _TierHistory(rows, accounts)
        purchases, entries, lots, changes = [], [], [], []
        for row in rows:
            data, member_id, _joined_at = row.value
            account = accounts[member_id]
            program = data.version.definition
            tier_code = history.tier_when_purchased(account, data.purchased_at, program)
            score = score_purchase(
                program=program,
                tier_code=tier_code,
                amount=data.amount,
                items=[_item(item) for item in data.items],
                purchased_at=data.purchased_at,
                channel=data.channel,
            )
            breakdown = JsonText(json.dumps(score.breakdown))
            purchases.append(
                (
                    data.external_id,
                    member_id,
                    data.amount,
                    data.currency,
                    data.purchased_at,
                    data.channel,
                    data.items,
                    data.version.pk,
                    tier_code or "",
                    score.points,
                    score.points,
                    breakdown,
                    _fingerprint(data, member_id),
                    Decimal(0),
                    now,
                )
            )
            history.purchase_add(member_id, data.purchased_at, data.amount, score.points)
            lots.append(_credit(account, data, score.points, now=now))
            entries.append(
                [
                    member_id,
                    EntryKind.EARN,
                    score.points,
                    f"purchase {data.external_id}"[:REASON_MAX_LENGTH],
                    breakdown,
                    None,  # purchase, known once inserted
                    data.version.pk,
                    actor_id,
                    now,
                ]
            )
            change = history.upgrade_check(account, data.purchased_at, program)
            if change is not None:
                changes.append(change)
        purchase_ids = _PURCHASES.insert(purchases)
        for entry, purchase_id in zip(entries, purchase_ids, strict=True):
            entry[5] = purchase_id
        entry_ids = _ENTRIES.insert([tuple(entry) for entry in entries])
        _LOTS.insert(
            [
                (member_id, entry_id, purchase_id, *lot)
                for (_e, member_id, *_), entry_id, purchase_id, lot in zip(
                    purchases, entry_ids, purchase_ids, lots, strict=True
                )
                if lot is not None
            ]
        )
        TierChange.objects.bulk_create(changes)
        accounts_save(list(accounts.values()), now=now)
        return len(purchases)

    def _accounts_lock(self, joined: dict[int, datetime.datetime], now) -> dict:
        """The batch's accounts, created when missing (as `account_lock` does) and locked in
        member order, the order every batch takes them in, so two imports cannot deadlock."""
        member_ids = sorted(joined)
        accounts = _accounts_select(member_ids)
        missing = [member_id for member_id in member_ids if member_id not in accounts]
        if missing:
            program = self.versions.at(now).definition
            lowest = program.tiers[0].code if program.tiers else ""
            LoyaltyAccount.objects.bulk_create(
                [
                    LoyaltyAccount(member_id=pk, tier_code=lowest, tier_since=joined[pk])
                    for pk in missing
                ],
                ignore_conflicts=True,
            )
            accounts |= _accounts_select(missing)
        return accounts


@dataclass
class _Account:
    """A locked account's columns, without a model instance per row (a third of a batch's time
    went into building them)."""

    pk: int
    member_id: int
    available: int
    pending: int
    lifetime: int
    debt: int
    tier_code: str
    tier_since: datetime.datetime | None
    tier_review_on: datetime.date | None


def _accounts_select(member_ids: list[int]) -> dict[int, _Account]:
    locked = (
        LoyaltyAccount.objects.select_for_update()
        .filter(member_id__in=member_ids)
        .order_by("member_id")
        .values_list("pk", "member_id", *_ACCOUNT_FIELDS)
    )
    return {row[1]: _Account(*row) for row in locked}


_PURCHASES = TableWriter(
    Purchase,
    [
        "external_id",
        "member_id",
        "amount",
        "currency",
        "purchased_at",
        "channel",
        "items",
        "program_version_id",
        "tier_code",
        "points",
        "earned_points",
        "breakdown",
        "fingerprint",
        "refunded_amount",
        "created_at",
    ],
)
_ENTRIES = TableWriter(
    LedgerEntry,
    [
        "member_id",
        "kind",
        "points",
        "reason",
        "breakdown",
        "purchase_id",
        "program_version_id",
        "actor_id",
        "created_at",
    ],
)
_LOTS = TableWriter(
    PointsLot,
    [
        "member_id",
        "entry_id",
        "purchase_id",
        "points",
        "remaining",
        "debt_paid",
        "available_at",
        "is_matured",
        "expires_at",
        "earned_at",
    ],
)
_ACCOUNT_FIELDS = (
    "available",
    "pending",
    "lifetime",
    "debt",
    "tier_code",
    "tier_since",
    "tier_review_on",
)


def accounts_save(accounts: list[_Account], *, now: datetime.datetime) -> None:
    """Save the locked accounts' balances and tier in one statement. (`bulk_update` builds a
    CASE per column and row: 60% of an import's time.)"""
    if connection.vendor != "postgresql":
        for account in accounts:
            values = {name: getattr(account, name) for name in _ACCOUNT_FIELDS}
            LoyaltyAccount.objects.filter(pk=account.pk).update(**values, updated_at=now)
        return
    table = LoyaltyAccount._meta.db_table
    columns = [LoyaltyAccount._meta.get_field(name).column for name in _ACCOUNT_FIELDS]
    types = ["bigint", "bigint", "bigint", "bigint", "varchar", "timestamptz", "date"]
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    arrays = ", ".join(f"%s::{kind}[]" for kind in ["bigint", *types])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments}, updated_at = %s "  # noqa: S608 - names are ours
            f"FROM unnest({arrays}) AS v(id, {', '.join(columns)}) WHERE {table}.id = v.id",
            [
                now,
                [account.pk for account in accounts],
                *([getattr(account, name) for account in accounts] for name in _ACCOUNT_FIELDS),
            ],
        )


def _item(item: dict[str, Any]) -> Item:
    return Item(
        sku=item["sku"],
        category=item["category"],
        quantity=Decimal(item["quantity"]),
        unit_price=Decimal(item["unit_price"]),
    )


def _fingerprint(data: PurchaseRow, member_id: int) -> str:
    """The live fingerprint, so the API recognises a replay of an imported purchase."""
    return PurchaseInput(
        member=SimpleNamespace(pk=member_id),
        external_id=data.external_id,
        amount=data.amount,
        currency=data.currency,
        purchased_at=data.purchased_at,
        channel=data.channel,
        items=data.items,
        version=data.version,
    ).fingerprint()


def _credit(account: LoyaltyAccount, data: PurchaseRow, points: int, *, now) -> tuple | None:
    """What `credit_write` does for a purchase's earn entry: the lot's values (points,
    remaining, debt_paid, available_at, is_matured, expires_at, earned_at; None for no points)
    and the locked account's new balances."""
    account.lifetime += points  # an earn entry always counts towards lifetime
    if points <= 0:
        return None
    program = data.version.definition
    pending_days = program.pending_days
    available_at = (
        data.purchased_at + datetime.timedelta(days=pending_days) if pending_days else None
    )
    is_matured = available_at is None or available_at <= now
    remaining, debt_paid = points, 0
    if is_matured:
        debt_paid = min(account.debt, remaining)  # matured points pay the debt first
        remaining -= debt_paid
        account.debt -= debt_paid
        account.available += remaining
    else:
        account.pending += remaining
    expires_at = lot_expires_at(program=program, earned_at=data.purchased_at)
    return (
        points,
        remaining,
        debt_paid,
        available_at or now,
        is_matured,
        expires_at,
        data.purchased_at,
    )


def _purchases_in_window(member_ids: list[int], start, end) -> list[tuple]:
    """(member_id, purchased_at, amount net of refunds, points) of the members' purchases in
    (start, end]: straight from the cursor on PostgreSQL (the ORM's rows cost 20 µs each)."""
    if not member_ids:
        return []
    if connection.vendor != "postgresql":
        rows = Purchase.objects.filter(
            member_id__in=member_ids, purchased_at__gt=start, purchased_at__lte=end
        ).values_list("member_id", "purchased_at", "amount", "refunded_amount", "points")
        return [(pk, at, amount - refunded, points) for pk, at, amount, refunded, points in rows]
    # One index range per member (member_id, purchased_at): left to itself the planner, whose
    # statistics have not seen the rows this import just wrote, scanned months of purchases.
    table = Purchase._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.id, p.purchased_at, p.amount - p.refunded_amount, p.points "  # noqa: S608
            f"FROM unnest(%s::bigint[]) AS m(id) CROSS JOIN LATERAL ("
            f"SELECT purchased_at, amount, refunded_amount, points FROM {table} "
            f"WHERE member_id = m.id AND purchased_at > %s AND purchased_at <= %s) AS p",
            [member_ids, start, end],
        )
        return cursor.fetchall()


class _TierHistory:
    """The batch's members' tier history and qualifying purchases, read once and kept up to date
    as the batch is scored, so each purchase sees the tier `purchase_record` would see: the
    account's tier, or for a backdated purchase the history's; and each purchase upgrades at
    once, as of its `purchased_at`, as `tier_upgrade_check` does."""

    def __init__(self, rows: list[Checked], accounts: dict[int, LoyaltyAccount]):
        member_ids = list(accounts)
        # Only a member below the top tier can be upgraded: only theirs need the purchases.
        climbing = set()
        starts, ends = [], []
        for row in rows:
            data: PurchaseRow = row.value[0]
            program = data.version.definition
            account = accounts[row.value[1]]
            if program.tiers and account.tier_code != program.tiers[-1].code:
                climbing.add(account.member_id)
            window = program.qualification_window_months
            starts.append(months_after(data.purchased_at, -window, zone=program.zone))
            ends.append(data.purchased_at)
        self.purchases: dict[int, list[tuple[datetime.datetime, Decimal, int]]] = {
            member_id: [] for member_id in member_ids
        }
        for member_id, at, amount, points in _purchases_in_window(
            sorted(climbing), min(starts), max(ends)
        ):
            self.purchases[member_id].append((at, amount, points))
        # (at, order, to_code): stored changes ordered by pk, new ones after every stored one.
        self.changes: dict[int, list[tuple[datetime.datetime, int, str]]] = {
            member_id: [] for member_id in member_ids
        }
        stored_changes = TierChange.objects.filter(member_id__in=member_ids).values_list(
            "member_id", "at", "pk", "to_code"
        )
        for member_id, at, pk, to_code in stored_changes:
            self.changes[member_id].append((at, pk, to_code))
        self.order = 1 << 62

    def purchase_add(self, member_id: int, at, amount: Decimal, points: int) -> None:
        self.purchases[member_id].append((at, amount, points))

    def tier_when_purchased(self, account, at, program: ProgramDefinition) -> str | None:
        since = account.tier_since
        if since is not None and since <= at and tier_rank(program, account.tier_code) >= 0:
            return account.tier_code
        before = [change for change in self.changes[account.member_id] if change[0] <= at]
        if before:
            return max(before)[2]
        return program.tiers[0].code if program.tiers else None

    def upgrade_check(self, account, at, program: ProgramDefinition) -> TierChange | None:
        if not program.tiers or tier_rank(program, account.tier_code) == len(program.tiers) - 1:
            return None
        start = months_after(at, -program.qualification_window_months, zone=program.zone)
        window = [p for p in self.purchases[account.member_id] if start < p[0] <= at]
        if program.qualification_metric == "points":
            total = Decimal(sum(points for _at, _amount, points in window))
        else:
            total = Decimal(sum((amount for _at, amount, _points in window), Decimal(0)))
        target = tier_for_total(program, total)
        if target is None or tier_rank(program, target.code) <= tier_rank(
            program, account.tier_code
        ):
            return None
        change = TierChange(
            member_id=account.member_id,
            from_code=account.tier_code,
            to_code=target.code,
            reason=TierChangeReason.UPGRADE,
            qualifying_total=total,
            at=at,
        )
        self.order += 1
        self.changes[account.member_id].append((at, self.order, target.code))
        account.tier_code = target.code
        account.tier_since = at
        account.tier_review_on = (
            months_after(at, REVIEW_MONTHS, zone=program.zone).date()
            if tier_rank(program, target.code) > 0
            else None
        )
        return change
