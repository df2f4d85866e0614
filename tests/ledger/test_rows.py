"""config.rows: single rows written with prebuilt SQL must store exactly what the ORM stores."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from config.rows import (
    row_get,
    row_insert,
    row_update,
    rows_get,
    rows_insert_chain,
    rows_update_where,
    statements_pipelined,
)
from loyalty.models import EntryKind, LedgerEntry, LoyaltyAccount, PointsLot, Purchase
from loyalty.models.ledger import BONUS_ONCE_PER_KEY
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


def test_unless_conflict_on_a_partial_unique_constraint_by_its_name(member, now):
    # The once-per-key bonus index holds only where bonus_key is not empty: its condition is
    # part of the conflict target, and entries without a key never conflict.
    purchase, _ = record(member)

    def bonus(key):
        entry = _entry(member, purchase, kind=EntryKind.BONUS, bonus_key=key)
        entry.purchase = None
        return entry

    with transaction.atomic():
        assert row_insert(bonus("gift:1"), unless_conflict_on=BONUS_ONCE_PER_KEY) is True
        assert row_insert(bonus("gift:1"), unless_conflict_on=BONUS_ONCE_PER_KEY) is False
        assert row_insert(bonus(""), unless_conflict_on=BONUS_ONCE_PER_KEY) is True
        assert row_insert(bonus(""), unless_conflict_on=BONUS_ONCE_PER_KEY) is True
        assert LedgerEntry.objects.filter(kind=EntryKind.BONUS).count() == 3  # still usable

    with pytest.raises(IntegrityError), transaction.atomic():
        row_insert(bonus("gift:1"))


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


def test_rows_update_where_sets_increments_and_answers_how_many(member, now):
    record(member, amount=Decimal("20.00"))
    account = LoyaltyAccount.objects.get(member=member)
    tier_since = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)

    updated = rows_update_where(
        LoyaltyAccount,
        {"pending": 7, "tier_since": tier_since},
        "id = %s AND tier_code = %s",
        [account.pk, account.tier_code],
        increments=("debt",),
    )
    missed = rows_update_where(
        LoyaltyAccount, {"pending": 9}, "id = %s AND tier_code = %s", [account.pk, "nope"]
    )

    assert (updated(), missed()) == (1, 0)
    stored = LoyaltyAccount.objects.get(pk=account.pk)
    assert (stored.pending, stored.debt, stored.tier_since) == (7, account.debt + 1, tier_since)


@pytest.mark.django_db(transaction=True)
def test_pipelined_updates_are_answered_with_a_later_read_and_commit_together(member, now):
    record(member, amount=Decimal("20.00"))
    account = LoyaltyAccount.objects.get(member=member)
    where = "id = %s"

    with transaction.atomic(), statements_pipelined():
        first = rows_update_where(LoyaltyAccount, {"pending": 3}, where, [account.pk])
        read = row_get(LoyaltyAccount, where, [account.pk])  # sees the update before it
        second = rows_update_where(LoyaltyAccount, {"pending": 4}, where, [account.pk])
        # Asked before anything reads after it: the pipeline is synced for the answer.
        assert second() == 1
    assert (first(), read.pending) == (1, 3)
    assert LoyaltyAccount.objects.get(pk=account.pk).pending == 4

    # An error inside surfaces inside the transaction, which rolls back every statement.
    def refused() -> None:
        with transaction.atomic(), statements_pipelined():
            rows_update_where(LoyaltyAccount, {"pending": 5}, where, [account.pk])
            rows_update_where(LoyaltyAccount, {"available": -1}, where, [account.pk])
            row_get(LoyaltyAccount, where, [account.pk])

    with pytest.raises(IntegrityError):
        refused()
    assert LoyaltyAccount.objects.get(pk=account.pk).pending == 4


@pytest.mark.django_db
def test_the_private_psycopg_api_a_pipelined_answer_relies_on_is_still_there():
    """rows_update_where, asked inside statements_pipelined before a later read, syncs through
    psycopg's `Connection._pipeline`; an upgrade that renames it fails here."""
    if connection.vendor != "postgresql":
        pytest.skip("pipelines are PostgreSQL's")
    with transaction.atomic(), statements_pipelined():
        assert callable(connection.connection._pipeline.sync)


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


def _chain(member, now, *, external_id="till-20"):
    """A purchase, its earn entry and its lot, none saved, linked as purchase_record links them."""
    template, _ = record(member, external_id=f"{external_id}-template", amount=Decimal("20.00"))
    purchase = Purchase.objects.get(pk=template.pk)
    purchase.pk = None
    purchase._state.adding = True
    purchase.external_id = external_id
    entry = _entry(member, purchase, points=7)
    lot = PointsLot(
        member_id=member.pk,
        entry=entry,
        purchase=purchase,
        points=7,
        remaining=7,
        available_at=now,
        is_matured=True,
        earned_at=now,
    )
    return purchase, entry, lot


SPENT = "SELECT SUM(amount) FROM loyalty_purchase WHERE member_id = %s"


@pytest.fixture(params=["postgresql", "other"])
def vendor(request, monkeypatch):
    # PostgreSQL: one statement; any other database: one statement each. Both must agree.
    if request.param == "other":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    return request.param


