"""Members and the ledger as CSV, streamed: rows are read in chunks from a server-side cursor and
written one at a time, so an export of any size holds a chunk in memory. Staff only: the admin
views and the commands check `members.export_data` / are run by an operator."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from loyalty.csv_cells import csv_writer
from loyalty.models import LedgerEntry
from loyalty.selectors.program import program_zone
from members.models import Member

CHUNK = 2000

MEMBER_COLUMNS = (
    "member_number",
    "email",
    "first_name",
    "last_name",
    "phone",
    "birth_date",
    "language",
    "marketing_opt_in",
    "joined_at",
    "tier",
    "available",
    "pending",
    "lifetime",
    "debt",
    # Added after the columns above, so that a reader of the older file finds them in place.
    "time_zone",  # the member's own; empty: they follow the program's
    "marketing_sms",
    "marketing_push",
    "program_notices",
)

LEDGER_COLUMNS = (
    "id",
    "occurred_at",
    "created_at",
    "member_number",
    "kind",
    "points",
    "reason",
    "purchase",
    "refund",
    "source_type",
    "source_id",
    "bonus_key",
    "program_version",
    "actor",
)


class _Line:
    """A file-like object whose write returns what it was given: csv.writer then yields lines."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv_writer(_Line())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def _birth_date(day, month, year) -> str:
    if not day or not month:
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def member_export_rows() -> Iterator[tuple]:
    zone = program_zone()
    rows = (
        Member.objects.order_by("pk")
        .values_list(
            "member_number",
            "user__email",
            "user__first_name",
            "user__last_name",
            "phone",
            "birth_day",
            "birth_month",
            "birth_year",
            "language",
            "marketing_email_opt_in",
            "joined_at",
            "loyalty_account__tier_code",
            "loyalty_account__available",
            "loyalty_account__pending",
            "loyalty_account__lifetime",
            "loyalty_account__debt",
            "time_zone",
            "marketing_sms_opt_in",
            "marketing_push_opt_in",
            "program_notices",
        )
        .iterator(chunk_size=CHUNK)
    )
    for row in rows:
        (number, email, first, last, phone, day, month, year, language, opt_in, joined) = row[:11]
        tier, available, pending, lifetime, debt = row[11:16]
        time_zone, sms, push, notices = row[16:]
        yield (
            number,
            email,
            first,
            last,
            phone,
            _birth_date(day, month, year),
            language,
            _boolean(opt_in),
            joined.astimezone(zone).isoformat(),
            tier or "",
            available or 0,
            pending or 0,
            lifetime or 0,
            debt or 0,
            time_zone,
            _boolean(sms),
            _boolean(push),
            _boolean(notices),
        )


def ledger_export_rows() -> Iterator[tuple]:
    rows = (
        LedgerEntry.objects.order_by("pk")
        .values_list(
            "pk",
            "occurred_at",
            "created_at",
            "member__member_number",
            "kind",
            "points",
            "reason",
            "purchase__external_id",
            "refund__external_id",
            "source_type",
            "source_id",
            "bonus_key",
            "program_version__number",
            "actor__email",
        )
        .iterator(chunk_size=CHUNK)
    )
    zone = program_zone()
    for pk, occurred_at, created_at, *rest in rows:
        yield (
            pk,
            # On the program's wall clock, with the offset: what a person reads, still exact.
            occurred_at.astimezone(zone).isoformat(),
            created_at.astimezone(zone).isoformat(),
            *("" if value is None else value for value in rest),
        )


def members_csv() -> Iterator[str]:
    return csv_lines(MEMBER_COLUMNS, member_export_rows())


def ledger_csv() -> Iterator[str]:
    return csv_lines(LEDGER_COLUMNS, ledger_export_rows())
