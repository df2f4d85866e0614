"""config.rows: single rows written with prebuilt SQL must store exactly what the ORM stores."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from config.rows import row_get, row_insert, row_update, rows_insert_linked
from loyalty.models import EntryKind, LedgerEntry, LoyaltyAccount, PointsLot, Purchase
from tests.ledger.conftest import record

FIELDS = (
    "member_id",
    "kind",
    "points",
    "reason",
    "breakdown",
    "purchase_id",
    "program_version_id",
    "bonus_key",
    "source_type",
    "source_id",
    "created_at",
)


def _entry(member, purchase, **overrides) -> LedgerEntry:
    values = {
        "member_id": member.pk,
        "kind": EntryKind.EARN,
        "points": 56,
        "reason": "purchase ñ-1 «vino»",
        "breakdown": [{"part": "B", "value": "56", "inputs": {"amount": "54.90"}}],
        "purchase": purchase,
        "program_version": purchase.program_version,
        "created_at": datetime.datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=datetime.UTC),
    }
    return LedgerEntry(**(values | overrides))


def test_row_insert_stores_what_the_orm_stores(member, now):
    purchase, _ = record(member, amount=Decimal("54.90"))
    by_orm = _entry(member, purchase)
    by_orm.save()
    by_rows = _entry(member, purchase)

    assert row_insert(by_rows) is True

    assert by_rows.pk not in (None, by_orm.pk)
    assert not by_rows._state.adding
    stored = LedgerEntry.objects.filter(pk__in=[by_orm.pk, by_rows.pk]).order_by("pk")
    first, second = stored.values_list(*FIELDS)
    assert first == second
    assert second[4] == [{"part": "B", "value": "56", "inputs": {"amount": "54.90"}}]


def test_row_insert_unless_conflict_inserts_nothing_and_the_transaction_goes_on(member, now):
    first, _ = record(member, external_id="till-7")
    twin = Purchase.objects.get(pk=first.pk)
    twin.pk = None
    twin._state.adding = True

    with transaction.atomic():
        inserted = row_insert(twin, unless_conflict_on="external_id")
        # No error aborted the transaction: it can still read and write.
        assert Purchase.objects.filter(external_id="till-7").count() == 1
        _, created = record(member, external_id="till-8")

    assert inserted is False
    assert twin.pk is None
    assert created
    assert list(Purchase.objects.values_list("external_id", flat=True).order_by("pk")) == [
        "till-7",
        "till-8",
    ]


def test_row_insert_without_conflict_clause_raises_on_a_duplicate(member, now):
    first, _ = record(member, external_id="till-9")
    twin = Purchase.objects.get(pk=first.pk)
    twin.pk = None

    with pytest.raises(IntegrityError), transaction.atomic():
        row_insert(twin)


def test_row_update_writes_the_fields_and_stamps_updated_at(member, now, time_machine):
    record(member, amount=Decimal("20.00"))
    account = LoyaltyAccount.objects.get(member=member)
    before = account.updated_at
    time_machine.shift(datetime.timedelta(minutes=3))
    account.pending = 7
    account.available = 1000  # not written: not among the fields

    row_update(account, fields=("pending", "updated_at"))

    stored = LoyaltyAccount.objects.get(pk=account.pk)
    assert stored.pending == 7
    assert stored.available == 0
    assert stored.updated_at == before + datetime.timedelta(minutes=3)


def test_row_update_of_a_missing_row_fails_loudly(member, now):
    record(member)
    account = LoyaltyAccount.objects.get(member=member)
    account.pk = 10**9

    with pytest.raises(RuntimeError, match="was not updated"):
        row_update(account, fields=("pending",))


def test_row_get_reads_what_the_orm_reads(member, now):
    record(member, amount=Decimal("54.90"))
    by_orm = LoyaltyAccount.objects.get(member=member)
    entry_by_orm = LedgerEntry.objects.get(member=member, kind=EntryKind.EARN)

    account = row_get(LoyaltyAccount, "member_id = %s", [member.pk])
    entry = row_get(LedgerEntry, "id = %s", [entry_by_orm.pk])

    names = [field.attname for field in LoyaltyAccount._meta.concrete_fields]
    assert [getattr(account, name) for name in names] == [getattr(by_orm, name) for name in names]
    assert entry.breakdown == entry_by_orm.breakdown  # JSON decoded, as the ORM does
    assert entry.created_at == entry_by_orm.created_at
    assert not account._state.adding
    assert row_get(LoyaltyAccount, "member_id = %s", [10**9]) is None


@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_rows_insert_linked_writes_parent_child_and_update(member, now, monkeypatch, vendor):
    # PostgreSQL: one statement; any other database: one statement each. Both must agree.
    if vendor == "other":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    purchase, _ = record(member, amount=Decimal("20.00"))
    account = LoyaltyAccount.objects.get(member=member)
    entry = _entry(member, purchase, points=7)
    lot = PointsLot(
        member_id=member.pk,
        entry=entry,
        points=7,
        remaining=7,
        available_at=now,
        is_matured=True,
        earned_at=now,
    )
    account.available += 7

    rows_insert_linked(entry, lot, link="entry", update=account, update_fields=("available",))

    assert entry.pk is not None
    assert lot.pk is not None
    stored = PointsLot.objects.get(pk=lot.pk)
    assert stored.entry_id == entry.pk
    assert (stored.points, stored.remaining, stored.is_matured) == (7, 7, True)
    assert LedgerEntry.objects.get(pk=entry.pk).points == 7
    assert LoyaltyAccount.objects.get(pk=account.pk).available == 7


def test_rows_insert_linked_fails_loudly_without_the_row_to_update(member, now):
    purchase, _ = record(member)
    account = LoyaltyAccount.objects.get(member=member)
    account.pk = 10**9
    entry = _entry(member, purchase, points=1)
    lot = PointsLot(
        member_id=member.pk, entry=entry, points=1, remaining=1, available_at=now, earned_at=now
    )

    with pytest.raises(RuntimeError, match="was not updated"), transaction.atomic():
        rows_insert_linked(entry, lot, link="entry", update=account, update_fields=("pending",))
