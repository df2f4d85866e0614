"""Import a shop's purchase history from CSV (API.md, "Bulk import"), scored in batches.

Columns: `external_id` (required), `member_email` or `member_number`, `purchased_at`, `amount`,
`currency`, `channel`, and optionally `quantity`, `sku`, `category`, `unit_price` for a
single-line purchase. Choices the contract leaves open, made here:

- `purchased_at` is ISO 8601, or day first ("31/12/2026 18:30") when the import is told the file
  writes dates so; without an offset it is read on the program's clock. More than five minutes in
  the future is refused, as live.
- Amounts, quantities and unit prices are plain decimals ("54.90") or written with a decimal
  comma ("54,90"; "1.234,50" in a file separated by `;`), as `loyalty.imports.cells` reads them.
- An empty `currency` is the program's; an empty `channel` is `store`.
- A line given without `unit_price` is the whole amount (`amount / quantity`); `quantity`
  defaults to 1.

Each purchase is computed by the rules `purchase_record` computes with (loyalty.scoring and
loyalty.rules: the program version in force, the member's tier at `purchased_at`, the lot and
its dates, the debt it pays, upgrades as of each purchase), but a batch is held in memory and
written with one bulk insert per table, keeping the ledger's invariants (loyalty.models.ledger):
one earn entry per purchase, one lot for positive points. What is the import's own is where the
values come from: the accounts and tier history read once per member, and the qualifying total
added up from the member's purchases kept in memory rather than asked of the database per
purchase. Upgrade notices are not mailed for imported history: it would tell members today about
a tier they reached months ago.
"""

from __future__ import annotations

import bisect
import datetime
import json
import operator
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.utils import timezone

from loyalty.definition import ProgramDefinition
from loyalty.events import history_imported
from loyalty.imports.base import BATCH_SIZE, Checked, Importer, RowInvalid, SeenKeys
from loyalty.imports.writing import JsonText, TableWriter
from loyalty.models import EntryKind, LedgerEntry, LoyaltyAccount, PointsLot, Purchase, TierChange
from loyalty.models.ledger import CHANNELS, Channel
from loyalty.models.program import ProgramVersion
from loyalty.money import currency_decimals, money_quantize
from loyalty.rules.credit import earn_lot_dates, lot_credit
from loyalty.rules.tiers import (
    qualification_window_start,
    qualifying_measure,
    tier_can_rise,
    tier_upgrade,
    tier_when_purchased,
)
from loyalty.scoring import items_from_stored, score_purchase
from loyalty.selectors.program import ProgramNotConfigured
from loyalty.services.ledger import REASON_MAX_LENGTH, LedgerError, account_new
from loyalty.services.purchases import (
    FUTURE_TOLERANCE,
    PurchaseInput,
    earn_reason,
    items_normalize,
    purchase_limits_check,
)
from members.models import Member, MemberStatus
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


@dataclass(slots=True)
class PurchaseRow:
    """A checked row: its values, the program version in force at `purchased_at` (by pk: rows
    go through the spill file) and, once found, the member."""

    external_id: str
    member_number: str
    member_email: str
    purchased_at: datetime.datetime
    amount: Decimal
    currency: str
    channel: str
    items: list[dict[str, Any]]
    version_id: int
    member_id: int = 0
    joined_at: datetime.datetime | None = None


class ProgramVersions:
    """Every published version, loaded once: `at(t)` answers like `program_version_at`."""

    def __init__(self) -> None:
        self.versions = list(ProgramVersion.objects.order_by("created_at", "number"))
        if not self.versions:
            raise ProgramNotConfigured("no program version has been published")
        self.starts = [version.created_at for version in self.versions]
        self.by_pk = {version.pk: version for version in self.versions}

    def at(self, moment: datetime.datetime) -> ProgramVersion:
        index = bisect.bisect_right(self.starts, moment) - 1
        return self.versions[max(index, 0)]

    @property
    def latest(self) -> ProgramVersion:
        return max(self.versions, key=lambda version: version.number)


_AMOUNT_FIELD = Purchase._meta.get_field("amount")
# The largest amount the column holds: 12 digits of which 2 decimals, under 10,000,000,000.
AMOUNT_LIMIT = Decimal(10) ** (_AMOUNT_FIELD.max_digits - _AMOUNT_FIELD.decimal_places)


