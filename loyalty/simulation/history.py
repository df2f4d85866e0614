"""The history the simulator replays, read in member order: the members, their purchases and
refunds, their tier changes, the points entries of the window and each member's outstanding
points. Each is one ordered query streamed through a server-side cursor on PostgreSQL
(`.iterator(chunk_size=...)`), and `member_histories` walks them side by side, one member at a
time: nothing but the member being replayed is held in memory.

Everything here reads; the simulator runs it in a read-only transaction (`read_only`).
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Case, OuterRef, Q, Subquery, TextField, When
from django.db.models.functions import Cast

from loyalty.definition import ProgramDefinition
from loyalty.models import EntryKind, LedgerEntry, Purchase, Refund, TierChange
from loyalty.models.ledger import LIFETIME_KINDS
from loyalty.rules.tiers import qualification_window_start
from loyalty.selectors.points import outstanding_points_by_member
from members.models import Member

CHUNK = 5000
MemberRange = tuple[int, int]  # member ids, both inclusive


class Bought(NamedTuple):
    member_id: int
    pk: int
    at: datetime.datetime
    amount: Decimal
    channel: str
    points: int  # the points it earned when recorded
    items: str | None  # as stored, JSON; only for the window's purchases (those scored)


class Refunded(NamedTuple):
    member_id: int
    purchase_id: int
    at: datetime.datetime
    amount: Decimal
    points_taken: int
    items: str  # as stored, JSON


class Change(NamedTuple):
    """A row of the tier history, as loyalty.rules.tiers reads one (`at`, `reason`,
    `from_code`, `to_code`)."""

    member_id: int
    at: datetime.datetime
    pk: int
    from_code: str
    to_code: str
    reason: str


class Issued(NamedTuple):
    """A points entry of the window: a purchase's earn, a bonus or a refund's clawback, with
    its breakdown, its purchase, and (for a clawback) the breakdown of the purchase as it stood
    before it (both JSON, as stored)."""

    member_id: int
    kind: str
    points: int
    purchase_id: int | None
    breakdown: str
    previous: str | None


@dataclass
class MemberHistory:
    member_id: int
    joined_at: datetime.datetime
    purchases: list[Bought] = field(default_factory=list)
    refunds: list[Refunded] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    entries: list[Issued] = field(default_factory=list)
    outstanding: int = 0

    @property
    def is_quiet(self) -> bool:
        """Nothing to replay: never bought, refunded or changed tier in what was read."""
        return not (self.purchases or self.refunds or self.changes)

    def purchases_of_window(self, start: datetime.datetime) -> set[int]:
        return {bought.pk for bought in self.purchases if bought.at >= start}


@dataclass(frozen=True)
class Span:
    """What is read: purchases after `since` (the qualification window before `start`) and
    before `end`, their refunds before `end`, the tier history before `end`."""

    since: datetime.datetime
    start: datetime.datetime
    end: datetime.datetime

    @classmethod
    def of(cls, draft: ProgramDefinition, start, end) -> Span:
        return cls(since=qualification_window_start(draft, start), start=start, end=end)


def _in(members: MemberRange, column: str = "member_id") -> Q:
    low, high = members
    return Q(**{f"{column}__gte": low, f"{column}__lte": high})


def purchases_of(span: Span, members: MemberRange | None = None):
    purchases = Purchase.objects.filter(purchased_at__gt=span.since, purchased_at__lt=span.end)
    return purchases.filter(_in(members)) if members else purchases


def purchases_in_window(start: datetime.datetime, end: datetime.datetime):
    return Purchase.objects.filter(purchased_at__gte=start, purchased_at__lt=end)


def refunds_of(span: Span, members: MemberRange | None = None):
    refunds = Refund.objects.filter(purchase__purchased_at__gt=span.since, created_at__lt=span.end)
    return refunds.filter(_in(members, "purchase__member_id")) if members else refunds


def issued_of(span: Span, members: MemberRange | None = None):
    """The entries of the window that points issued adds up, but reversals (summed apart)."""
    entries = LedgerEntry.objects.filter(
        occurred_at__gte=span.start, occurred_at__lt=span.end, kind__in=LIFETIME_KINDS
    )
    return entries.filter(_in(members)) if members else entries


def _stream(rows, make) -> Iterator:
    """`rows` (a values_list query whose annotations come last, as its SQL has them) as `make`
    tuples. On PostgreSQL straight from a server-side cursor: the ORM's iterator cost 4 µs a
    row more, a third of reading 1,000,000 purchases; its values need no conversion there (the
    JSON comes as text, the query asks for it as text)."""
    if connection.vendor != "postgresql":
        for row in rows.iterator(chunk_size=CHUNK):
            yield make(*row)
        return
    sql, params = rows.query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while found := cursor.fetchmany(CHUNK):
            for row in found:
                yield make(*row)


def purchases_stream(span: Span, members: MemberRange) -> Iterator[Bought]:
    # `earned_points`: what the purchase earned when recorded (`points` is after its refunds).
    # The items as the text they are stored as, and only where they are scored: decoding them
    # was half the time of reading 1,000,000 purchases, and the replay decodes each text once.
    items = Case(When(purchased_at__gte=span.start, then=Cast("items", TextField())))
    rows = (
        purchases_of(span, members)
        .annotate(items_text=items)
        .order_by("member_id", "purchased_at", "pk")
        .values_list(
            "member_id", "pk", "purchased_at", "amount", "channel", "earned_points", "items_text"
        )
    )
    return _stream(rows, Bought)


def refunds_stream(span: Span, members: MemberRange) -> Iterator[Refunded]:
    rows = (
        refunds_of(span, members)
        .annotate(items_text=Cast("items", TextField()))
        .order_by("purchase__member_id", "created_at", "pk")
        .values_list(
            "purchase__member_id",
            "purchase_id",
            "created_at",
            "amount",
            "points_taken",
            "items_text",
        )
    )
    return _stream(rows, Refunded)


def changes_stream(span: Span, members: MemberRange) -> Iterator[Change]:
    rows = (
        TierChange.objects.filter(_in(members), at__lt=span.end)
        .order_by("member_id", "at", "pk")
        .values_list("member_id", "at", "pk", "from_code", "to_code", "reason")
    )
    return _stream(rows, Change)


def issued_stream(span: Span, members: MemberRange) -> Iterator[Issued]:
    """The window's entries (issued_of) in member order. A clawback carries the breakdown
    before it: its purchase's latest earlier earn or clawback entry's. (Whether its purchase
    was made in the window the member's purchases tell: a join to the purchases here built a
    hash of all of them for each range of members.)"""
    earlier = (
        LedgerEntry.objects.filter(
            purchase_id=OuterRef("purchase_id"), kind__in=[EntryKind.EARN, EntryKind.REFUND]
        )
        .filter(
            Q(occurred_at__lt=OuterRef("occurred_at"))
            | Q(occurred_at=OuterRef("occurred_at"), pk__lt=OuterRef("pk"))
        )
        .order_by("-occurred_at", "-pk")
        .annotate(text=Cast("breakdown", TextField()))
        .values("text")[:1]
    )
    rows = (
        issued_of(span, members)
        .annotate(
            breakdown_text=Cast("breakdown", TextField()),
            previous=Case(
                When(kind=EntryKind.REFUND, purchase__isnull=False, then=Subquery(earlier)),
                output_field=TextField(),
            ),
        )
        .order_by("member_id")
        .values_list("member_id", "kind", "points", "purchase_id", "breakdown_text", "previous")
    )
    return _stream(rows, Issued)


def members_stream(members: MemberRange) -> Iterator[tuple[int, datetime.datetime]]:
    rows = Member.objects.filter(_in(members, "pk")).order_by("pk")
    return rows.values_list("pk", "joined_at").iterator(chunk_size=CHUNK)


class _Cursor:
    """A member-ordered stream, read as each member's run of rows."""

    def __init__(self, rows: Iterator):
        self.rows = rows
        self.head = next(rows, None)

    def drain(self) -> None:
        """Read to the end (so the cursor closes now, within the transaction)."""
        for _row in self.rows:
            pass
        self.head = None

    def take(self, member_id: int) -> list:
        found = []
        while self.head is not None and self.head[0] <= member_id:
            if self.head[0] == member_id:
                found.append(self.head)
            self.head = next(self.rows, None)
        return found


