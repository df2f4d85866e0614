"""Members and the ledger as CSV, streamed: rows are read in chunks from a server-side cursor and
written one at a time, so an export of any size holds a chunk in memory. Staff only: the admin
views and the commands check `members.export_data` / are run by an operator.

Two layouts. MACHINE, the default, is what programs read: `,`, UTF-8, ISO 8601 dates with their
offset, a decimal point; it does not change. EXCEL is what Excel opens as it is in Spain and
France: `;` (their comma is the decimal mark), UTF-8 with a BOM (without it Excel reads
Windows-1252 and garbles "Núñez"), CRLF like both, decimal commas, and dates day first on the
program's clock without an offset (Excel reads none); a birthday without a year stays `--MM-DD`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class CsvLayout:
    """How an export writes its separator, encoding and values (see the module docstring)."""

    name: str
    separator: str
    has_bom: bool
    is_day_first: bool
    decimal_mark: str

    def moment(self, value: datetime.datetime) -> str:
        """An aware moment, already on the clock it is shown on."""
        return value.strftime("%d/%m/%Y %H:%M:%S") if self.is_day_first else value.isoformat()

    def birth_date(self, day, month, year) -> str:
        if not day or not month:
            return ""
        if not year:
            return f"--{month:02d}-{day:02d}"
        if self.is_day_first:
            return f"{day:02d}/{month:02d}/{year:04d}"
        return f"{year:04d}-{month:02d}-{day:02d}"


MACHINE = CsvLayout("machine", ",", has_bom=False, is_day_first=False, decimal_mark=".")
EXCEL = CsvLayout("excel", ";", has_bom=True, is_day_first=True, decimal_mark=",")
LAYOUTS = {layout.name: layout for layout in (MACHINE, EXCEL)}


class _Line:
    """A file-like object whose write returns what it was given: csv.writer then yields lines."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Iterable[str], rows: Iterable[Iterable[Any]], *, layout: CsvLayout = MACHINE
) -> Iterator[str]:
    writer = csv_writer(_Line(), delimiter=layout.separator, decimal_mark=layout.decimal_mark)
    first = writer.writerow(header)
    yield "\ufeff" + first if layout.has_bom else first
    for row in rows:
        yield writer.writerow(row)


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def member_export_rows(*, layout: CsvLayout = MACHINE) -> Iterator[tuple]:
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
            layout.birth_date(day, month, year),
            language,
            _boolean(opt_in),
            layout.moment(joined.astimezone(zone)),
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


def ledger_export_rows(*, layout: CsvLayout = MACHINE) -> Iterator[tuple]:
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
            # On the program's wall clock: what a person reads; with the offset (MACHINE), exact.
            layout.moment(occurred_at.astimezone(zone)),
            layout.moment(created_at.astimezone(zone)),
            *("" if value is None else value for value in rest),
        )


def members_csv(*, layout: CsvLayout = MACHINE) -> Iterator[str]:
    return csv_lines(MEMBER_COLUMNS, member_export_rows(layout=layout), layout=layout)


def ledger_csv(*, layout: CsvLayout = MACHINE) -> Iterator[str]:
    return csv_lines(LEDGER_COLUMNS, ledger_export_rows(layout=layout), layout=layout)