class PurchaseImporter(Importer):
    kind = "purchases"
    columns = COLUMNS
    required_columns = REQUIRED_COLUMNS
    # Members whose locked account and tier history are kept from batch to batch, and the
    # purchases kept for them (24 bytes each); beyond these, the least recently seen are read
    # again when needed. Some 80 MB at most.
    members_kept = 50_000
    purchases_kept = 2_000_000

    def __init__(self, *, actor=None):
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.versions = ProgramVersions()
        self.zone = self.versions.latest.definition.zone
        self.seen = SeenKeys()
        self.checks_reset()
        self.writes_begin()

    def header_check(self, names: list[str]) -> list[str]:
        problems = super().header_check(names)
        if "member_email" not in names and "member_number" not in names:
            problems.append("missing required column: member_email or member_number")
        return problems

    def checks_reset(self) -> None:
        self.seen.close()
        # (pk, joined_at, status) by member number and by email, as found during this check.
        self.members_by_number: dict[str, tuple] = {}
        self.members_by_email: dict[str, tuple] = {}

    def writes_begin(self) -> None:
        self.states = _MemberStates(members=self.members_kept, purchases=self.purchases_kept)

    def writes_end(self) -> None:
        self.states.flush()

    def batch_done(self) -> None:
        self.states.batch_done()

    def close(self) -> None:
        self.seen.close()
        self.writes_begin()

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
        purchased_at = self.cells.moment(
            row.get("purchased_at", ""), "purchased_at", zone=self.zone
        )
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
        amount = self.cells.decimal(amount_text, "amount")
        if amount < 0:
            raise RowInvalid(f"amount {amount_text} is negative")
        if amount == 0:
            raise RowInvalid("amount must be greater than zero")
        if amount >= AMOUNT_LIMIT:
            raise RowInvalid(f"amount {amount_text} is too large (the limit is {AMOUNT_LIMIT:,})")
        if money_quantize(amount, currency) != amount:
            places = currency_decimals(currency)
            raise RowInvalid(f"amount {amount_text} has more than {places} decimals")
        channel = row.get("channel", "") or Channel.STORE
        if channel not in CHANNELS:
            raise RowInvalid(f"channel {channel!r} is not one of {', '.join(Channel.values)}")
        amount = money_quantize(amount, currency)
        items = self._items(row, amount, currency)
        try:
            # The live path's limits: above zero, lines within the amount, the program's
            # max_purchase_amount (history has no manager to confirm a larger one).
            purchase_limits_check(program=program, amount=amount, items=items)
        except LedgerError as refused:
            raise RowInvalid(str(refused)) from None
        return PurchaseRow(
            external_id=external_id,
            member_number=number,
            member_email=email,
            purchased_at=purchased_at,
            amount=amount,
            currency=currency,
            channel=channel,
            items=items,
            version_id=version.pk,
        )

    def _items(self, row: dict[str, str], amount: Decimal, currency: str) -> list[dict]:
        if not any(row.get(column) for column in ITEM_COLUMNS):
            return []
        quantity = self.cells.decimal(row.get("quantity") or "1", "quantity")
        if quantity < 0:
            raise RowInvalid(f"quantity {quantity} is negative")
        if row.get("unit_price"):
            unit_price = self.cells.decimal(row["unit_price"], "unit_price")
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
        # Every id counts as seen, even on a row bad for another reason: its second row is
        # still a duplicate.
        ids = [row.get("external_id", "") for _line, row in rows]
        seen = self.seen.batch_seen([external_id for external_id in ids if external_id])
        is_duplicate = iter(seen)
        for (line, row), external_id in zip(rows, ids, strict=True):
            if external_id and next(is_duplicate):
                reason = f"external_id {external_id!r} appears more than once in the file"
                checked.append(Checked(line, row, reason=reason))
                continue
            try:
                checked.append(Checked(line, row, value=self.row_parse(row, now)))
            except RowInvalid as invalid:
                checked.append(Checked(line, row, reason=str(invalid)))
        self._members_resolve(checked)
        self.batch_refresh(checked)
        return checked

    def _members_resolve(self, checked: list[Checked]) -> None:
        """Each row's member, by number and/or email (the two must agree). A member deleted
        between this check and the import makes the row's write fail, and the row is
        rejected then."""
        parsed = [row for row in checked if row.is_valid]
        if not parsed:
            return
        by_number, by_email = self.members_by_number, self.members_by_email
        numbers = {row.value.member_number for row in parsed if row.value.member_number}
        emails = {row.value.member_email for row in parsed if row.value.member_email}
        found = _members_found(list(numbers - by_number.keys()), list(emails - by_email.keys()))
        for pk, number, email, joined_at, status in found:
            by_number[number] = by_email[email.lower()] = (pk, joined_at, status)
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
            data.member_id, data.joined_at, status = member
            if status == MemberStatus.BLOCKED:
                # A blocked member earns nothing, imported history included (checked with the
                # rest of the file, before anything is written).
                row.reason = "member is blocked"
        # Kept for the next batches (a member's rows are spread over the file), within bounds.
        for members in (by_number, by_email):
            if len(members) > self.members_kept:
                members.clear()

    def batch_refresh(self, rows: list[Checked]) -> None:
        ids = [row.value.external_id for row in rows if row.is_valid]
        known = _purchases_known(ids)
        for row in rows:
            if row.is_valid and row.value.external_id in known:
                row.is_known = True

    # --- Writing -------------------------------------------------------------------------------

    def batch_write(self, rows: list[Checked]) -> int:
        if not rows:
            return 0
        now = timezone.now()
        actor_id = self.actor.pk if self.actor is not None else None
        datas: list[PurchaseRow] = [row.value for row in rows]
        programs = [self.versions.by_pk[data.version_id].definition for data in datas]
        states, starts = self._states(datas, programs, now)
        purchases, entries, lots, changes = [], [], [], []
        for data, program, start in zip(datas, programs, starts, strict=True):
            member_id = data.member_id
            state = states[member_id]
            tier_code = state.tier_when_purchased(data.purchased_at, program)
            score = score_purchase(
                program=program,
                tier_code=tier_code,
                amount=data.amount,
                items=items_from_stored(data.items),
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
                    data.version_id,
                    tier_code or "",
                    score.points,
                    score.points,
                    breakdown,
                    _fingerprint(data, self.versions.by_pk[data.version_id]),
                    Decimal(0),
                    now,
                )
            )
            self.states.purchase_add(state, data.purchased_at, data.amount, score.points)
            dates = earn_lot_dates(program=program, earned_at=data.purchased_at)
            credit = lot_credit(
                state.account,
                kind=EntryKind.EARN,
                points=score.points,
                earned_at=data.purchased_at,
                available_at=dates.available_at,
                expires_at=dates.expires_at,
                now=now,
            )
            lots.append(_lot_values(credit) if credit is not None else None)
            entries.append(
                [
                    member_id,
                    EntryKind.EARN,
                    score.points,
                    earn_reason(data.external_id)[:REASON_MAX_LENGTH],
                    breakdown,
                    None,  # purchase, known once inserted
                    data.version_id,
                    actor_id,
                    data.purchased_at,  # imported history keeps its own dates
                    now,
                ]
            )
            change = state.upgrade_check(data.purchased_at, start, program)
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
        _TIER_CHANGES.insert(changes)
        moments = [data.purchased_at for data in datas]
        history_imported(
            what="purchases",
            rows=len(purchases),
            first_at=min(moments),
            last_at=max(moments),
            member_ids={row[1] for row in purchases},
        )
        # The accounts are written once, before the commit (`writes_end`) or when dropped from
        # the states kept: they stay locked until then.
        return len(purchases)

    def _states(self, datas, programs, now) -> tuple[dict[int, _MemberState], list]:
        """The batch's members' states: kept ones, plus the others' accounts locked (in member
        order, as every batch takes them, so two imports cannot deadlock) with their tier
        history; and for each member who can still move up, the purchases since the earliest
        window start the batch needs. With them, the start of each purchase's qualification
        window, where its upgrade is checked."""
        joined = {data.member_id: data.joined_at for data in datas}
        missing = sorted(member_id for member_id in joined if member_id not in self.states)
        if missing:
            accounts = self._accounts_lock({pk: joined[pk] for pk in missing}, now)
            changes: dict[int, list] = {pk: [] for pk in missing}
            stored = TierChange.objects.filter(member_id__in=missing).values_list(
                "member_id", "at", "pk", "to_code"
            )
            for member_id, at, pk, to_code in stored:
                changes[member_id].append((at, pk, to_code))
            for pk in missing:
                self.states.add(pk, _MemberState(account=accounts[pk], changes=changes[pk]))
        states = self.states.batch_begin(list(joined))
        # Only a member below the top tier can be upgraded: only theirs need the purchases. (A
        # member at the top of one version can be below the top of another's tiers.)
        is_one_version = len({data.version_id for data in datas}) == 1
        needed: dict[int, datetime.datetime] = {}
        starts: list[datetime.datetime | None] = []
        for data, program in zip(datas, programs, strict=True):
            start = None
            account = states[data.member_id].account
            if program.tiers and (not is_one_version or tier_can_rise(program, account.tier_code)):
                start = qualification_window_start(program, data.purchased_at)
                needed[data.member_id] = min(start, needed.get(data.member_id, start))
            starts.append(start)
        self.states.purchases_load(needed, members=states)
        return states, starts

    def _accounts_lock(self, joined: dict[int, datetime.datetime], now) -> dict:
        """The accounts of `joined`'s members, created when missing (as `account_lock` does)
        and locked in member order."""
        member_ids = sorted(joined)
        accounts = _accounts_select(member_ids)
        missing = [member_id for member_id in member_ids if member_id not in accounts]
        if missing:
            program = self.versions.at(now).definition
            LoyaltyAccount.objects.bulk_create(
                [
                    account_new(member_id=pk, joined_at=joined[pk], program=program)
                    for pk in missing
                ],
                ignore_conflicts=True,
            )
            accounts |= _accounts_select(missing)
        return accounts