def test_rows_insert_chain_links_the_rows_and_updates(member, now, vendor):
    purchase, entry, lot = _chain(member, now)
    account = LoyaltyAccount.objects.get(member=member)
    available = account.available
    account.available += 7

    written, spent_before = rows_insert_chain(
        [purchase, entry, lot],
        update=account,
        update_fields=("available",),
        select=(SPENT, [member.pk]),
    )

    assert written is True
    assert None not in (purchase.pk, entry.pk, lot.pk)
    assert (entry.purchase_id, lot.entry_id, lot.purchase_id) == (
        purchase.pk,
        entry.pk,
        purchase.pk,
    )
    stored = PointsLot.objects.get(pk=lot.pk)
    assert (stored.entry_id, stored.purchase_id) == (entry.pk, purchase.pk)
    assert (stored.points, stored.remaining, stored.is_matured) == (7, 7, True)
    assert LedgerEntry.objects.get(pk=entry.pk).purchase_id == purchase.pk
    assert Purchase.objects.get(pk=purchase.pk).external_id == "till-20"
    assert LoyaltyAccount.objects.get(pk=account.pk).available == available + 7
    # `select` answers as the database stood before the writes: the template purchase only.
    assert spent_before == Decimal("20.00")


def test_rows_insert_chain_writes_nothing_on_a_conflict(member, now, vendor):
    purchase, entry, lot = _chain(member, now, external_id="till-21")
    record(member, external_id="till-21", amount=Decimal("5.00"))
    account = LoyaltyAccount.objects.get(member=member)
    before = (LedgerEntry.objects.count(), PointsLot.objects.count(), account.available)
    account.available += 7

    with transaction.atomic():
        written, _ = rows_insert_chain(
            [purchase, entry, lot],
            unless_conflict_on="external_id",
            update=account,
            update_fields=("available",),
        )
        # Nothing aborted the transaction: it can still read.
        assert Purchase.objects.filter(external_id="till-21").count() == 1

    assert written is False
    assert (purchase.pk, entry.pk, lot.pk) == (None, None, None)
    after = (
        LedgerEntry.objects.count(),
        PointsLot.objects.count(),
        LoyaltyAccount.objects.get(pk=account.pk).available,
    )
    assert after == before
    assert Purchase.objects.get(external_id="till-21").amount == Decimal("5.00")


def test_rows_insert_chain_fails_loudly_without_the_row_to_update(member, now):
    record(member)
    account = LoyaltyAccount.objects.get(member=member)
    account.pk = 10**9
    _purchase, entry, lot = _chain(member, now)

    with pytest.raises(RuntimeError, match="was not updated"), transaction.atomic():
        rows_insert_chain([entry, lot], update=account, update_fields=("pending",))


def test_rows_get_reads_a_join_and_extra_values_as_the_orm_does(member, now):
    purchase, _ = record(member, amount=Decimal("54.90"))
    account_by_orm = LoyaltyAccount.objects.get(member=member)
    sources = [(LoyaltyAccount, "a"), (Purchase, "p")]
    joined = "loyalty_loyaltyaccount a JOIN loyalty_purchase p ON p.member_id = a.member_id"

    with transaction.atomic():
        (account, stored), extra = rows_get(
            sources,
            joined,
            "p.external_id = %s",
            [purchase.external_id],
            extra=["p.amount * 2"],
            for_update_of="a",
        )
        missing = rows_get(sources, joined, "p.external_id = %s", ["none"], for_update_of="a")

    names = [field.attname for field in LoyaltyAccount._meta.concrete_fields]
    assert [getattr(account, n) for n in names] == [getattr(account_by_orm, n) for n in names]
    assert (stored.pk, stored.amount, stored.items) == (
        purchase.pk,
        purchase.amount,
        purchase.items,
    )
    assert stored.breakdown == purchase.breakdown  # JSON decoded
    assert extra[0] == Decimal("109.80")
    assert missing is None


def _prepared_here(fragment: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize("prepared", [True, False])
def test_hot_statements_are_prepared_on_postgresql_unless_turned_off(
    member, now, settings, prepared
):
    settings.DB_PREPARED_STATEMENTS = prepared
    record(member, amount=Decimal("54.90"))
    # A statement no other test runs (the connection and its prepared statements outlive tests).
    where = f"member_id = %s /* prepared test {prepared} */"
    first = row_get(LoyaltyAccount, where, [member.pk])
    again = row_get(LoyaltyAccount, where, [member.pk])

    assert first.pk == again.pk == LoyaltyAccount.objects.get(member=member).pk
    assert _prepared_here(f"prepared test {prepared}") == (1 if prepared else 0)


@pytest.mark.django_db
def test_the_private_django_api_the_prepared_cursor_relies_on_is_still_there():
    """config.rows._cursor wraps psycopg's server-binding cursor with Django's private
    `connection._prepare_cursor` and asks psycopg to prepare. A Django or psycopg upgrade that
    renames or changes either fails here, not as a slower (or broken) purchase path."""
    import inspect

    from django.db import connection

    from config import rows

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    from django.db.backends.postgresql.base import ServerBindingCursor

    assert callable(connection._prepare_cursor)
    assert "prepare" in inspect.signature(ServerBindingCursor.execute).parameters
    with rows._cursor() as cursor:
        assert isinstance(cursor.cursor, ServerBindingCursor)
        cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)