def member_histories(
    span: Span, members: MemberRange, *, end: datetime.datetime
) -> Iterator[MemberHistory]:
    """Every member with an id in `members`, in order, with what the streams hold for them (the
    window's points entries too) and their outstanding points at `end`."""
    purchases = _Cursor(purchases_stream(span, members))
    refunds = _Cursor(refunds_stream(span, members))
    changes = _Cursor(changes_stream(span, members))
    entries = _Cursor(issued_stream(span, members))
    outstanding = _Cursor(outstanding_points_by_member(end, members=members, chunk_size=CHUNK))
    for member_id, joined_at in members_stream(members):
        found = outstanding.take(member_id)
        yield MemberHistory(
            member_id=member_id,
            joined_at=joined_at,
            purchases=purchases.take(member_id),
            refunds=refunds.take(member_id),
            changes=changes.take(member_id),
            entries=entries.take(member_id),
            outstanding=found[0][1] if found else 0,
        )
    for cursor in (purchases, refunds, changes, entries, outstanding):
        cursor.drain()


# --- Reading without writing -------------------------------------------------------------------

_SNAPSHOT = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+", re.IGNORECASE)


@contextlib.contextmanager
def read_only(*, snapshot: str | None = None, export: bool = False) -> Iterator[str | None]:
    """A transaction that cannot write, and is rolled back at the end. On PostgreSQL READ ONLY
    (an INSERT, UPDATE or DELETE fails), and, unless already inside a transaction (then a
    savepoint, read-only until it is rolled back), REPEATABLE READ, so every stream sees the
    same history. With `export` (not inside a transaction), yields the snapshot's id for other
    processes to read with (`snapshot`): exactly what this transaction sees. Elsewhere
    (SQLite), a transaction rolled back at the end."""
    is_nested = connection.in_atomic_block
    with transaction.atomic():
        try:
            yield _read_only_begin(is_nested, snapshot, export)
        finally:
            transaction.set_rollback(True)