def _members_found(numbers: list[str], emails: list[str]) -> list[tuple]:
    """(pk, member_number, email, joined_at, status) of the members with one of `numbers` or
    `emails`: two index lookups (an OR across the join let the planner scan the users)."""
    found: list[tuple] = []
    fields = ("pk", "member_number", "user__email", "joined_at", "status")
    if connection.vendor != "postgresql":
        if numbers:
            found += Member.objects.filter(member_number__in=numbers).values_list(*fields)
        if emails:
            found += Member.objects.filter(user__email__in=emails).values_list(*fields)
        return found
    member, user = Member._meta.db_table, Member._meta.get_field("user").related_model._meta
    select = (
        f"SELECT m.id, m.member_number, u.email, m.joined_at, m.status FROM {member} m "  # noqa: S608
        f"JOIN {user.db_table} u ON u.id = m.user_id"
    )
    with connection.cursor() as cursor:
        if numbers:
            cursor.execute(f"{select} WHERE m.member_number = ANY(%s)", [numbers])
            found += cursor.fetchall()
        if emails:
            cursor.execute(f"{select} WHERE u.email = ANY(%s)", [emails])
            found += cursor.fetchall()
    return found


def _purchases_known(external_ids: list[str]) -> set[str]:
    """Which of `external_ids` are stored already."""
    if not external_ids:
        return set()
    if connection.vendor != "postgresql":
        known = Purchase.objects.filter(external_id__in=external_ids)
        return set(known.values_list("external_id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT external_id FROM {Purchase._meta.db_table} "  # noqa: S608 - our name
            f"WHERE external_id = ANY(%s)",
            [external_ids],
        )
        return {row[0] for row in cursor.fetchall()}


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
        "occurred_at",
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
_TIER_CHANGES = TableWriter(
    TierChange, ["member_id", "from_code", "to_code", "reason", "qualifying_total", "at"]
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


_account_values = operator.attrgetter(*_ACCOUNT_FIELDS)


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


def _fingerprint(data: PurchaseRow, version: ProgramVersion) -> str:
    """The live fingerprint, so the API recognises a replay of an imported purchase."""
    return PurchaseInput(
        member=SimpleNamespace(pk=data.member_id),
        external_id=data.external_id,
        amount=data.amount,
        currency=data.currency,
        purchased_at=data.purchased_at,
        channel=data.channel,
        items=data.items,
        version=version,
    ).fingerprint()


# A lot's columns after its keys (see _LOTS), from the values loyalty.rules.credit computed.
_lot_values = operator.attrgetter(
    "points", "remaining", "debt_paid", "available_at", "is_matured", "expires_at", "earned_at"
)


def _purchases_since(since: dict[int, datetime.datetime]) -> list[tuple]:
    """(member_id, purchased_at, amount net of refunds, points) of each member's purchases made
    after `since[member_id]`: straight from the cursor on PostgreSQL (the ORM's rows cost 20 µs
    each)."""
    if not since:
        return []
    if connection.vendor != "postgresql":
        found = []
        for member_id, start in since.items():
            rows = Purchase.objects.filter(member_id=member_id, purchased_at__gt=start)
            found += [
                (member_id, at, amount - refunded, points)
                for at, amount, refunded, points in rows.values_list(
                    "purchased_at", "amount", "refunded_amount", "points"
                )
            ]
        return found
    # One index range per member (member_id, purchased_at): left to itself the planner, whose
    # statistics have not seen the rows this import just wrote, scanned months of purchases.
    table = Purchase._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.id, p.purchased_at, p.amount - p.refunded_amount, p.points "  # noqa: S608
            f"FROM unnest(%s::bigint[], %s::timestamptz[]) AS m(id, since) CROSS JOIN LATERAL ("
            f"SELECT purchased_at, amount, refunded_amount, points FROM {table} "
            f"WHERE member_id = m.id AND purchased_at > m.since) AS p",
            [list(since), list(since.values())],
        )
        return cursor.fetchall()


@dataclass(slots=True)
class _MemberState:
    """What scoring a member's purchases needs, kept from batch to batch while the transaction
    that locked their account lasts: the account (written when the transaction ends or the
    state is dropped); every tier change as (at, order, to_code), ordered like the history
    (stored ones by pk, new ones after them); and their purchases made after `since`, or None
    when not read: what the tier rules (loyalty.rules.tiers) are asked with, per purchase."""

    account: _Account
    changes: list[tuple[datetime.datetime, int, str]]
    purchases: _Purchases | None = None
    since: datetime.datetime | None = None
    is_dirty: bool = False  # the account has changed since it was last written

    def tier_when_purchased(self, at, program: ProgramDefinition) -> str | None:
        account = self.account
        return tier_when_purchased(
            program,
            code=account.tier_code,
            since=account.tier_since,
            at=at,
            history=lambda: self.changes,
        )

    def upgrade_check(self, at, start, program: ProgramDefinition) -> tuple | None:
        """The upgrade, if the purchases in (`start`, `at`] reach a higher tier: the tier
        change's row (`_TIER_CHANGES`). (`start` is known for every purchase of a member who
        can move up: `PurchaseImporter._states`.)"""
        account = self.account
        if not tier_can_rise(program, account.tier_code):
            return None
        spent, points = self.purchases.totals(after=start, until=at)
        total = qualifying_measure(program, spent=spent, points=points)
        move = tier_upgrade(program, code=account.tier_code, total=total, at=at)
        if move is None:
            return None
        self.changes.append((at, _NEW_CHANGE_ORDER + len(self.changes), move.to_code))
        move.apply(account)
        return (account.member_id, move.from_code, move.to_code, move.reason, move.total, at)


_NEW_CHANGE_ORDER = 1 << 62  # after every stored change's pk
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)
_PLACES = _AMOUNT_FIELD.decimal_places
_CENT = Decimal(1).scaleb(-_PLACES)


def _micros(moment: datetime.datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


class _Purchases:
    """A member's purchases as three arrays of integers: when (µs since the epoch), the amount
    net of refunds (in hundredths, as the column stores it) and the points. 24 bytes a purchase,
    where a tuple of a datetime, a Decimal and an int takes 250: a million fit in memory."""

    __slots__ = ("amounts", "ats", "points")

    def __init__(self) -> None:
        self.ats, self.amounts, self.points = array("q"), array("q"), array("q")

    def __len__(self) -> int:
        return len(self.ats)

    def add(self, at: datetime.datetime, amount: Decimal, points: int) -> None:
        self.ats.append(_micros(at))
        # Rounded as PostgreSQL rounds into the column (half away from zero), so the totals
        # are those of the stored amounts that `qualifying_total` adds up.
        self.amounts.append(int(amount.quantize(_CENT, rounding=ROUND_HALF_UP).scaleb(_PLACES)))
        self.points.append(points)

    def keep_after(self, start: datetime.datetime) -> int:
        """Drop the purchases made at or before `start`; returns how many."""
        after = _micros(start)
        kept = [index for index, at in enumerate(self.ats) if at > after]
        dropped = len(self.ats) - len(kept)
        if dropped:
            for name in self.__slots__:
                values = getattr(self, name)
                setattr(self, name, array("q", [values[index] for index in kept]))
        return dropped

    def totals(self, *, after: datetime.datetime, until: datetime.datetime) -> tuple[Decimal, int]:
        """The amount spent (net of refunds) and the points earned in (`after`, `until`]."""
        start, end = _micros(after), _micros(until)
        spent = points = 0
        for at, amount, earned in zip(self.ats, self.amounts, self.points, strict=True):
            if start < at <= end:
                spent += amount
                points += earned
        return Decimal(spent).scaleb(-_PLACES), points


class _MemberStates:
    """The members' states, the least recently used dropped (their account written first)
    beyond `members` members or `purchases` purchases kept. A dropped member is read again from
    the database, which then has everything written for them: their account is still locked by
    this transaction."""

    def __init__(self, *, members: int, purchases: int):
        self.states: OrderedDict[int, _MemberState] = OrderedDict()
        self.members_kept = members
        self.purchases_kept = purchases
        self.purchases = 0

    def __contains__(self, member_id: int) -> bool:
        return member_id in self.states

    def add(self, member_id: int, state: _MemberState) -> None:
        self.states[member_id] = state

    def batch_begin(self, member_ids: list[int]) -> dict[int, _MemberState]:
        """The batch's members' states, the most recently used now."""
        states = {}
        for member_id in member_ids:
            self.states.move_to_end(member_id)
            state = states[member_id] = self.states[member_id]
            state.is_dirty = True
        return states

    def batch_done(self) -> None:
        """Drop the least recently used beyond the limits (not during a batch: it needs them
        all; not in its savepoint: their accounts must be written for good)."""
        dropped = []
        while len(self.states) > self.members_kept or (
            self.purchases > self.purchases_kept and len(self.states) > 1
        ):
            _member_id, state = self.states.popitem(last=False)
            self._forget(state)
            dropped.append(state)
        self._save([state for state in dropped if state.is_dirty])

    def flush(self) -> None:
        """Write every changed account."""
        self._save([state for state in self.states.values() if state.is_dirty])

    def purchases_load(self, needed: dict[int, datetime.datetime], *, members) -> None:
        """Make each member's purchases complete after `needed[member_id]`: read them when
        missing or not going back far enough; drop the older ones otherwise. The other
        `members` (at the top tier) need none: theirs are dropped."""
        for member_id, state in members.items():
            if member_id not in needed:
                self._forget(state)
        reads = {}
        for member_id, start in needed.items():
            state = self.states[member_id]
            if state.purchases is None or start < state.since:
                reads[member_id] = start
                self._forget(state)
                state.purchases, state.since = _Purchases(), start
            elif start > state.since:
                self.purchases -= state.purchases.keep_after(start)
                state.since = start
        for member_id, at, amount, points in _purchases_since(reads):
            self.states[member_id].purchases.add(at, amount, points)
            self.purchases += 1

    def purchase_add(self, state: _MemberState, at, amount: Decimal, points: int) -> None:
        if state.purchases is not None and at > state.since:
            state.purchases.add(at, amount, points)
            self.purchases += 1

    def _save(self, states: list[_MemberState]) -> None:
        for start in range(0, len(states), BATCH_SIZE):
            accounts_save(
                [state.account for state in states[start : start + BATCH_SIZE]],
                now=timezone.now(),
            )
        for state in states:
            state.is_dirty = False

    def _forget(self, state: _MemberState) -> None:
        if state.purchases is not None:
            self.purchases -= len(state.purchases)
        state.purchases = None