def _read_only_begin(is_nested: bool, snapshot: str | None, export: bool) -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        if is_nested:
            cursor.execute("SET TRANSACTION READ ONLY")
        else:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if snapshot is not None:
            if is_nested or not _SNAPSHOT.fullmatch(snapshot):
                raise ValueError(f"cannot read on snapshot {snapshot!r} here")
            # Not a parameter: SET takes none; the id was checked above.
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        # Every row of the cursors is read: plan for all of them, not the first tenth (an
        # index scan in member order fetching the rows at random took 4.7 s for 1,000,000
        # purchases, a scan and a sort 1.5 s).
        cursor.execute("SET LOCAL cursor_tuple_fraction = 1")
        if not export or is_nested:
            return None
        cursor.execute("SELECT pg_export_snapshot()")
        return cursor.fetchone()[0]


def member_ranges(span: Span, parts: int) -> list[MemberRange]:
    """The members split into `parts` ranges of ids with about as many purchases each (the
    replay's work is per purchase); one range for one part."""
    bounds = Member.objects.order_by("pk").values_list("pk", flat=True)
    low, high = bounds.first(), bounds.last()
    if low is None:
        return []
    if parts <= 1 or connection.vendor != "postgresql":
        return [(low, high)]
    shares = [index / parts for index in range(1, parts)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY member_id)"
            " FROM loyalty_purchase WHERE purchased_at > %s AND purchased_at < %s",
            [shares, span.since, span.end],
        )
        (cuts,) = cursor.fetchone()
    ranges, start = [], low
    for cut in sorted(set(cuts or [])):
        if start <= cut < high:
            ranges.append((start, cut))
            start = cut + 1
    ranges.append((start, high))
    return ranges


def history_size(span: Span) -> tuple[int, int]:
    """(purchases, points entries) the replay will read: its progress's total."""
    return purchases_of(span).count(), issued_of(span).count()
